from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from leadflow.accounts.models import User
from leadflow.activities.models import Activity
from leadflow.core.models import AuditEvent, Event, EventKind
from leadflow.factories import channel, make_activity, make_lead
from leadflow.identity.matching import key_code
from leadflow.identity.models import DuplicatePair, DuplicateStatus, MatchKey
from leadflow.identity.services import (
    duplicate_pair_record,
    leads_merge,
    leads_unmerge,
    merge_default_choices,
)
from leadflow.intake.models import Inquiry
from leadflow.intake.services import inquiry_submit
from leadflow.leads.models import Lead
from leadflow.leads.services import lead_assign, lead_update

pytestmark = pytest.mark.django_db


def two_leads(owner: User | None = None) -> tuple[Lead, Lead]:
    a = make_lead(
        first_name="Ayşe",
        last_name="Yılmaz",
        email="ayse@example.com",
        city="İstanbul",
        custom={"industry": "textiles"},
    )
    b = make_lead(
        first_name="Ayse",
        last_name="Yilmaz",
        email="ayse.yilmaz@example.com",
        phone="+902125551234",
        job_title="Buyer",
        custom={"date_of_birth": "1980-02-03", "industry": "retail"},
    )
    if owner is not None:
        a = lead_assign(actor=None, lead=a, owner=owner)
        b = lead_assign(actor=None, lead=b, owner=owner)
    return a, b


def rows_of(lead_id: int) -> dict[str, set[int]]:
    return {
        "events": set(Event.objects.filter(lead_id=lead_id).values_list("pk", flat=True)),
        "activities": set(Activity.objects.filter(lead_id=lead_id).values_list("pk", flat=True)),
        "inquiries": set(Inquiry.objects.filter(lead_id=lead_id).values_list("pk", flat=True)),
    }


def test_merging_keeps_every_inquiry_activity_and_event_of_both_leads(rhys: User) -> None:
    a, b = two_leads(owner=rhys)
    make_activity(owner=rhys, lead=a, subject="First call")
    make_activity(owner=rhys, lead=b, subject="Second call")
    inquiry = inquiry_submit(
        actor=None,
        channel=channel("email"),
        fields={"first_name": "Ayse", "last_name": "Yilmaz", "email": "ayse.yilmaz@example.com"},
    )
    assert inquiry.lead_id == b.pk
    before_a, before_b = rows_of(a.pk), rows_of(b.pk)

    survivor = leads_merge(
        actor=rhys, survivor=a, other=b, choices={"phone": "other", "job_title": "other"}
    )

    assert not Lead.objects.filter(pk=b.pk).exists()
    after = rows_of(a.pk)
    for kind in ("events", "activities", "inquiries"):
        assert before_a[kind] | before_b[kind] <= after[kind]
    assert survivor.phone == "+902125551234"
    assert survivor.job_title == "Buyer"
    assert survivor.email == "ayse@example.com"
    # Custom attributes are united; the survivor's value wins a conflict.
    assert survivor.custom == {"industry": "textiles", "date_of_birth": "1980-02-03"}
    merged = Event.objects.get(lead=survivor, kind=EventKind.MERGED)
    assert merged.data["other"] == b.pk
    assert merged.data["fields_from_other"] == ["job_title", "phone"]
    # The survivor is found under the other lead's phone now.
    assert MatchKey.objects.filter(lead=survivor, value=key_code("p:+902125551234")).exists()


