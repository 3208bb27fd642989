"""Routing pages: rules for the head of sales, the rep's queue, the head of sales' view."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from leadflow.accounts.models import Team, User
from leadflow.core.models import AuditEvent
from leadflow.factories import make_lead
from leadflow.leads.services import lead_assign
from leadflow.routing.models import ResponseTarget, RoutingRule, Strategy
from leadflow.routing.services import routing_rule_create, sla_check

pytestmark = pytest.mark.django_db


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def text(response: Any) -> str:
    return str(response.content.decode())


def a_rule(team: Team, name: str) -> RoutingRule:
    return routing_rule_create(actor=None, name=name, strategy=Strategy.ROUND_ROBIN, team=team)


@pytest.mark.parametrize(
    "path", ["/routing/", "/routing/rules/", "/routing/rules/new/", "/routing/targets/"]
)
def test_reps_and_marketers_may_not_open_the_routing_settings(
    client: Client, rhys: User, mia: User, path: str
) -> None:
    assert signed_in(client, rhys).get(path).status_code == 403
    assert signed_in(client, mia).get(path).status_code == 403


def test_the_rules_page_lists_rules_in_order_with_their_conditions(
    client: Client, harriet: User, north: Team
) -> None:
    routing_rule_create(
        actor=None,
        name="Hot to the best",
        strategy=Strategy.BEST_PERFORMER,
        team=north,
        temperatures=["hot"],
        countries=["GB"],
    )
    a_rule(north, "Everything else")

    page = text(signed_in(client, harriet).get("/routing/rules/"))

    assert page.index("Hot to the best") < page.index("Everything else")
    assert "temperature Hot; country GB" in page
    assert "anything (catch-all)" in page
    assert "Best performer" in page and "team North" in page


def test_the_rules_page_without_rules_explains_what_happens(client: Client, harriet: User) -> None:
    page = text(signed_in(client, harriet).get("/routing/rules/"))

    assert "No routing rules yet" in page


def test_the_head_of_sales_adds_a_rule_in_the_form(
    client: Client, harriet: User, north: Team, rhys: User
) -> None:
    response = signed_in(client, harriet).post(
        "/routing/rules/new/",
        {
            "name": "Cold to juniors",
            "active": "on",
            "temperatures": ["cold"],
            "countries": "gb, tr",
            "strategy": "junior_pool",
            "team": north.pk,
        },
    )

    assert response.status_code == 302
    rule = RoutingRule.objects.get()
    assert (rule.name, rule.temperatures, rule.countries) == (
        "Cold to juniors",
        ["cold"],
        ["GB", "TR"],
    )
    assert AuditEvent.objects.get(action="routing_rule.create").interface == "ui"


def test_a_rule_form_shows_what_the_service_refused(client: Client, harriet: User) -> None:
    response = signed_in(client, harriet).post(
        "/routing/rules/new/", {"name": "Nowhere", "strategy": "round_robin"}
    )

    assert response.status_code == 400
    assert "Choose a team or a pool of people" in text(response)
    assert not RoutingRule.objects.exists()


def test_editing_a_rule_keeps_what_was_not_changed(
    client: Client, harriet: User, north: Team
) -> None:
    rule = a_rule(north, "North")
    signed_in(client, harriet)
    form = client.get(f"/routing/rules/{rule.pk}/edit/")
    assert 'value="North"' in text(form)

    response = client.post(
        f"/routing/rules/{rule.pk}/edit/",
        {
            "version": rule.version,
            "name": "North, hot only",
            "active": "on",
            "temperatures": ["hot"],
            "strategy": "round_robin",
            "team": north.pk,
        },
    )

    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.temperatures, rule.team, rule.version) == (
        "North, hot only",
        ["hot"],
        north,
        2,
    )


def test_a_stale_rule_edit_is_a_conflict(client: Client, harriet: User, north: Team) -> None:
    rule = a_rule(north, "North")
    data = {"version": 1, "name": "A", "strategy": "round_robin", "team": north.pk}
    signed_in(client, harriet).post(f"/routing/rules/{rule.pk}/edit/", data)

    response = client.post(f"/routing/rules/{rule.pk}/edit/", {**data, "name": "B"})

    assert response.status_code == 409
    assert "Open the current version" in text(response)


def test_rules_move_up_and_down_and_deleting_asks_first(
    client: Client, harriet: User, north: Team
) -> None:
    first, second = a_rule(north, "First"), a_rule(north, "Second")
    signed_in(client, harriet)

    client.post(f"/routing/rules/{second.pk}/move/", {"direction": "up"})
    names = list(RoutingRule.objects.order_by("position").values_list("name", flat=True))
    confirm = client.get(f"/routing/rules/{first.pk}/delete/")
    deleted = client.post(f"/routing/rules/{first.pk}/delete/")

    assert names == ["Second", "First"]
    assert 'data-confirm="Delete this rule?"' in text(confirm)
    assert deleted.status_code == 302
    assert list(RoutingRule.objects.values_list("name", flat=True)) == ["Second"]


def test_the_head_of_sales_changes_the_first_response_targets(
    client: Client, harriet: User
) -> None:
    response = signed_in(client, harriet).post(
        "/routing/targets/",
        {
            "hot_minutes": 10,
            "hot_business_days": 0,
            "warm_minutes": 120,
            "warm_business_days": 0,
            "cold_minutes": 0,
            "cold_business_days": 3,
        },
    )

    assert response.status_code == 302
    assert ResponseTarget.objects.get(temperature="hot").minutes == 10
    assert ResponseTarget.objects.get(temperature="cold").business_days == 3


def test_a_reps_queue_shows_their_leads_most_urgent_first(
    client: Client, rhys: User, rosa: User
) -> None:
    cold = lead_assign(actor=None, lead=make_lead(last_name="Cold"), owner=rhys)
    hot = lead_assign(
        actor=None, lead=make_lead(last_name="Hot", purchase_timeframe="now"), owner=rhys
    )
    lead_assign(actor=None, lead=make_lead(last_name="Rosas"), owner=rosa)

    response = signed_in(client, rhys).get("/routing/queue/")

    page = text(response)
    assert [lead.pk for lead in response.context["page"].items] == [hot.pk, cold.pk]
    assert "Rosas" not in page
    assert "My queue" in page


def test_an_empty_queue_says_so(client: Client, rhys: User) -> None:
    assert "Your queue is empty" in text(signed_in(client, rhys).get("/routing/queue/"))


def test_the_head_of_sales_view_shows_load_late_first_contacts_and_unassigned_leads(
    client: Client, harriet: User, rhys: User, rosa: User
) -> None:
    waiting = make_lead(last_name="Waiting")
    late = lead_assign(
        actor=None, lead=make_lead(last_name="Late", purchase_timeframe="now"), owner=rhys
    )
    sla_check(now=timezone.now() + datetime.timedelta(minutes=20))

    response = signed_in(client, harriet).get("/routing/")

    page = text(response)
    assert [row.user for row in response.context["loads"]] == [rhys, rosa]
    assert "1 / 200" in page
    assert [breach.lead for breach in response.context["breaches"]] == [late]
    assert f"/leads/{late.pk}/assign/" in page
    assert [lead.pk for lead in response.context["unassigned"].items] == [waiting.pk]
    assert 'href="/routing/"' in page and 'aria-current="page">Routing' in page


def test_the_head_of_sales_reassigns_from_the_lead_card_with_a_reason(
    client: Client, harriet: User, rhys: User, rosa: User
) -> None:
    from leadflow.activities.models import Activity
    from leadflow.core.models import Event, EventKind

    lead = lead_assign(actor=None, lead=make_lead(), owner=rhys)
    signed_in(client, harriet)
    assert "Reason (optional)" in text(client.get(f"/leads/{lead.pk}/assign/"))

    response = client.post(
        f"/leads/{lead.pk}/assign/",
        {"version": lead.version, "owner": rosa.pk, "reason": "Rhys is on holiday"},
    )

    assert response.status_code == 302
    event = Event.objects.filter(lead=lead, kind=EventKind.OWNER_CHANGED).latest("pk")
    assert (event.to_value, event.data) == (str(rosa.pk), {"reason": "Rhys is on holiday"})
    assert Activity.objects.get(lead=lead, subject="Contact the lead").owner == rosa


def test_the_head_of_sales_routes_the_waiting_leads_again_from_the_page(
    client: Client, harriet: User, rhys: User, north: Team
) -> None:
    waiting = make_lead()
    a_rule(north, "North")
    signed_in(client, harriet)
    assert "Route them again" in text(client.get("/routing/"))

    response = client.post("/routing/route-waiting/", follow=True)

    assert "1 lead given an owner; 0 still waiting." in text(response)
    waiting.refresh_from_db()
    assert waiting.owner == rhys
