"""The scoring pages and the lead card's score panel as people use them."""

from __future__ import annotations

import pytest
from django.test import Client

from leadflow.accounts.models import User
from leadflow.activities.services import activity_create
from leadflow.factories import make_lead
from leadflow.scoring.models import QualificationRule, ScoringRule

pytestmark = pytest.mark.django_db


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def test_a_rep_reads_the_rules_but_gets_no_edit_links(client: Client, rhys: User) -> None:
    response = signed_in(client, rhys).get("/scoring/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Buying now" in page and "Hot" in page
    assert "/scoring/rules/new/" not in page


@pytest.mark.parametrize("path", ["/scoring/rules/new/", "/scoring/funnel-rules/new/"])
def test_a_rep_cannot_open_a_rule_form(client: Client, rhys: User, path: str) -> None:
    assert signed_in(client, rhys).get(path).status_code == 403


def test_a_rep_cannot_edit_or_delete_a_rule(client: Client, rhys: User) -> None:
    rule = ScoringRule.objects.get(name="Buying now")
    client = signed_in(client, rhys)

    assert client.post(f"/scoring/rules/{rule.pk}/delete/", {"version": 1}).status_code == 403
    assert client.post(f"/scoring/rules/{rule.pk}/edit/", {"version": 1}).status_code == 403
    assert ScoringRule.objects.filter(pk=rule.pk).exists()


def test_the_head_of_sales_adds_a_rule_and_the_leads_are_rescored(
    client: Client, harriet: User, django_capture_on_commit_callbacks: object
) -> None:
    lead = make_lead(custom={"industry": "Energy"})
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = signed_in(client, harriet).post(
            "/scoring/rules/new/",
            {
                "name": "Energy sector",
                "field": "custom",
                "attribute": "industry",
                "operator": "eq",
                "value": "energy",
                "points": "25",
                "is_active": "on",
            },
        )

    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.score == 25


def test_a_rule_form_shows_what_is_wrong(client: Client, mia: User) -> None:
    response = signed_in(client, mia).post(
        "/scoring/rules/new/",
        {"name": "Big", "field": "custom", "operator": "gte", "value": "many", "points": "5"},
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Name the custom attribute." in page
    assert "This test needs a number." in page


def test_deleting_a_rule_asks_first_and_then_deletes(client: Client, mia: User) -> None:
    rule = QualificationRule.objects.get(name="Hot")
    client = signed_in(client, mia)

    confirm = client.get(f"/scoring/funnel-rules/{rule.pk}/delete/").content.decode()
    assert "data-confirm" in confirm
    response = client.post(f"/scoring/funnel-rules/{rule.pk}/delete/", {"version": rule.version})

    assert response.status_code == 302
    assert not QualificationRule.objects.filter(pk=rule.pk).exists()


def test_editing_a_rule_with_a_stale_version_is_a_conflict(client: Client, mia: User) -> None:
    rule = ScoringRule.objects.get(name="Buying now")
    data = {
        "name": "Buying now",
        "field": "purchase_timeframe",
        "operator": "eq",
        "value": "now",
        "points": "40",
        "version": rule.version + 1,
    }
    response = signed_in(client, mia).post(f"/scoring/rules/{rule.pk}/edit/", data)

    assert response.status_code == 409
    assert ScoringRule.objects.get(pk=rule.pk).points == 30


def test_the_model_page_says_when_there_is_too_little_history(client: Client, rhys: User) -> None:
    page = signed_in(client, rhys).get("/scoring/model/").content.decode()

    assert "Not enough closed history" in page
    assert "No model trained yet" in page
    assert "Train now" not in page


def test_training_from_the_model_page_with_too_little_history_explains(
    client: Client, harriet: User
) -> None:
    response = signed_in(client, harriet).post("/scoring/model/train/", follow=True)

    assert "training needs at least 50" in response.content.decode()


def test_the_lead_card_shows_which_rules_fired(client: Client, rhys: User) -> None:
    lead = make_lead(actor=rhys, owner=rhys, purchase_timeframe="now", company_name="Acme")
    activity_create(actor=rhys, kind="call", subject="Intro", lead=lead, done_at=lead.created_at)

    page = signed_in(client, rhys).get(f"/leads/{lead.pk}/").content.decode()

    assert "Rules that fired" in page
    assert "Buying now" in page and "Talked on the phone" in page
    assert "No trained model yet" in page
