"""The inquiries inbox, referrals from a contact card, and setting up web forms in the UI."""

from __future__ import annotations

import pytest
from django.test import Client

from leadflow.accounts.models import User
from leadflow.factories import channel, make_contact, make_lead
from leadflow.intake import public
from leadflow.intake.models import Inquiry, InquiryOutcome, WebForm
from leadflow.intake.services import inquiry_submit
from leadflow.leads.models import Lead, Temperature

pytestmark = pytest.mark.django_db


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def submit(slug: str, **fields: str) -> Inquiry:
    return inquiry_submit(actor=None, channel=channel(slug), fields=fields)


# --- Inbox ---------------------------------------------------------------------------


def test_the_inbox_lists_inquiries_with_outcome_card_and_counts(client: Client, mia: User) -> None:
    created = submit("web-form", first_name="Elin", last_name="Hughes", email="elin@example.com")
    submit("api", first_name="Elin", last_name="Hughes", email="elin@example.com")
    submit("chat", company_name="Anon Ltd")
    inquiry_submit(
        actor=None,
        channel=channel("web-form"),
        fields={"last_name": "Spammer http://spam.example.com", "email": "s@example.com"},
    )
    page = signed_in(client, mia).get("/inquiries/").content.decode()
    assert f'href="/leads/{created.lead_id}/"' in page
    assert "Elin Hughes" in page
    for outcome in ("created", "attached", "interest", "rejected"):
        assert f'data-outcome="{outcome}"><strong>1</strong>' in page
    assert "A web address in the last_name field." in page


def test_the_inbox_filters_by_channel_outcome_and_review(client: Client, mia: User) -> None:
    submit("web-form", first_name="Elin", last_name="Hughes", email="elin@example.com")
    submit("chat", first_name="Aled", last_name="Jones", email="aled@example.com")
    signed_in(client, mia)
    page = client.get("/inquiries/?channel=chat").content.decode()
    assert "Aled Jones" in page and "Elin Hughes" not in page
    page = client.get("/inquiries/?outcome=attached").content.decode()
    assert "No inquiries match" in page
    page = client.get("/inquiries/?needs_review=yes").content.decode()
    assert "No inquiries match" in page
    partial = client.get("/inquiries/?outcome=created", HTTP_HX_REQUEST="true").content.decode()
    assert "Aled Jones" in partial and "<html" not in partial


def test_the_inbox_pages_with_a_cursor(client: Client, mia: User, settings: object) -> None:
    settings.LEADFLOW_PAGE_SIZE = 2  # type: ignore[attr-defined]
    for n in range(3):
        submit("api", first_name="Person", last_name=f"Number{n}", email=f"n{n}@example.com")
    first = signed_in(client, mia).get("/inquiries/").content.decode()
    assert "Number2" in first and "Number1" in first and "Number0" not in first
    assert 'rel="next"' in first
    cursor = first.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    second = client.get(cursor).content.decode()
    assert "Number0" in second and "Number2" not in second


def test_reps_may_not_open_the_inbox_and_do_not_see_its_link(client: Client, rhys: User) -> None:
    signed_in(client, rhys)
    assert client.get("/inquiries/").status_code == 403
    home = client.get("/leads/").content.decode()
    assert 'href="/inquiries/"' not in home
    assert 'href="/inquiries/call/"' in home


def test_a_head_of_sales_sees_inquiries_of_cards_they_may_see_only(
    client: Client, harriet: User, sam: User, rhys: User
) -> None:
    south = make_lead(
        actor=sam, owner=sam, first_name="Sioned", last_name="South", email="s@example.com"
    )
    north = make_lead(
        actor=rhys, owner=rhys, first_name="Nia", last_name="North", email="n@example.com"
    )
    submit("api", first_name="Sioned", last_name="South", email="s@example.com")
    submit("api", first_name="Nia", last_name="North", email="n@example.com")
    page = signed_in(client, harriet).get("/inquiries/").content.decode()
    assert f"/leads/{north.pk}/" in page
    assert f"/leads/{south.pk}/" not in page and "Sioned" not in page
    assert 'href="/inquiries/"' in page


# --- Referrals -----------------------------------------------------------------------


def test_a_contact_card_offers_to_refer_someone(client: Client, rhys: User) -> None:
    contact = make_contact(owner=rhys)
    page = signed_in(client, rhys).get(f"/contacts/{contact.pk}/").content.decode()
    assert f'href="/inquiries/refer/{contact.pk}/"' in page


def test_a_referral_becomes_a_seed_lead_linked_to_the_customer(client: Client, rhys: User) -> None:
    contact = make_contact(owner=rhys)
    response = signed_in(client, rhys).post(
        f"/inquiries/refer/{contact.pk}/",
        {
            "first_name": "Ffion",
            "last_name": "Morgan",
            "email": "ffion@example.com",
            "message": "Needs kites",
        },
    )
    inquiry = Inquiry.objects.get()
    assert inquiry.outcome == InquiryOutcome.CREATED
    assert inquiry.channel.slug == "referral" and inquiry.referred_by == contact
    lead = inquiry.lead
    assert lead is not None
    assert lead.referred_by == contact
    assert lead.origin_class == "seed"
    assert response.status_code == 302
    assert response["Location"] in (f"/leads/{lead.pk}/", f"/contacts/{contact.pk}/")


