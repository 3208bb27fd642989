"""Public web forms at /f/<slug>/: what visitors see, what gets stored, and what is kept out."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from leadflow.accounts.models import User
from leadflow.factories import channel
from leadflow.intake import public
from leadflow.intake.models import Campaign, Inquiry, InquiryOutcome, WebForm
from leadflow.leads.models import Lead

pytestmark = pytest.mark.django_db

PERSON = {"first_name": "Siân", "last_name": "Pritchard", "email": "sian@example.com"}


@pytest.fixture
def webform(mia: User) -> WebForm:
    campaign = Campaign.objects.create(name="Spring fair", slug="spring-fair")
    return public.webform_create(
        actor=mia,
        name="Ask for a quote",
        slug="quote",
        fields=[
            {"name": "first_name", "required": True},
            {"name": "last_name", "required": True},
            {"name": "email", "required": True},
            {"name": "phone", "required": False},
            {"name": "message", "required": False},
        ],
        channel=channel("web-form"),
        campaign=campaign,
        consent_text="You may contact me about my request.",
        thank_you_message="Diolch! We will call you back.",
    )


def served_token(webform: WebForm, seconds_ago: float = 10) -> str:
    """The token of a page served a while ago (longer than the minimum fill time)."""
    return public.form_token(webform, now=timezone.now() - datetime.timedelta(seconds=seconds_ago))


def post_form(client: Client, webform: WebForm, **data: Any) -> Any:
    values = {**PERSON, public.TOKEN_FIELD: served_token(webform), **data}
    return client.post(f"/f/{webform.slug}/", {k: v for k, v in values.items() if v is not None})


def test_the_form_page_stands_alone_and_may_be_framed_by_any_site(
    client: Client, webform: WebForm
) -> None:
    response = client.get("/f/quote/?utm_source=newsletter&utm_campaign=spring")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'class="topbar"' not in page
    assert 'name="first_name"' in page and 'name="message"' in page
    assert 'name="job_title"' not in page
    assert f'name="{public.HONEYPOT_FIELD}"' in page and f'name="{public.TOKEN_FIELD}"' in page
    assert 'value="newsletter"' in page and 'value="spring"' in page
    assert "You may contact me about my request." in page
    assert "frame-ancestors *" in response["Content-Security-Policy"]
    assert "X-Frame-Options" not in response
    # The rest of the app still refuses to be framed.
    other = client.get("/accounts/login/")
    assert "frame-ancestors 'none'" in other["Content-Security-Policy"]
    assert other["X-Frame-Options"] == "DENY"


def test_an_unknown_or_switched_off_form_is_not_found(
    client: Client, webform: WebForm, mia: User
) -> None:
    assert client.get("/f/nope/").status_code == 404
    public.webform_update(actor=mia, form=webform, is_active=False)
    assert client.get("/f/quote/").status_code == 404
    assert post_form(client, webform).status_code == 404


def test_a_submission_becomes_a_lead_with_campaign_utm_referrer_and_consent(
    client: Client, webform: WebForm
) -> None:
    response = post_form(
        client,
        webform,
        phone="029 2018 0000",
        message="A quote for 40 kites, please",
        consent="on",
        utm_source="newsletter",
        utm_medium="email",
        referrer="https://kites.example.com/prices",
    )
    assert response.status_code == 302
    assert response["Location"] == "/f/quote/thanks/"
    inquiry = Inquiry.objects.get()
    assert inquiry.outcome == InquiryOutcome.CREATED
    assert inquiry.channel.slug == "web-form"
    assert inquiry.campaign == webform.campaign
    assert inquiry.utm == {"utm_source": "newsletter", "utm_medium": "email"}
    assert inquiry.referrer_url == "https://kites.example.com/prices"
    assert inquiry.consent_text == "You may contact me about my request."
    assert inquiry.consent_at is not None
    assert inquiry.source_ip == "127.0.0.1"
    assert inquiry.message == "A quote for 40 kites, please"
    assert inquiry.payload["form"] == "quote" and inquiry.payload["consent_version"] == 1
    lead = inquiry.lead
    assert lead is not None
    assert (lead.email, lead.phone, lead.campaign_id) == (
        "sian@example.com",
        "+442920180000",
        webform.campaign_id,
    )
    thanks = client.get(response["Location"])
    assert "Diolch! We will call you back." in thanks.content.decode()
    assert "frame-ancestors *" in thanks["Content-Security-Policy"]


def test_without_the_tick_no_consent_is_stored(client: Client, webform: WebForm) -> None:
    post_form(client, webform)
    inquiry = Inquiry.objects.get()
    assert inquiry.consent_text == "" and inquiry.consent_at is None


def test_a_required_consent_must_be_ticked(client: Client, webform: WebForm, mia: User) -> None:
    public.webform_update(actor=mia, form=webform, consent_required=True)
    response = post_form(client, webform)
    assert response.status_code == 400
    assert not Inquiry.objects.exists()
    assert post_form(client, webform, consent="on").status_code == 302


def test_the_same_submission_twice_is_one_inquiry_and_one_lead(
    client: Client, webform: WebForm
) -> None:
    first = post_form(client, webform, message="Call me")
    second = post_form(client, webform, message="Call me")
    assert first.status_code == second.status_code == 302
    assert Inquiry.objects.count() == 1
    assert Lead.objects.count() == 1


def test_a_filled_honeypot_is_thanked_but_stored_as_rejected(
    client: Client, webform: WebForm
) -> None:
    response = post_form(client, webform, **{public.HONEYPOT_FIELD: "http://spam.example.com"})
    assert response.status_code == 302 and response["Location"] == "/f/quote/thanks/"
    inquiry = Inquiry.objects.get()
    assert (inquiry.outcome, inquiry.reason) == (InquiryOutcome.REJECTED, "honeypot")
    assert inquiry.lead is None
    assert not Lead.objects.exists()


def test_a_submission_faster_than_a_person_can_type_is_refused_and_the_form_shown_again(
    client: Client, webform: WebForm
) -> None:
    response = post_form(client, webform, **{public.TOKEN_FIELD: served_token(webform, 0.5)})
    assert response.status_code == 400
    assert "send the form again" in response.content.decode()
    assert 'value="Siân"' in response.content.decode()
    inquiry = Inquiry.objects.get()
    assert (inquiry.outcome, inquiry.reason) == (InquiryOutcome.REJECTED, "too fast")
    assert not Lead.objects.exists()


@pytest.mark.parametrize("token", ["", "forged:token", "reused-from-another-form"])
def test_a_missing_or_forged_token_is_refused(
    client: Client, webform: WebForm, mia: User, token: str
) -> None:
    if token == "reused-from-another-form":
        other = public.webform_create(
            actor=mia,
            name="Other",
            slug="other",
            fields=[{"name": "email", "required": True}],
            channel=channel("web-form"),
        )
        token = served_token(other)
    response = post_form(client, webform, **{public.TOKEN_FIELD: token})
    assert response.status_code == 400
    inquiry = Inquiry.objects.get()
    assert inquiry.reason == "invalid form token"


def test_missing_required_fields_and_a_bad_email_are_shown_on_the_form(
    client: Client, webform: WebForm
) -> None:
    response = post_form(client, webform, last_name="", email="not-an-address")
    page = response.content.decode()
    assert response.status_code == 400
    assert "This field is required." in page
    response = post_form(client, webform, email="sian@@example")
    assert response.status_code == 400
    assert "not a valid e-mail address" in response.content.decode()
    assert not Inquiry.objects.exists()


def test_the_form_needs_no_csrf_token_since_other_sites_post_it(webform: WebForm) -> None:
    client = Client(enforce_csrf_checks=True)
    assert post_form(client, webform).status_code == 302
    assert Inquiry.objects.count() == 1


def test_a_body_over_the_cap_is_refused_with_413(
    client: Client, webform: WebForm, settings: Any
) -> None:
    settings.LEADFLOW_FORM_MAX_BYTES = 2000
    response = post_form(client, webform, message="x" * 3000)
    assert response.status_code == 413
    assert not Inquiry.objects.exists()


def test_one_address_sending_too_often_gets_429_with_retry_after(
    client: Client, webform: WebForm, settings: Any
) -> None:
    settings.LEADFLOW_FORM_PER_IP = 3
    for n in range(3):
        assert post_form(client, webform, email=f"person{n}@example.com").status_code == 302
    refused = post_form(client, webform, email="person9@example.com")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 600
    assert Inquiry.objects.count() == 3
    # Another address is still welcome.
    other = Client(REMOTE_ADDR="192.0.2.7")
    assert post_form(other, webform, email="person10@example.com").status_code == 302


def test_a_form_over_its_hourly_limit_gets_429_from_every_address(
    webform: WebForm, mia: User
) -> None:
    public.webform_update(actor=mia, form=webform, submissions_per_hour=2)
    for n in range(2):
        client = Client(REMOTE_ADDR=f"192.0.2.{n + 1}")
        assert post_form(client, webform, email=f"p{n}@example.com").status_code == 302
    refused = post_form(Client(REMOTE_ADDR="192.0.2.50"), webform, email="late@example.com")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1


def test_the_exact_consent_text_shown_is_stored_even_after_it_changes(
    client: Client, webform: WebForm, mia: User
) -> None:
    token_v1 = served_token(webform)
    public.webform_update(actor=mia, form=webform, consent_text="New wording, version two.")
    webform.refresh_from_db()
    assert webform.consent_version == 2
    assert [item["text"] for item in webform.consent_versions] == [
        "You may contact me about my request.",
        "New wording, version two.",
    ]
    post_form(client, webform, consent="on", **{public.TOKEN_FIELD: token_v1})
    assert Inquiry.objects.get().consent_text == "You may contact me about my request."
    # A page served now shows, and stores, the new wording.
    assert "New wording, version two." in client.get("/f/quote/").content.decode()
    post_form(client, webform, consent="on", email="other@example.com")
    assert Inquiry.objects.latest("pk").consent_text == "New wording, version two."


def test_a_form_with_a_redirect_sends_people_there_and_allows_it_in_the_policy(
    client: Client, webform: WebForm, mia: User
) -> None:
    public.webform_update(actor=mia, form=webform, redirect_url="https://kites.example.com/thanks")
    response = post_form(client, webform)
    assert response.status_code == 302
    assert response["Location"] == "https://kites.example.com/thanks"
    page = client.get("/f/quote/")
    assert "form-action 'self' https://kites.example.com" in page["Content-Security-Policy"]
