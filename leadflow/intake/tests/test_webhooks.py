"""Signed JSON webhooks at /hooks/<slug>/, and their set-up pages."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from leadflow.accounts.models import User
from leadflow.factories import channel, make_lead
from leadflow.intake.models import Campaign, Inquiry, InquiryOutcome, WebhookSource
from leadflow.intake.webhooks import (
    webhook_sign,
    webhook_source_create,
    webhook_source_update,
)
from leadflow.leads.models import Lead

pytestmark = pytest.mark.django_db

MAPPING = {
    "contact.email": "email",
    "contact.name.first": "first_name",
    "contact.name.last": "last_name",
    "contact.phone": "phone",
    "transcript": "message",
}
DOCUMENT = {
    "contact": {
        "email": "Iolo@Example.com",
        "name": {"first": "Iolo", "last": "Parry"},
        "phone": 442920180000,
        "locale": "cy",
    },
    "transcript": "Do you deliver to Bangor?",
    "bot": {"id": "widget-7", "tags": ["pricing", "delivery"]},
}


@pytest.fixture
def source(alice: User) -> WebhookSource:
    campaign = Campaign.objects.create(name="Chat launch", slug="chat-launch")
    return webhook_source_create(
        actor=alice,
        name="Website chat bot",
        slug="chatbot",
        channel=channel("chat"),
        campaign=campaign,
        field_mapping=MAPPING,
    )


def send(
    client: Client,
    source: WebhookSource,
    document: Any = DOCUMENT,
    *,
    secret: str | None = None,
    signature: str | None = None,
    **headers: str,
) -> Any:
    body = json.dumps(document).encode() if not isinstance(document, bytes) else document
    if signature is None:
        signature = webhook_sign(secret or source.secret, body)
    sent = {"X-Leadflow-Signature": signature} if signature else {}
    sent.update(headers)
    return client.post(
        f"/hooks/{source.slug}/", data=body, content_type="application/json", headers=sent
    )


def test_a_signed_document_becomes_an_inquiry_mapped_to_lead_fields(
    client: Client, source: WebhookSource
) -> None:
    response = send(client, source)
    assert response.status_code == 201, response.content
    answer = response.json()
    inquiry = Inquiry.objects.get()
    assert answer["id"] == inquiry.pk
    assert answer["outcome"] == "created" and answer["channel"] == "chat"
    assert answer["lead_id"] == inquiry.lead_id
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name, lead.email, lead.phone) == (
        "Iolo",
        "Parry",
        "iolo@example.com",
        "+442920180000",
    )
    assert lead.channel.slug == "chat" and lead.campaign == source.campaign
    assert inquiry.message == "Do you deliver to Bangor?"
    # Everything not mapped is kept as a custom attribute under its path.
    assert inquiry.custom == {
        "contact.locale": "cy",
        "bot.id": "widget-7",
        "bot.tags.0": "pricing",
        "bot.tags.1": "delivery",
    }
    assert lead.custom["bot.id"] == "widget-7"
    assert inquiry.payload["body"] == DOCUMENT


def test_a_known_person_is_attached_like_any_other_channel(
    client: Client, source: WebhookSource
) -> None:
    lead = make_lead(first_name="Iolo", last_name="Parry", email="iolo@example.com")
    answer = send(client, source).json()
    assert answer["outcome"] == "attached" and answer["lead_id"] == lead.pk


@pytest.mark.parametrize(
    "signature",
    ["", "sha256=" + "0" * 64, "md5=abc", "wrong-secret"],
)
def test_a_missing_or_wrong_signature_is_refused_with_401(
    client: Client, source: WebhookSource, signature: str
) -> None:
    if signature == "wrong-secret":
        response = send(client, source, secret="not-the-secret")
    else:
        response = send(client, source, signature=signature)
    assert response.status_code == 401
    assert "X-Leadflow-Signature" in response.json()["detail"]
    assert not Inquiry.objects.exists()


def test_the_signature_covers_the_exact_body(client: Client, source: WebhookSource) -> None:
    body = json.dumps(DOCUMENT).encode()
    signature = webhook_sign(source.secret, body)
    tampered = body.replace(b"Bangor", b"Bangr")
    response = send(client, source, tampered, signature=signature)
    assert response.status_code == 401


def test_an_idempotency_key_replays_the_first_answer(client: Client, source: WebhookSource) -> None:
    first = send(client, source, **{"Idempotency-Key": "msg-1"})
    again = send(client, source, **{"Idempotency-Key": "msg-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Inquiry.objects.count() == 1
    changed = send(
        client, source, {**DOCUMENT, "transcript": "Something else"}, **{"Idempotency-Key": "msg-1"}
    )
    assert changed.status_code == 422
    assert changed.json()["detail"][0]["loc"] == ["body", "Idempotency-Key"]


def test_a_value_that_cannot_be_right_is_a_422_naming_the_field(
    client: Client, source: WebhookSource
) -> None:
    document = {"contact": {"email": "iolo@@example", "name": {"last": "Parry"}}}
    response = send(client, source, document)
    assert response.status_code == 422
    issues = response.json()["detail"]
    assert issues[0]["loc"] == ["body", "email"]
    assert not Inquiry.objects.exists()


def test_a_mapped_path_holding_an_object_is_refused(
    client: Client, source: WebhookSource, alice: User
) -> None:
    webhook_source_update(actor=alice, source=source, field_mapping={"contact": "last_name"})
    response = send(client, source, {"contact": {"name": "Iolo"}})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "last_name"]


def test_a_body_that_is_not_a_json_object_is_a_400(client: Client, source: WebhookSource) -> None:
    assert send(client, source, b"not json").status_code == 400
    assert send(client, source, [1, 2]).status_code == 400


def test_unknown_and_switched_off_sources_are_404(
    client: Client, source: WebhookSource, alice: User
) -> None:
    assert (
        client.post("/hooks/nobody/", data=b"{}", content_type="application/json").status_code
        == 404
    )
    webhook_source_update(actor=alice, source=source, is_active=False)
    assert send(client, source).status_code == 404


def test_a_body_over_the_cap_is_a_413(client: Client, source: WebhookSource, settings: Any) -> None:
    settings.LEADFLOW_WEBHOOK_MAX_BYTES = 100
    response = send(client, source, {**DOCUMENT, "padding": "x" * 200})
    assert response.status_code == 413
    assert "detail" in response.json()


def test_a_source_sending_too_often_gets_429_with_retry_after(
    client: Client, source: WebhookSource, settings: Any
) -> None:
    settings.LEADFLOW_WEBHOOK_PER_MINUTE = 2
    for n in range(2):
        document = {"contact": {"email": f"p{n}@example.com", "name": {"last": "Parry"}}}
        assert send(client, source, document).status_code == 201
    refused = send(client, source, {"contact": {"email": "p9@example.com"}})
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60


def test_a_new_secret_stops_the_old_one(client: Client, source: WebhookSource, alice: User) -> None:
    old = source.secret
    source = webhook_source_update(actor=alice, source=source, new_secret=True)
    assert source.secret != old
    assert send(client, source, secret=old).status_code == 401
    assert send(client, source).status_code == 201


def test_only_admins_manage_sources_and_mappings_are_checked(
    source: WebhookSource, mia: User, alice: User
) -> None:
    with pytest.raises(PermissionDenied):
        webhook_source_update(actor=mia, source=source, name="Mine now")
    with pytest.raises(ValidationError) as refused:
        webhook_source_update(actor=alice, source=source, field_mapping={"a": "shoe_size"})
    assert "field_mapping" in refused.value.message_dict


# --- Set-up pages ---------------------------------------------------------------------


def test_an_admin_creates_a_webhook_in_the_ui_and_sees_how_to_sign(
    client: Client, alice: User
) -> None:
    client.force_login(alice)
    assert client.get("/inquiries/hooks/").status_code == 200
    response = client.post(
        "/inquiries/hooks/new/",
        {
            "name": "Partner feed",
            "slug": "partner",
            "channel": channel("third-party").pk,
            "field_mapping": '{"person.mail": "email", "person.surname": "last_name"}',
            "is_active": "on",
        },
    )
    source = WebhookSource.objects.get(slug="partner")
    assert response.status_code == 302 and response["Location"] == f"/inquiries/hooks/{source.pk}/"
    assert source.field_mapping == {"person.mail": "email", "person.surname": "last_name"}
    page = client.get(response["Location"]).content.decode()
    assert source.secret in page and "/hooks/partner/" in page


def test_a_broken_mapping_is_shown_on_the_form(client: Client, alice: User) -> None:
    client.force_login(alice)
    data = {"name": "Feed", "slug": "feed", "channel": channel("chat").pk}
    response = client.post("/inquiries/hooks/new/", {**data, "field_mapping": "{not json"})
    assert response.status_code == 400
    assert "not valid JSON" in response.content.decode()
    response = client.post("/inquiries/hooks/new/", {**data, "field_mapping": '{"a": "nope"}'})
    assert response.status_code == 400
    assert "is not a lead field" in response.content.decode()
    assert not WebhookSource.objects.exists()


def test_people_other_than_admins_may_not_open_the_webhook_pages(
    client: Client, mia: User, source: WebhookSource
) -> None:
    client.force_login(mia)
    assert client.get("/inquiries/hooks/").status_code == 403
    assert client.get(f"/inquiries/hooks/{source.pk}/").status_code == 403
    assert client.get("/inquiries/hooks/new/").status_code == 403


def test_every_outcome_is_answered(client: Client, source: WebhookSource) -> None:
    response = send(client, source, {"transcript": "Just looking, thanks"})
    assert response.status_code == 201
    assert response.json()["outcome"] == InquiryOutcome.INTEREST
