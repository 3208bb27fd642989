"""``/api/v1/routing``: rules for heads of sales and admins only, queues for everyone."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from leadflow.accounts.models import Team, User
from leadflow.core.tests.api_client import ApiClient
from leadflow.factories import make_lead
from leadflow.leads.services import lead_assign
from leadflow.routing.models import FirstResponse, RoutingRule, Strategy
from leadflow.routing.services import routing_rule_create, sla_check

pytestmark = pytest.mark.django_db


def a_rule(team: Team, name: str = "North") -> RoutingRule:
    return routing_rule_create(actor=None, name=name, strategy=Strategy.ROUND_ROBIN, team=team)


@pytest.mark.parametrize("who", ["rhys", "mia"])
def test_only_heads_of_sales_and_admins_may_read_or_change_rules(
    who: str, north: Team, rhys: User, mia: User
) -> None:
    rule = a_rule(north)
    api = ApiClient({"rhys": rhys, "mia": mia}[who])

    answers = [
        api.get("/routing/rules"),
        api.post("/routing/rules", {"name": "Mine", "strategy": "round_robin", "team": north.pk}),
        api.get(f"/routing/rules/{rule.pk}"),
        api.patch(f"/routing/rules/{rule.pk}", {"name": "Mine"}),
        api.post(f"/routing/rules/{rule.pk}/move", {"direction": "up"}),
        api.delete(f"/routing/rules/{rule.pk}"),
        api.patch("/routing/targets/hot", {"minutes": 1}),
        api.get("/routing/load"),
    ]

    assert [answer.status_code for answer in answers] == [403] * len(answers)
    assert "head of sales" in answers[0].json()["detail"]
    assert RoutingRule.objects.get().name == "North"


def test_the_head_of_sales_adds_a_rule_with_conditions_and_a_pool(
    harriet: User, rhys: User, rosa: User
) -> None:
    response = ApiClient(harriet).post(
        "/routing/rules",
        {
            "name": "Hot web leads from Wales",
            "strategy": "least_loaded",
            "temperatures": ["hot"],
            "channels": ["web-form"],
            "regions": ["Wales"],
            "score_max": 100,
            "pool": [rhys.pk, rosa.pk],
            "reassign_on_breach": True,
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["channels"] == ["web-form"] and body["pool"] == [rhys.pk, rosa.pk]
    assert (body["position"], body["version"], body["team"]) == (0, 1, None)

    lead = make_lead(purchase_timeframe="now", region="Wales")
    assert lead.owner in (rhys, rosa)


def test_a_rule_that_names_nobody_to_give_leads_to_is_refused(harriet: User) -> None:
    response = ApiClient(harriet).post("/routing/rules", {"name": "X", "strategy": "round_robin"})

    assert response.status_code == 422
    assert ["body", "team"] in [issue["loc"] for issue in response.json()["detail"]]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"team": 999999}, ["body", "team"]),
        ({"channels": ["no-such-channel"]}, ["body", "channels"]),
        ({"temperatures": ["tepid"]}, ["body", "temperatures", 0]),
        ({"score_min": 80, "score_max": 20}, ["body", "score_max"]),
        ({"colour": "blue"}, ["body", "colour"]),
    ],
)
def test_a_bad_rule_is_refused_field_by_field(
    harriet: User, north: Team, body: dict[str, Any], loc: list[Any]
) -> None:
    response = ApiClient(harriet).post(
        "/routing/rules", {"name": "X", "strategy": "round_robin", "team": north.pk, **body}
    )

    assert response.status_code == 422, response.content
    assert loc in [issue["loc"] for issue in response.json()["detail"]]


def test_editing_a_rule_needs_the_version_you_read(alice: User, north: Team) -> None:
    rule = a_rule(north)
    api = ApiClient(alice)

    first = api.patch(f"/routing/rules/{rule.pk}", {"version": 1, "temperatures": ["warm"]})
    stale = api.patch(f"/routing/rules/{rule.pk}", {"version": 1, "active": False})

    assert first.status_code == 200 and first.json()["temperatures"] == ["warm"]
    assert first.json()["team"] == north.pk and first.json()["version"] == 2
    assert (stale.status_code, stale.json()["current_version"]) == (409, 2)


def test_rules_move_up_and_down_and_are_deleted(harriet: User, north: Team) -> None:
    first, second, third = (a_rule(north, name) for name in ("A", "B", "C"))
    api = ApiClient(harriet)

    moved = api.post(f"/routing/rules/{third.pk}/move", {"direction": "up"})
    top = api.post(f"/routing/rules/{first.pk}/move", {"direction": "up"})
    deleted = api.delete(f"/routing/rules/{second.pk}")

    assert [item["name"] for item in moved.json()["items"]] == ["A", "C", "B"]
    assert [item["name"] for item in top.json()["items"]] == ["A", "C", "B"]
    assert deleted.status_code == 204
    assert [item["name"] for item in api.get("/routing/rules").json()["items"]] == ["A", "C"]
    assert api.get(f"/routing/rules/{second.pk}").status_code == 404


def test_the_head_of_sales_sets_a_first_response_target(harriet: User) -> None:
    api = ApiClient(harriet)

    response = api.patch("/routing/targets/warm", {"minutes": 120})

    assert response.status_code == 200
    targets = {item["temperature"]: item for item in api.get("/routing/targets").json()["items"]}
    assert targets["warm"]["minutes"] == 120 and targets["hot"]["minutes"] == 15
    assert targets["cold"]["business_days"] == 2


def test_a_reps_queue_lists_first_contacts_due_soonest_then_by_score(
    rhys: User, rosa: User
) -> None:
    cold = lead_assign(actor=None, lead=make_lead(), owner=rhys)
    hot = lead_assign(actor=None, lead=make_lead(purchase_timeframe="now"), owner=rhys)
    warm = lead_assign(actor=None, lead=make_lead(purchase_timeframe="1_month"), owner=rhys)
    contacted = lead_assign(actor=None, lead=make_lead(purchase_timeframe="now"), owner=rhys)
    FirstResponse.objects.filter(lead=contacted).update(met_at=timezone.now())
    lead_assign(actor=None, lead=make_lead(purchase_timeframe="now"), owner=rosa)
    api = ApiClient(rhys)

    page = api.get("/routing/queue", {"limit": 2}).json()
    rest = api.get("/routing/queue", {"limit": 2, "cursor": page["next_cursor"]}).json()

    assert [item["id"] for item in page["items"]] == [hot.pk, warm.pk]
    assert [item["id"] for item in rest["items"]] == [cold.pk, contacted.pk]
    assert rest["next_cursor"] is None
    assert page["items"][0]["response_due_at"] is not None
    assert rest["items"][1]["response_due_at"] is None
    assert api.get("/routing/queue", {"cursor": "nonsense"}).status_code == 422


def test_the_head_of_sales_sees_unassigned_leads_breaches_and_each_reps_load(
    harriet: User, rhys: User, rosa: User, sam: User, north: Team
) -> None:
    waiting = make_lead(purchase_timeframe="now")
    rhys_lead = lead_assign(actor=None, lead=make_lead(purchase_timeframe="now"), owner=rhys)
    lead_assign(actor=None, lead=make_lead(purchase_timeframe="now"), owner=sam)
    sla_check(now=timezone.now() + datetime.timedelta(minutes=30))
    api = ApiClient(harriet)

    unassigned = api.get("/routing/unassigned").json()["items"]
    breaches = api.get("/routing/breaches").json()["items"]
    load = {row["username"]: row for row in api.get("/routing/load").json()["items"]}

    assert [item["id"] for item in unassigned] == [waiting.pk]
    assert unassigned[0]["response_breached"] is True
    # sam's lead is another team's: harriet does not see it.
    assert {item["lead"]["id"] for item in breaches} == {waiting.pk, rhys_lead.pk}
    assert set(load) == {"rhys", "rosa"}
    assert (load["rhys"]["open_leads"], load["rhys"]["capacity"]) == (1, 200)
    assert load["rhys"]["breached"] == 1 and load["rosa"]["open_leads"] == 0


def test_a_rep_sees_no_other_teams_leads_in_the_unassigned_list(
    rhys: User, sam: User, south: Team
) -> None:
    a_rule(south, "South")
    sam.is_available = False
    sam.save()
    make_lead()  # routed to South's pool: nobody there is free

    assert ApiClient(rhys).get("/routing/unassigned").json()["items"] == []
    assert len(ApiClient(sam).get("/routing/unassigned").json()["items"]) == 1


def test_the_head_of_sales_routes_the_waiting_leads_again(
    harriet: User, rhys: User, north: Team
) -> None:
    waiting = make_lead()
    a_rule(north)

    response = ApiClient(harriet).post("/routing/unassigned/route", {})
    refused = ApiClient(rhys).post("/routing/unassigned/route", {})

    assert response.status_code == 200
    assert response.json() == {"assigned": 1, "still_waiting": 0, "first_tasks": 0}
    waiting.refresh_from_db()
    assert waiting.owner == rhys
    assert refused.status_code == 403
