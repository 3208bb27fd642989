from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from leadflow.accounts.models import User
from leadflow.core.exceptions import ConflictError
from leadflow.core.models import AuditEvent, Event, EventKind
from leadflow.factories import channel, make_lead
from leadflow.leads.models import LeadStatus, Temperature
from leadflow.leads.services import (
    lead_assign,
    lead_create,
    lead_postpone,
    lead_qualify,
    lead_reject,
    lead_reopen,
    lead_update,
)

pytestmark = pytest.mark.django_db


def test_it_creates_a_lead_with_normalised_contact_details(rhys: User) -> None:
    lead = lead_create(
        actor=rhys,
        channel=channel("phone"),
        first_name="  Ayşe ",
        last_name="Yılmaz",
        email="Ayse.Yilmaz@Example.COM",
        phone="020 7946 0000",
    )
    assert lead.first_name == "Ayşe"
    assert lead.email == "ayse.yilmaz@example.com"
    assert lead.phone == "+442079460000"
    assert lead.status == LeadStatus.NEW
    assert lead.channel.slug == "phone"
    assert Event.objects.filter(lead=lead, kind=EventKind.CREATED).count() == 1
    audit = AuditEvent.objects.get(action="lead.create")
    assert audit.after is not None
    assert audit.actor == rhys and audit.after["email"] == "ayse.yilmaz@example.com"


def test_it_reads_local_numbers_in_the_channels_region(db: None) -> None:
    web = channel("web-form")
    web.default_region = "TR"
    web.save()
    lead = lead_create(actor=None, channel=web, first_name="Mehmet", phone="0212 555 12 34")
    assert lead.phone == "+902125551234"


def test_it_refuses_an_impossible_phone_number(db: None) -> None:
    with pytest.raises(ValidationError) as exc:
        lead_create(actor=None, channel=channel(), first_name="Bob", phone="12")
    assert "phone" in exc.value.message_dict


def test_it_refuses_a_bad_email_with_the_reason(db: None) -> None:
    with pytest.raises(ValidationError) as exc:
        lead_create(actor=None, channel=channel(), first_name="Bob", email="bob@@example")
    assert "email" in exc.value.message_dict


def test_a_lead_needs_a_named_person(db: None) -> None:
    with pytest.raises(ValidationError) as exc:
        lead_create(actor=None, channel=channel(), company_name="Acme Ltd", phone="+442079460000")
    assert "last_name" in exc.value.message_dict


def test_a_lead_needs_a_way_to_reach_the_person(db: None) -> None:
    with pytest.raises(ValidationError) as exc:
        lead_create(actor=None, channel=channel(), first_name="Bob", city="Cardiff")
    assert "email" in exc.value.message_dict


def test_a_full_postal_address_is_enough_to_reach_someone(db: None) -> None:
    lead = lead_create(
        actor=None,
        channel=channel(),
        first_name="Dafydd",
        last_name="Jones",
        street="1 Heol y Frenhines",
        city="Caerdydd",
        postal_code="CF10 2BH",
        country="gb",
    )
    assert lead.country == "GB"


@pytest.mark.parametrize(
    ("timeframe", "temperature"),
    [
        ("now", Temperature.HOT),
        ("2_months", Temperature.WARM),
        ("6_months", Temperature.COLD),
        ("", Temperature.COLD),
    ],
)
def test_temperature_follows_the_purchase_timeframe(
    db: None, timeframe: str, temperature: str
) -> None:
    assert make_lead(purchase_timeframe=timeframe).temperature == temperature


def test_an_unknown_timeframe_is_refused_with_the_choices(db: None) -> None:
    with pytest.raises(ValidationError, match="now"):
        make_lead(purchase_timeframe="soonish")


def test_origin_class_comes_from_the_channel(db: None) -> None:
    assert make_lead(channel_slug="referral").origin_class == "seed"


def test_an_edit_with_a_stale_version_is_refused(rhys: User) -> None:
    lead = make_lead(actor=rhys)
    lead_update(actor=rhys, lead=lead, version=1, job_title="CTO")
    with pytest.raises(ConflictError):
        lead_update(actor=rhys, lead=lead, version=1, job_title="CEO")
    lead.refresh_from_db()
    assert lead.job_title == "CTO" and lead.version == 2


