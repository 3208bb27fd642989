"""A funnel class a person set holds against the funnel rules until something new happens."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from leadflow.activities.services import activity_create
from leadflow.core.models import Event, EventKind
from leadflow.factories import channel, make_lead
from leadflow.intake.models import InquiryOutcome
from leadflow.intake.services import inquiry_submit
from leadflow.leads.models import FunnelClass, Lead
from leadflow.leads.services import lead_qualify
from leadflow.scoring.models import QualificationRule, ScoringRule
from leadflow.scoring.services import lead_score_refresh, leads_score_refresh

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def referrals_are_marketing_qualified() -> None:
    ScoringRule.objects.all().delete()
    QualificationRule.objects.all().delete()
    ScoringRule.objects.create(
        name="Came by referral", field="channel", operator="eq", value="referral", points=30
    )
    QualificationRule.objects.create(
        name="Score 20 or more", field="score", operator="gte", value="20", funnel_class="mql"
    )


def funnel_class(lead: Lead) -> str:
    return Lead.objects.get(pk=lead.pk).funnel_class


def downgraded_referral() -> Lead:
    lead = make_lead(channel_slug="referral", email="ayse@example.com")
    assert lead.funnel_class == FunnelClass.MQL  # the rule lifted it
    return lead_qualify(actor=None, lead=lead, funnel_class="suspect", reason="A student")


def test_a_person_moving_a_lead_down_is_not_undone_by_the_next_rescore() -> None:
    lead = downgraded_referral()

    lead_score_refresh(lead=lead)

    assert funnel_class(lead) == FunnelClass.SUSPECT
    assert Lead.objects.get(pk=lead.pk).funnel_class_set_at is not None


def test_the_reps_own_emails_and_a_flat_call_do_not_lift_it_again() -> None:
    lead = downgraded_referral()
    now = timezone.now()

    activity_create(actor=None, kind="email", subject="Brochure", lead=lead, done_at=now)
    activity_create(
        actor=None, kind="call", subject="Chase", lead=lead, done_at=now, outcome="No reply"
    )

    assert funnel_class(lead) == FunnelClass.SUSPECT


def test_a_call_that_goes_well_after_the_downgrade_lets_the_rule_lift_it_again() -> None:
    lead = downgraded_referral()

    activity_create(
        actor=None,
        kind="call",
        subject="Follow-up",
        lead=lead,
        done_at=timezone.now(),
        outcome="Interested after all, wants a demo",
    )

    assert funnel_class(lead) == FunnelClass.MQL
    event = Event.objects.filter(lead=lead, kind=EventKind.FUNNEL_CLASS_CHANGED).latest("pk")
    assert (event.from_value, event.to_value, event.actor) == ("suspect", "mql", None)
    assert event.data["rule"] == "Score 20 or more"


def test_a_good_call_from_before_the_downgrade_does_not_count() -> None:
    lead = make_lead(channel_slug="referral")
    activity_create(
        actor=None,
        kind="call",
        subject="Intro",
        lead=lead,
        done_at=timezone.now() - datetime.timedelta(days=3),
        outcome="Interested",
    )
    lead = lead_qualify(actor=None, lead=Lead.objects.get(pk=lead.pk), funnel_class="suspect")

    lead_score_refresh(lead=lead)

    assert funnel_class(lead) == FunnelClass.SUSPECT


def test_the_person_getting_in_touch_again_lets_the_rule_lift_it() -> None:
    lead = downgraded_referral()

    inquiry = inquiry_submit(
        actor=None,
        channel=channel("web-form"),
        fields={"first_name": "Ada", "last_name": lead.last_name, "email": "ayse@example.com"},
    )
    assert (inquiry.outcome, inquiry.lead_id) == (InquiryOutcome.ATTACHED, lead.pk)
    lead_score_refresh(lead=Lead.objects.get(pk=lead.pk))

    assert funnel_class(lead) == FunnelClass.MQL


def test_rules_still_lift_leads_nobody_classified_by_hand() -> None:
    lead = make_lead(channel_slug="referral")
    lead_qualify(actor=None, lead=lead, temperature="hot")  # not the funnel class

    lead_score_refresh(lead=Lead.objects.get(pk=lead.pk))

    assert funnel_class(lead) == FunnelClass.MQL
    assert Lead.objects.get(pk=lead.pk).funnel_class_set_at is None


def test_rescoring_every_lead_after_a_new_rule_keeps_the_hold() -> None:
    held = downgraded_referral()
    QualificationRule.objects.create(
        name="Referrals are sales-qualified",
        field="channel",
        operator="eq",
        value="referral",
        funnel_class="sql",
    )
    other = make_lead(channel_slug="referral")  # created after the rule: lifted at once

    leads_score_refresh([held.pk, other.pk])

    assert funnel_class(held) == FunnelClass.SUSPECT
    assert funnel_class(other) == FunnelClass.SQL
