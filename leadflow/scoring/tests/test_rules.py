"""Rule points with decay, the score combination, funnel rules and temperature."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from leadflow.activities.services import activity_complete, activity_create
from leadflow.core.models import Event, EventKind
from leadflow.factories import make_deal, make_lead
from leadflow.leads.models import FunnelClass, Lead, Temperature
from leadflow.leads.services import lead_qualify
from leadflow.sales.services import deal_lose, deal_win, lead_convert
from leadflow.scoring.models import LeadScore, QualificationRule, ScoringRule
from leadflow.scoring.rules import combine, decayed
from leadflow.scoring.services import lead_score_refresh

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_default_rules() -> None:
    ScoringRule.objects.all().delete()
    QualificationRule.objects.all().delete()


def days_ago(days: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def test_points_fade_by_half_every_half_life() -> None:
    assert decayed(20, 0, 10) == 20
    assert decayed(20, 10, 10) == pytest.approx(10)
    assert decayed(20, 30, 10) == pytest.approx(2.5)
    assert decayed(20, 365, None) == 20


def test_a_meeting_rule_fires_with_points_faded_by_the_meetings_age() -> None:
    ScoringRule.objects.create(
        name="Held a meeting",
        field="activity_count",
        activity_kind="meeting",
        operator="gte",
        value="1",
        points=40,
        half_life_days=10,
    )
    lead = make_lead()
    activity_create(actor=None, kind="meeting", subject="Demo", lead=lead, done_at=days_ago(10))

    lead.refresh_from_db()
    detail = LeadScore.objects.get(lead=lead)
    assert [rule["name"] for rule in detail.rules] == ["Held a meeting"]
    assert detail.rules[0]["earned"] == pytest.approx(20, abs=0.1)
    assert lead.score == 20


def test_field_and_custom_attribute_rules_add_up_and_the_score_stays_within_0_and_100() -> None:
    ScoringRule.objects.create(
        name="Referral", field="channel", operator="eq", value="referral", points=70
    )
    ScoringRule.objects.create(
        name="Big firm",
        field="custom",
        attribute="employees",
        operator="gte",
        value="250",
        points=50,
    )
    ScoringRule.objects.create(
        name="Student", field="job_title", operator="contains", value="student", points=-30
    )
    big = make_lead(channel_slug="referral", custom={"employees": "300"})
    small = make_lead(custom={"employees": 12}, job_title="PhD Student")

    assert big.score == 100
    assert small.score == 0
    assert LeadScore.objects.get(lead=small).points == -30


def test_the_score_is_100_p_plus_points_with_a_model_and_points_alone_without() -> None:
    assert combine(25, None) == 25
    assert combine(-10, None) == 0
    assert combine(10, 0.42) == 52
    assert combine(30, 0.9) == 100
    assert combine(-50, 0.2) == 0


def test_a_funnel_rule_makes_a_lead_sales_qualified_with_an_event_naming_it() -> None:
    rule = QualificationRule.objects.create(
        name="Asked for a proposal",
        field="activity_outcome",
        operator="contains",
        value="proposal",
        funnel_class="sql",
    )
    lead = make_lead()
    assert lead.funnel_class == FunnelClass.SUSPECT

    activity_create(
        actor=None,
        kind="call",
        subject="Call",
        lead=lead,
        done_at=days_ago(0),
        outcome="Wants a proposal",
    )

    lead.refresh_from_db()
    assert lead.funnel_class == FunnelClass.SQL
    event = Event.objects.get(lead=lead, kind=EventKind.FUNNEL_CLASS_CHANGED)
    assert (event.from_value, event.to_value) == ("suspect", "sql")
    assert event.data == {"rule": "Asked for a proposal", "rule_id": rule.pk}


def test_funnel_rules_never_move_a_lead_down(harriet: object) -> None:
    QualificationRule.objects.create(
        name="Score 10", field="score", operator="gte", value="10", funnel_class="mql"
    )
    lead = make_lead()
    lead = lead_qualify(actor=None, lead=lead, funnel_class="sql")

    lead_score_refresh(lead=lead)

    assert Lead.objects.get(pk=lead.pk).funnel_class == FunnelClass.SQL


def test_a_positive_call_warms_a_cold_lead_and_says_why() -> None:
    lead = make_lead()
    assert lead.temperature == Temperature.COLD

    activity_create(
        actor=None,
        kind="call",
        subject="Intro",
        lead=lead,
        done_at=days_ago(1),
        outcome="Interested, wants a demo",
    )

    lead.refresh_from_db()
    assert lead.temperature == Temperature.WARM
    event = Event.objects.get(lead=lead, kind=EventKind.TEMPERATURE_CHANGED)
    assert event.data == {"rule": "positive activity"}
    assert event.actor is None


def test_completing_a_planned_call_with_a_positive_outcome_warms_the_lead() -> None:
    lead = make_lead(purchase_timeframe="2_months")
    call = activity_create(actor=None, kind="call", subject="Call", lead=lead, due_at=days_ago(0))

    activity_complete(actor=None, activity=call, outcome="Shortlisted us")

    assert Lead.objects.get(pk=lead.pk).temperature == Temperature.HOT


def test_a_temperature_a_person_set_does_not_follow_activities() -> None:
    lead = lead_qualify(actor=None, lead=make_lead(), temperature="cold")

    activity_create(
        actor=None,
        kind="meeting",
        subject="Demo",
        lead=lead,
        done_at=days_ago(0),
        outcome="Agreed terms",
    )

    assert Lead.objects.get(pk=lead.pk).temperature == Temperature.COLD


def test_a_long_silence_cools_a_warm_lead(settings: object) -> None:
    lead = make_lead(purchase_timeframe="1_month")
    Lead.objects.filter(pk=lead.pk).update(created_at=days_ago(50))
    lead.refresh_from_db()

    lead_score_refresh(lead=lead)

    assert Lead.objects.get(pk=lead.pk).temperature == Temperature.COLD
    event = Event.objects.get(lead=lead, kind=EventKind.TEMPERATURE_CHANGED)
    assert event.data["rule"] == "no activity for 45 days"


def test_winning_or_losing_the_deal_records_the_converted_leads_outcome(rhys: object) -> None:
    won_lead, lost_lead = make_lead(), make_lead()
    won = lead_convert(actor=None, lead=won_lead, create_deal=True).deal
    lost = lead_convert(actor=None, lead=lost_lead, create_deal=True).deal
    assert won is not None and lost is not None

    deal_win(actor=None, deal=won)
    deal_lose(actor=None, deal=lost, reason="Price")

    assert Lead.objects.get(pk=won_lead.pk).outcome == "won"
    assert Lead.objects.get(pk=lost_lead.pk).outcome == "lost"
    assert make_deal().lead_id is None  # a deal without a lead records nothing anywhere
