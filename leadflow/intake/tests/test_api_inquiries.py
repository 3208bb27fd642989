"""``POST /api/v1/inquiries`` and its batch: outcomes, idempotency, refusals."""

from __future__ import annotations

import json
from typing import Any

import pytest

from leadflow.core.tests.api_client import PREFIX, ApiClient
from leadflow.factories import make_contact
from leadflow.intake.models import Inquiry
from leadflow.leads.models import Lead

pytestmark = pytest.mark.django_db

ADA = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "channel": "api"}


def post(client: ApiClient, path: str, body: Any, key: str = "") -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return client.client.post(
        PREFIX + path, json.dumps(body), content_type="application/json", headers=headers
    )


def test_an_inquiry_answers_its_outcome_and_lead(rhys) -> None:
    response = post(
        ApiClient(rhys), "/inquiries", {**ADA, "message": "Call me", "utm": {"utm_source": "news"}}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["outcome"] == "created"
    assert body["channel"] == "api"
    inquiry = Inquiry.objects.get(pk=body["id"])
    assert inquiry.lead_id == body["lead_id"]
    assert inquiry.utm == {"utm_source": "news"}
    assert inquiry.submitted_by == rhys


def test_the_same_idempotency_key_replays_the_first_answer(rhys) -> None:
    client = ApiClient(rhys)
    first = post(client, "/inquiries", ADA, key="order-17")
    again = post(client, "/inquiries", ADA, key="order-17")
    assert again.status_code == first.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Inquiry.objects.count() == 1


def test_the_same_key_with_a_different_body_is_refused(rhys) -> None:
    client = ApiClient(rhys)
    post(client, "/inquiries", ADA, key="order-17")
    response = post(client, "/inquiries", {**ADA, "message": "changed"}, key="order-17")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "Idempotency-Key"]
    assert Inquiry.objects.count() == 1


def test_keys_belong_to_their_sender(rhys, sam) -> None:
    post(ApiClient(rhys), "/inquiries", ADA, key="k1")
    response = post(ApiClient(sam), "/inquiries", {**ADA, "message": "other"}, key="k1")
    assert response.status_code == 201


def test_a_second_identical_post_without_a_key_is_a_double_submit(rhys) -> None:
    client = ApiClient(rhys)
    first = post(client, "/inquiries", ADA)
    again = post(client, "/inquiries", ADA)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]


def test_a_known_person_is_attached(rhys) -> None:
    client = ApiClient(rhys)
    first = post(client, "/inquiries", ADA).json()
    second = post(client, "/inquiries", {**ADA, "channel": "chat"}).json()
    assert second["outcome"] == "attached"
    assert second["lead_id"] == first["lead_id"]
    assert Lead.objects.count() == 1


def test_bad_fields_are_refused_field_by_field_and_nothing_is_stored(rhys) -> None:
    response = post(ApiClient(rhys), "/inquiries", {**ADA, "phone": "12", "channel": "nope"})
    assert response.status_code == 422
    locs = {tuple(issue["loc"]) for issue in response.json()["detail"]}
    assert ("body", "channel") in locs or ("body", "phone") in locs
    assert Inquiry.objects.count() == 0


def test_an_unknown_referrer_is_refused(rhys, sam) -> None:
    other_teams_contact = make_contact(owner=sam)
    response = post(ApiClient(rhys), "/inquiries", {**ADA, "referred_by": other_teams_contact.pk})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "referred_by"]


def test_without_a_token_the_answer_is_401() -> None:
    assert post(ApiClient(), "/inquiries", ADA).status_code == 401


def test_a_batch_records_each_item_on_its_own(rhys) -> None:
    items = [
        ADA,
        {**ADA, "email": "broken@", "last_name": "Broken"},
        {"channel": "api", "message": "just browsing"},
        {**ADA, "channel": "chat"},
    ]
    response = post(ApiClient(rhys), "/inquiries/batch", {"items": items})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert [result["status"] for result in body["results"]] == [201, 422, 201, 201]
    assert body["results"][1]["detail"][0]["loc"] == ["body", "items", 1, "email"]
    outcomes = [r["inquiry"]["outcome"] for r in body["results"] if r["inquiry"] is not None]
    assert outcomes == ["created", "interest", "attached"]
    assert body["counts"] == {"created": 1, "refused": 1, "interest": 1, "attached": 1}
    assert Inquiry.objects.count() == 3


def test_a_batch_over_a_thousand_items_is_refused(rhys) -> None:
    response = post(ApiClient(rhys), "/inquiries/batch", {"items": [ADA] * 1001})
    assert response.status_code == 422
    assert Inquiry.objects.count() == 0


def test_a_batch_is_idempotent_too(rhys) -> None:
    client = ApiClient(rhys)
    first = post(client, "/inquiries/batch", {"items": [ADA]}, key="batch-1").json()
    again = post(client, "/inquiries/batch", {"items": [ADA]}, key="batch-1").json()
    assert again == first
    assert Inquiry.objects.count() == 1
