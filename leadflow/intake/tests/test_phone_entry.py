"""Incoming calls: the number first, the caller's card shown while typing, then record the call."""

from __future__ import annotations

import pytest
from django.test import Client

from leadflow.accounts.models import User
from leadflow.activities.models import Notification
from leadflow.factories import make_contact, make_lead
from leadflow.intake.models import Channel, Inquiry, InquiryOutcome
from leadflow.leads.models import Lead

pytestmark = pytest.mark.django_db


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def matches(client: Client, **params: str) -> str:
    response = client.get("/inquiries/call/match/", params, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def test_the_call_page_asks_for_the_number_first(client: Client, rhys: User) -> None:
    page = signed_in(client, rhys).get("/inquiries/call/").content.decode()
    assert page.index('name="phone"') < page.index('name="first_name"')
    assert 'hx-get="/inquiries/call/match/"' in page
    assert "Incoming call" in page


def test_typing_a_known_number_shows_the_card_it_belongs_to(client: Client, rhys: User) -> None:
    lead = make_lead(
        actor=rhys, owner=rhys, first_name="Owain", last_name="Rees", phone="+442920180000"
    )
    html = matches(signed_in(client, rhys), phone="029 2018 0000")
    assert f'href="/leads/{lead.pk}/"' in html
    assert "Owain Rees" in html and "phone" in html


def test_a_customers_number_shows_their_contact_card(client: Client, rhys: User) -> None:
    contact = make_contact(owner=rhys, phone="+442920180001")
    html = matches(signed_in(client, rhys), phone="02920180001")
    assert f'href="/contacts/{contact.pk}/"' in html


def test_cards_the_user_may_not_see_are_never_shown(client: Client, rhys: User, sam: User) -> None:
    make_lead(
        actor=sam, owner=sam, first_name="Secret", last_name="Southerner", phone="+442920180002"
    )
    html = matches(signed_in(client, rhys), phone="02920180002")
    assert "Southerner" not in html
    assert "creates a new lead" in html


def test_half_a_number_asks_to_keep_typing(client: Client, rhys: User) -> None:
    assert "Keep typing" in matches(signed_in(client, rhys), phone="0292")
    assert matches(client, phone="").strip() == ""


def test_the_number_is_read_in_the_phone_channels_country(client: Client, rhys: User) -> None:
    Channel.objects.filter(slug="phone").update(default_region="TR")
    lead = make_lead(
        actor=rhys, owner=rhys, first_name="Ayşe", last_name="Kaya", phone="+905321234567"
    )
    html = matches(signed_in(client, rhys), phone="0532 123 45 67")
    assert f'href="/leads/{lead.pk}/"' in html


def test_recording_a_call_from_a_known_caller_attaches_it_and_tells_the_owner(
    client: Client, rhys: User, rosa: User
) -> None:
    lead = make_lead(
        actor=rhys, owner=rhys, first_name="Owain", last_name="Rees", phone="+442920180000"
    )
    response = signed_in(client, rosa).post(
        "/inquiries/call/",
        {
            "phone": "029 2018 0000",
            "first_name": "Owain",
            "last_name": "Rees",
            "message": "Wants a price",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"/leads/{lead.pk}/"
    inquiry = Inquiry.objects.get()
    assert inquiry.outcome == InquiryOutcome.ATTACHED and inquiry.lead_id == lead.pk
    assert inquiry.channel.slug == "phone" and inquiry.submitted_by == rosa
    assert inquiry.message == "Wants a price"
    assert Notification.objects.filter(user=rhys, url=f"/leads/{lead.pk}/").exists()


def test_a_new_caller_becomes_a_phone_lead_and_the_card_opens(client: Client, rhys: User) -> None:
    response = signed_in(client, rhys).post(
        "/inquiries/call/",
        {"phone": "07911 123456", "first_name": "Llinos", "last_name": "Vaughan"},
    )
    lead = Lead.objects.get()
    assert response["Location"] == f"/leads/{lead.pk}/"
    assert (lead.phone, lead.channel.slug) == ("+447911123456", "phone")
    # A rep owns the lead from a call they took, as with one entered by hand.
    assert lead.owner == rhys


def test_a_call_for_another_teams_card_is_attached_without_showing_it(
    client: Client, rhys: User, sam: User
) -> None:
    lead = make_lead(
        actor=sam, owner=sam, first_name="Secret", last_name="Southerner", phone="+442920180002"
    )
    response = signed_in(client, rhys).post(
        "/inquiries/call/",
        {"phone": "02920180002", "first_name": "Secret", "last_name": "Southerner"},
    )
    assert response["Location"] == "/inquiries/call/"
    assert Inquiry.objects.get().lead_id == lead.pk
    page = client.get("/inquiries/call/").content.decode()
    assert "another team" in page and "Southerner" not in page


def test_a_number_alone_is_kept_as_interest(client: Client, rhys: User) -> None:
    response = signed_in(client, rhys).post("/inquiries/call/", {"phone": "07911 123457"})
    assert response["Location"] == "/inquiries/call/"
    assert Inquiry.objects.get().outcome == InquiryOutcome.INTEREST
    assert not Lead.objects.exists()


def test_an_impossible_number_is_shown_on_its_field(client: Client, rhys: User) -> None:
    response = signed_in(client, rhys).post(
        "/inquiries/call/", {"phone": "12", "last_name": "Nobody"}
    )
    assert response.status_code == 400
    assert "is not a possible phone number" in response.content.decode() or (
        "is not a phone number" in response.content.decode()
    )
    assert not Inquiry.objects.exists()


def test_the_call_pages_need_a_login(client: Client) -> None:
    assert client.get("/inquiries/call/").status_code == 302
    assert client.get("/inquiries/call/match/?phone=1").status_code == 302