def test_a_referral_without_a_way_to_reach_them_shows_what_is_missing(
    client: Client, rhys: User
) -> None:
    contact = make_contact(owner=rhys)
    response = signed_in(client, rhys).post(
        f"/inquiries/refer/{contact.pk}/", {"email": "not an address"}
    )
    assert response.status_code == 400
    assert "not a valid e-mail address" in response.content.decode()
    assert not Inquiry.objects.exists()


def test_another_teams_customer_cannot_be_used_as_a_referrer(
    client: Client, rhys: User, sam: User
) -> None:
    contact = make_contact(owner=sam)
    assert signed_in(client, rhys).get(f"/inquiries/refer/{contact.pk}/").status_code == 404


# --- Web form set-up ----------------------------------------------------------------------


def test_a_marketer_sets_up_a_form_and_gets_an_embed_snippet(client: Client, mia: User) -> None:
    signed_in(client, mia)
    assert client.get("/inquiries/forms/new/").status_code == 200
    response = client.post(
        "/inquiries/forms/new/",
        {
            "name": "Brochure",
            "slug": "brochure",
            "channel": channel("web-form").pk,
            "offer_first_name": "required",
            "offer_last_name": "required",
            "offer_email": "required",
            "offer_purchase_timeframe": "optional",
            "consent_text": "Send me the brochure.",
            "min_fill_seconds": "3",
            "submissions_per_hour": "100",
            "is_active": "on",
        },
    )
    webform = WebForm.objects.get(slug="brochure")
    assert response["Location"] == f"/inquiries/forms/{webform.pk}/"
    assert webform.fields == [
        {"name": "first_name", "required": True},
        {"name": "last_name", "required": True},
        {"name": "email", "required": True},
        {"name": "purchase_timeframe", "required": False},
    ]
    assert webform.consent_version == 1 and webform.created_by == mia
    page = client.get(response["Location"]).content.decode()
    assert "&lt;iframe data-leadflow-form src=&quot;http://testserver/f/brochure/&quot;" in page
    assert "Send me the brochure." in page
    listing = client.get("/inquiries/forms/").content.decode()
    assert "Brochure" in listing


def test_editing_the_consent_text_keeps_the_old_version(client: Client, mia: User) -> None:
    webform = public.webform_create(
        actor=mia,
        name="Brochure",
        slug="brochure",
        fields=[{"name": "email", "required": True}],
        channel=channel("web-form"),
        consent_text="Version one.",
    )
    data = {
        "name": "Brochure",
        "slug": "brochure",
        "channel": channel("web-form").pk,
        "offer_email": "required",
        "consent_text": "Version two.",
        "min_fill_seconds": "3",
        "submissions_per_hour": "300",
        "is_active": "on",
    }
    response = signed_in(client, mia).post(f"/inquiries/forms/{webform.pk}/edit/", data)
    assert response.status_code == 302
    webform.refresh_from_db()
    assert webform.consent_version == 2
    page = client.get(f"/inquiries/forms/{webform.pk}/").content.decode()
    assert "Version one." in page and "Version two." in page


def test_a_form_needs_a_field_and_a_free_address(client: Client, mia: User) -> None:
    public.webform_create(
        actor=mia,
        name="Taken",
        slug="taken",
        fields=[{"name": "email", "required": True}],
        channel=channel("web-form"),
    )
    data = {
        "name": "Another",
        "slug": "taken",
        "channel": channel("web-form").pk,
        "min_fill_seconds": "3",
        "submissions_per_hour": "300",
    }
    response = signed_in(client, mia).post("/inquiries/forms/new/", data)
    assert response.status_code == 400
    assert "Offer at least one field." in response.content.decode()
    response = client.post("/inquiries/forms/new/", {**data, "offer_email": "required"})
    assert response.status_code == 400
    assert "Another form already has this address." in response.content.decode()
    assert WebForm.objects.count() == 1


def test_reps_may_not_set_up_forms(client: Client, rhys: User) -> None:
    signed_in(client, rhys)
    assert client.get("/inquiries/forms/").status_code == 403
    assert client.get("/inquiries/forms/new/").status_code == 403


def test_a_stated_timeframe_on_a_form_sets_the_temperature(client: Client, mia: User) -> None:
    webform = public.webform_create(
        actor=mia,
        name="Buy now",
        slug="buy",
        fields=[
            {"name": "last_name", "required": True},
            {"name": "email", "required": True},
            {"name": "purchase_timeframe", "required": False},
        ],
        channel=channel("web-form"),
        min_fill_seconds=0,
    )
    client.post(
        f"/f/{webform.slug}/",
        {
            "last_name": "Evans",
            "email": "evans@example.com",
            "purchase_timeframe": "now",
            public.TOKEN_FIELD: public.form_token(webform),
        },
    )
    assert Lead.objects.get().temperature == Temperature.HOT