def test_an_edit_that_changes_the_timeframe_records_the_temperature_change(rhys: User) -> None:
    lead = make_lead(actor=rhys)
    lead = lead_update(actor=rhys, lead=lead, version=1, purchase_timeframe="now")
    assert lead.temperature == Temperature.HOT
    event = Event.objects.get(lead=lead, kind=EventKind.TEMPERATURE_CHANGED)
    assert (event.from_value, event.to_value) == ("cold", "hot")


def test_assigning_sets_the_team_and_records_who_and_why(harriet: User, rhys: User) -> None:
    lead = make_lead()
    lead = lead_assign(actor=harriet, lead=lead, owner=rhys, reason="speaks Welsh")
    assert lead.owner == rhys and lead.team == rhys.team
    event = Event.objects.get(lead=lead, kind=EventKind.OWNER_CHANGED)
    assert event.actor == harriet and event.to_value == str(rhys.pk)
    assert event.data == {"reason": "speaks Welsh"}


def test_a_rep_cannot_give_a_lead_to_someone_else(rhys: User, rosa: User) -> None:
    lead = make_lead()
    with pytest.raises(PermissionDenied):
        lead_assign(actor=rhys, lead=lead, owner=rosa)
    assert lead_assign(actor=rhys, lead=lead, owner=rhys).owner == rhys


def test_rejecting_needs_a_reason_and_keeps_the_lead(rhys: User) -> None:
    lead = make_lead(actor=rhys)
    with pytest.raises(ValidationError):
        lead_reject(actor=rhys, lead=lead, reason="  ")
    lead = lead_reject(actor=rhys, lead=lead, reason="No budget")
    assert lead.status == LeadStatus.REJECTED and lead.rejection_reason == "No budget"
    assert Event.objects.filter(lead=lead, kind=EventKind.REJECTED).exists()


def test_postponing_needs_a_future_date_and_reopening_brings_it_back(rhys: User) -> None:
    lead = make_lead(actor=rhys)
    with pytest.raises(ValidationError):
        lead_postpone(actor=rhys, lead=lead, until=timezone.localdate())
    later = timezone.localdate() + datetime.timedelta(days=30)
    lead = lead_postpone(actor=rhys, lead=lead, until=later, reason="after the budget round")
    assert lead.status == LeadStatus.POSTPONED and lead.postponed_until == later
    lead = lead_reopen(actor=rhys, lead=lead)
    assert lead.status == LeadStatus.WORKING and lead.postponed_until is None


def test_a_person_can_set_the_temperature_and_it_sticks_until_set_back_to_auto(rhys: User) -> None:
    lead = make_lead(actor=rhys, purchase_timeframe="6_months")
    lead = lead_qualify(actor=rhys, lead=lead, temperature="hot", reason="said: where do I pay?")
    assert lead.temperature == Temperature.HOT and lead.temperature_overridden
    event = Event.objects.get(lead=lead, kind=EventKind.TEMPERATURE_CHANGED)
    assert (event.actor, event.from_value, event.to_value) == (rhys, "cold", "hot")
    assert event.data == {"reason": "said: where do I pay?", "overridden": True}
    lead = lead_update(actor=rhys, lead=lead, version=lead.version, purchase_timeframe="12_months")
    assert lead.temperature == Temperature.HOT
    lead = lead_qualify(actor=rhys, lead=lead, temperature="auto")
    assert lead.temperature == Temperature.COLD and not lead.temperature_overridden


def test_funnel_and_origin_class_changes_are_events(rhys: User) -> None:
    lead = make_lead(actor=rhys)
    lead = lead_qualify(actor=rhys, lead=lead, funnel_class="sql", origin_class="seed")
    assert (lead.funnel_class, lead.origin_class) == ("sql", "seed")
    event = Event.objects.get(lead=lead, kind=EventKind.FUNNEL_CLASS_CHANGED)
    assert (event.from_value, event.to_value) == ("suspect", "sql")
    assert Event.objects.filter(lead=lead, kind=EventKind.UPDATED, to_value="seed").exists()
    # Nothing new to say: no version bump, no event.
    again = lead_qualify(actor=rhys, lead=lead, funnel_class="sql")
    assert again.version == lead.version


def test_an_unknown_classification_is_refused(rhys: User) -> None:
    with pytest.raises(ValidationError) as exc:
        lead_qualify(actor=rhys, lead=make_lead(actor=rhys), funnel_class="lukewarm")
    assert "funnel_class" in exc.value.message_dict
