from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from leadflow.accounts.models import User
from leadflow.core.exceptions import ConflictError
from leadflow.core.models import Event, EventKind
from leadflow.factories import make_company, make_contact, make_deal, make_lead
from leadflow.leads.models import LeadStatus
from leadflow.leads.services import lead_reject
from leadflow.sales.models import Company, Contact, DealStatus, Pipeline, Stage, StageKind
from leadflow.sales.services import (
    deal_lose,
    deal_move_stage,
    deal_update,
    deal_win,
    lead_convert,
)

pytestmark = pytest.mark.django_db


def stage(slug: str) -> Stage:
    return Stage.objects.get(pipeline__slug="sales", slug=slug)


def test_the_default_pipeline_has_the_seven_step_process_then_won_and_lost(db: None) -> None:
    pipeline = Pipeline.objects.get(is_default=True)
    assert [s.slug for s in pipeline.stages.order_by("order")] == [
        "prospecting",
        "preparation",
        "needs-assessment",
        "presentation",
        "objection-handling",
        "closing",
        "follow-up",
        "won",
        "lost",
    ]
    assert pipeline.stages.filter(kind=StageKind.OPEN).count() == 7


def test_converting_creates_contact_company_and_deal_linked_both_ways(rhys: User) -> None:
    lead = make_lead(actor=rhys, company_name="Cwmni Te Cyf.", email="gwen@cwmnite.cymru")
    result = lead_convert(actor=rhys, lead=lead, amount=Decimal("2500"))
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED and lead.converted_at is not None
    assert lead.contact == result.contact and lead.deal == result.deal
    assert result.contact.source_lead == lead
    assert result.contact.email == lead.email
    assert result.company is not None and result.company.name == "Cwmni Te Cyf."
    assert result.company.domain == "cwmnite.cymru"
    assert result.deal is not None
    assert result.deal.stage.slug == "prospecting" and result.deal.amount == Decimal("2500")
    assert result.deal.contact == result.contact and result.deal.lead == lead
    event = Event.objects.get(lead=lead, kind=EventKind.CONVERTED)
    assert event.contact == result.contact and event.deal == result.deal
    # Both histories stay readable: the lead's creation event is still there.
    assert Event.objects.filter(lead=lead, kind=EventKind.CREATED).exists()


def test_converting_a_known_person_links_to_their_existing_contact_and_company(rhys: User) -> None:
    company = make_company(owner=rhys, name="Yıldız Tekstil A.Ş.")
    contact = make_contact(owner=rhys, email="ayse@yildiz.com.tr", company=company)
    lead = make_lead(actor=rhys, email="AYSE@yildiz.com.tr", company_name="YILDIZ TEKSTİL")
    result = lead_convert(actor=rhys, lead=lead)
    assert result.contact == contact and not result.contact_created
    assert result.company == company and not result.company_created
    assert Contact.objects.count() == 1 and Company.objects.count() == 1


def test_the_customer_can_get_a_different_owner(harriet: User, rhys: User, rosa: User) -> None:
    lead = make_lead(actor=rhys)
    result = lead_convert(actor=harriet, lead=lead, owner=rosa)
    assert result.contact.owner == rosa
    assert result.deal is not None and result.deal.owner == rosa


def test_a_rep_cannot_hand_the_customer_to_someone_else(rhys: User, rosa: User) -> None:
    with pytest.raises(PermissionDenied):
        lead_convert(actor=rhys, lead=make_lead(actor=rhys), owner=rosa)


def test_a_converted_or_rejected_lead_cannot_be_converted(rhys: User) -> None:
    lead = make_lead(actor=rhys)
    lead_convert(actor=rhys, lead=lead, create_deal=False)
    with pytest.raises(ValidationError):
        lead_convert(actor=rhys, lead=lead)
    other = lead_reject(actor=rhys, lead=make_lead(actor=rhys), reason="spam")
    with pytest.raises(ValidationError):
        lead_convert(actor=rhys, lead=other)


def test_moving_a_deal_records_the_stage_change(rhys: User) -> None:
    deal = make_deal(owner=rhys)
    deal = deal_move_stage(actor=rhys, deal=deal, stage=stage("presentation"), version=deal.version)
    assert deal.stage.slug == "presentation" and deal.version == 2
    event = Event.objects.get(deal=deal, kind=EventKind.STAGE_CHANGED)
    assert event.from_value == str(stage("prospecting").pk)
    assert event.to_value == str(stage("presentation").pk)


def test_a_deal_cannot_move_into_another_pipelines_stage(rhys: User) -> None:
    other = Pipeline.objects.create(name="Short", slug="short")
    foreign = Stage.objects.create(
        pipeline=other, name="Talk", slug="talk", order=1, probability=50
    )
    with pytest.raises(ValidationError):
        deal_move_stage(actor=rhys, deal=make_deal(owner=rhys), stage=foreign)


def test_moving_into_the_won_stage_wins_and_into_lost_needs_a_reason(rhys: User) -> None:
    deal = deal_move_stage(actor=rhys, deal=make_deal(owner=rhys), stage=stage("won"))
    assert deal.status == DealStatus.WON and deal.closed_at is not None
    other = make_deal(owner=rhys)
    with pytest.raises(ValidationError):
        deal_move_stage(actor=rhys, deal=other, stage=stage("lost"))
    other = deal_move_stage(actor=rhys, deal=other, stage=stage("lost"), lost_reason="Price")
    assert other.status == DealStatus.LOST and other.lost_reason == "Price"


def test_a_closed_deal_does_not_move(rhys: User) -> None:
    deal = deal_win(actor=rhys, deal=make_deal(owner=rhys), amount=Decimal("10"))
    with pytest.raises(ValidationError):
        deal_move_stage(actor=rhys, deal=deal, stage=stage("closing"))
    with pytest.raises(ValidationError):
        deal_lose(actor=rhys, deal=deal, reason="changed mind")


def test_winning_records_the_amount(rhys: User) -> None:
    deal = deal_win(actor=rhys, deal=make_deal(owner=rhys), amount=Decimal("999.50"))
    assert Event.objects.get(deal=deal, kind=EventKind.WON).data == {"amount": "999.50"}


def test_two_people_editing_the_same_deal_do_not_overwrite_each_other(rhys: User) -> None:
    deal = make_deal(owner=rhys)
    deal_update(actor=rhys, deal=deal, version=1, title="Bigger deal")
    with pytest.raises(ConflictError) as exc:
        deal_update(actor=rhys, deal=deal, version=1, amount=Decimal("5"))
    assert exc.value.current_version == 2


def test_a_negative_amount_is_refused(rhys: User) -> None:
    with pytest.raises(ValidationError):
        make_deal(owner=rhys, amount=Decimal("-1"))