def test_unmerging_from_the_audit_record_restores_the_other_lead_and_its_rows(rhys: User) -> None:
    a, b = two_leads(owner=rhys)
    make_activity(owner=rhys, lead=b, subject="Second call")
    duplicate_pair_record(lead_a=a, lead_b=b, confidence=0.7, explanation={})
    third = make_lead(first_name="Ayse", last_name="Yilmaz", email="ay@example.com")
    duplicate_pair_record(lead_a=b, lead_b=third, confidence=0.65, explanation={})
    b_fields = {name: getattr(b, name) for name in ("first_name", "email", "phone", "custom")}
    before_a, before_b = rows_of(a.pk), rows_of(b.pk)
    b_created = Lead.objects.get(pk=b.pk).created_at

    leads_merge(actor=rhys, survivor=a, other=b, choices={"phone": "other"})
    audit = AuditEvent.objects.get(action="lead.merge")
    survivor, restored = leads_unmerge(actor=rhys, audit_event=audit)

    assert restored.pk == b.pk
    restored.refresh_from_db()
    assert {name: getattr(restored, name) for name in b_fields} == b_fields
    assert restored.created_at == b_created
    assert restored.owner_id == rhys.pk
    survivor.refresh_from_db()
    assert survivor.phone == ""
    assert survivor.custom == {"industry": "textiles"}
    after_a, after_b = rows_of(a.pk), rows_of(b.pk)
    for kind in ("activities", "inquiries"):
        assert after_a[kind] == before_a[kind]
        assert after_b[kind] == before_b[kind]
    # History only grows: the merge and unmerge events stay with the survivor.
    assert before_b["events"] < after_b["events"]
    assert before_a["events"] < after_a["events"]
    assert Event.objects.filter(lead=restored, kind=EventKind.UNMERGED).exists()
    # The pair of the two is decided now; the other pair is back in the queue.
    assert DuplicatePair.objects.get(lead_a=a, lead_b=b).status == DuplicateStatus.DISMISSED
    assert DuplicatePair.objects.get(lead_a=b, lead_b=third).status == DuplicateStatus.OPEN
    assert MatchKey.objects.filter(lead=restored, value=key_code("p:+902125551234")).exists()
    assert not MatchKey.objects.filter(lead=survivor, value=key_code("p:+902125551234")).exists()


def test_a_merge_cannot_be_undone_twice(rhys: User) -> None:
    a, b = two_leads(owner=rhys)
    leads_merge(actor=rhys, survivor=a, other=b, choices={})
    audit = AuditEvent.objects.get(action="lead.merge")
    leads_unmerge(actor=rhys, audit_event=audit)
    with pytest.raises(ValidationError):
        leads_unmerge(actor=rhys, audit_event=audit)


def test_a_field_changed_after_the_merge_survives_the_unmerge(rhys: User) -> None:
    a, b = two_leads(owner=rhys)
    survivor = leads_merge(actor=rhys, survivor=a, other=b, choices={"phone": "other"})
    survivor = lead_update(actor=rhys, lead=survivor, version=None, phone="+902125559999")
    leads_unmerge(actor=rhys, audit_event=AuditEvent.objects.get(action="lead.merge"))
    survivor.refresh_from_db()
    assert survivor.phone == "+902125559999"


def test_a_rep_cannot_merge_a_lead_of_someone_else(rhys: User, rosa: User) -> None:
    a, _b = two_leads(owner=rhys)
    other = lead_assign(
        actor=None, lead=make_lead(first_name="Ayse", last_name="Yilmaz"), owner=rosa
    )
    with pytest.raises(PermissionDenied):
        leads_merge(actor=rhys, survivor=a, other=other, choices={})
    assert Lead.objects.filter(pk=other.pk).exists()


def test_merge_refuses_unknown_fields_and_sides(rhys: User) -> None:
    a, b = two_leads(owner=rhys)
    with pytest.raises(ValidationError) as error:
        leads_merge(actor=rhys, survivor=a, other=b, choices={"score": "other", "email": "both"})
    assert set(error.value.message_dict) == {"score", "email"}
    with pytest.raises(ValidationError):
        leads_merge(actor=rhys, survivor=a, other=a, choices={})


def test_the_default_choice_prefers_a_value_to_a_blank_and_then_the_newer_lead() -> None:
    a, b = two_leads()
    choices = merge_default_choices(a, b)
    assert choices["phone"] == "other"  # a has none
    assert choices["job_title"] == "other"
    assert choices["email"] == "other"  # both have one; b changed last
    assert "first_name" in choices and "last_name" in choices
    assert "city" in choices and choices["city"] == "survivor"
