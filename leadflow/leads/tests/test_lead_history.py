"""The lead card's history says why things happened: which rule, which strategy, whose reason."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from leadflow.accounts.models import Team, User
from leadflow.activities.services import activity_create
from leadflow.core.models import Event, EventKind
from leadflow.factories import make_lead
from leadflow.leads.models import Lead
from leadflow.leads.selectors import lead_timeline
from leadflow.leads.services import lead_assign, lead_qualify
from leadflow.routing.models import RoutingRule
from leadflow.routing.services import routing_rule_create
from leadflow.scoring.models import QualificationRule, ScoringRule
from leadflow.web.timeline import timeline_entries

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_default_rules() -> None:
    ScoringRule.objects.all().delete()
    QualificationRule.objects.all().delete()
    RoutingRule.objects.all().delete()


def card(client: Client, user: User, lead: Lead) -> str:
    client.force_login(user)
    response = client.get(f"/leads/{lead.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def because(lead: Lead, title: str) -> list[str]:
    return [
        entry.because
        for entry in timeline_entries(lead_timeline(lead=lead))
        if entry.title == title
    ]


def test_a_routed_lead_shows_the_rule_and_strategy_that_chose_its_owner(
    client: Client, harriet: User, rhys: User, north: Team
) -> None:
    routing_rule_create(actor=harriet, name="North round", strategy="round_robin", team=north)

    lead = make_lead(last_name="Routed")

    assert lead.owner == rhys
    page = card(client, harriet, lead)
    assert "Routing rule “North round”, strategy round robin" in page
    assert "round robin: next in turn is rhys (of 1 free)" in page


def test_the_history_names_who_routing_passed_over_and_why(
    client: Client, harriet: User, rhys: User, rosa: User, north: Team
) -> None:
    rosa.capacity = 0
    rosa.save(update_fields=["capacity"])
    routing_rule_create(actor=harriet, name="North least", strategy="least_loaded", team=north)

    lead = make_lead()

    assert lead.owner == rhys
    [text] = because(lead, "Owner changed")
    assert "strategy least loaded" in text
    assert "passed over: rosa (at capacity 0/0)" in text


def test_a_manual_reassignment_shows_the_reason_given(
    client: Client, harriet: User, rhys: User, rosa: User
) -> None:
    lead = make_lead(actor=rhys, owner=rhys)

    lead_assign(actor=harriet, lead=lead, owner=rosa, reason="Speaks Welsh")

    assert "Reason: Speaks Welsh" in card(client, harriet, lead)


def test_a_score_change_names_the_scoring_rules_behind_it(client: Client, harriet: User) -> None:
    ScoringRule.objects.create(
        name="Came by referral", field="channel", operator="eq", value="referral", points=30
    )

    lead = make_lead(channel_slug="referral")

    assert lead.score == 30
    assert "Scoring rules that hold: “Came by referral”" in card(client, harriet, lead)


def test_a_funnel_rule_and_a_warming_call_are_named_on_the_card(
    client: Client, harriet: User, rhys: User
) -> None:
    QualificationRule.objects.create(
        name="Asked for a proposal",
        field="activity_outcome",
        operator="contains",
        value="proposal",
        funnel_class="sql",
    )
    lead = make_lead(actor=rhys, owner=rhys)

    activity_create(
        actor=rhys,
        kind="call",
        subject="Intro",
        lead=lead,
        done_at=timezone.now() - datetime.timedelta(hours=1),
        outcome="Wants a proposal",
    )

    page = card(client, harriet, lead)
    assert "Suspect → Sales-qualified" in page
    assert "Funnel rule “Asked for a proposal”" in page
    assert "warmed by a call, meeting or proposal that went well" in page


def test_a_person_set_temperature_and_funnel_class_show_their_reason(
    client: Client, harriet: User, rhys: User
) -> None:
    lead = make_lead(actor=rhys, owner=rhys)

    lead_qualify(actor=rhys, lead=lead, temperature="hot", funnel_class="mql", reason="Budget set")

    assert because(lead, "Temperature changed") == [
        "set by hand; stays until handed back to the automatic temperature · Reason: Budget set"
    ]
    assert because(lead, "Funnel class changed") == ["Reason: Budget set"]


def test_the_strategys_reason_is_said_when_the_card_is_read_not_when_it_was_routed(
    client: Client, harriet: User, rhys: User, north: Team
) -> None:
    routing_rule_create(actor=harriet, name="North round", strategy="round_robin", team=north)
    lead = make_lead()
    event = Event.objects.get(lead=lead, kind=EventKind.OWNER_CHANGED)
    assert event.data["why_parts"] == {"kind": "round_robin", "who": "rhys", "free": 1}
    # The words stored with the event are those of the language routing ran in.
    # (Rewritten in place only to stand for that; events are append-only.)
    Event.objects.filter(pk=event.pk).update(data={**event.data, "why": "sıradaki: rhys"})

    page = card(client, harriet, lead)

    assert "round robin: next in turn is rhys (of 1 free)" in page
    assert "sıradaki" not in page


def test_an_assignment_recorded_before_reasons_had_parts_shows_its_stored_words(
    harriet: User, rhys: User, north: Team
) -> None:
    routing_rule_create(actor=harriet, name="North round", strategy="round_robin", team=north)
    lead = make_lead()
    event = Event.objects.get(lead=lead, kind=EventKind.OWNER_CHANGED)
    old_style = {k: v for k, v in event.data.items() if k != "why_parts"}
    Event.objects.filter(pk=event.pk).update(
        data={**old_style, "why": "round robin: rhys was next"}
    )

    [text] = because(lead, "Owner changed")

    assert text == "Routing rule “North round”, strategy round robin · round robin: rhys was next"
