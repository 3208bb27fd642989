"""``/api/v1/scoring``: who may read and change rules, the model, a lead's score."""

from __future__ import annotations

import pytest

from leadflow.accounts.models import User
from leadflow.core.tests.api_client import ApiClient
from leadflow.factories import make_lead
from leadflow.scoring.models import ScoringRule

pytestmark = pytest.mark.django_db

RULE = {"name": "Energy", "field": "custom", "attribute": "industry", "operator": "eq"}


def test_everyone_reads_the_rules(rhys: User) -> None:
    body = ApiClient(rhys).get("/scoring/rules").json()

    assert "Buying now" in {rule["name"] for rule in body["items"]}
    funnel = ApiClient(rhys).get("/scoring/funnel-rules").json()
    assert {"Hot": "sql"}.items() <= {r["name"]: r["funnel_class"] for r in funnel["items"]}.items()


def test_a_rep_may_not_add_change_or_delete_rules(rhys: User) -> None:
    api = ApiClient(rhys)
    rule = ScoringRule.objects.get(name="Buying now")

    assert api.post("/scoring/rules", {**RULE, "value": "energy", "points": 5}).status_code == 403
    assert api.patch(f"/scoring/rules/{rule.pk}", {"points": 1}).status_code == 403
    assert api.delete(f"/scoring/rules/{rule.pk}").status_code == 403
    assert api.post("/scoring/model/train").status_code == 403


def test_a_marketer_adds_edits_and_deletes_a_rule(mia: User) -> None:
    api = ApiClient(mia)

    created = api.post("/scoring/rules", {**RULE, "value": "energy", "points": 5})
    assert created.status_code == 201, created.content
    rule_id = created.json()["id"]
    edited = api.patch(f"/scoring/rules/{rule_id}", {"points": 8, "version": 1})
    assert edited.status_code == 200 and edited.json()["points"] == 8
    stale = api.patch(f"/scoring/rules/{rule_id}", {"points": 9, "version": 1})
    assert stale.status_code == 409
    assert api.delete(f"/scoring/rules/{rule_id}").status_code == 204


def test_a_rule_the_service_refuses_answers_422_by_field(harriet: User) -> None:
    response = ApiClient(harriet).post("/scoring/rules", {**RULE, "value": "", "points": 5})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "value"]


def test_the_head_of_sales_adds_a_funnel_rule(harriet: User) -> None:
    response = ApiClient(harriet).post(
        "/scoring/funnel-rules",
        {
            "name": "Met",
            "field": "activity_count",
            "activity_kind": "meeting",
            "operator": "gte",
            "value": "1",
            "funnel_class": "sql",
        },
    )

    assert response.status_code == 201, response.content


def test_there_is_no_model_before_training_and_training_needs_history(harriet: User) -> None:
    api = ApiClient(harriet)

    assert api.get("/scoring/model").status_code == 404
    refused = api.post("/scoring/model/train")
    assert refused.status_code == 422
    assert "at least 50" in refused.json()["detail"][0]["msg"]


def test_a_leads_score_shows_the_rules_that_fired(rhys: User, sam: User) -> None:
    lead = make_lead(actor=rhys, owner=rhys, purchase_timeframe="now")
    body = ApiClient(rhys).get(f"/scoring/leads/{lead.pk}").json()

    assert body["score"] == 30
    assert body["predicted_probability"] is None
    assert [rule["name"] for rule in body["rules"]] == ["Buying now"]
    assert ApiClient(sam).get(f"/scoring/leads/{lead.pk}").status_code == 404
