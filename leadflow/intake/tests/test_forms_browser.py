"""In a real browser: a public form sent twice quickly is one inquiry; the same person calling
later is attached to their card and the card's owner is told.

Uses Debian's Chromium through Playwright, against a live server (see
leadflow/web/tests/test_browser_flow.py for why it is skipped without one).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from leadflow.accounts.models import Role
from leadflow.activities.models import Notification
from leadflow.core.tests.browser import chromium_context, wait_until
from leadflow.factories import channel, make_team, make_user
from leadflow.intake import public
from leadflow.intake.models import Inquiry, InquiryOutcome, RateLimitWindow
from leadflow.leads.models import Lead
from leadflow.leads.services import lead_assign

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def browser_context(chromium: Any) -> Iterator[Any]:
    # A phone-sized screen: the public form is mostly opened on phones.
    with chromium_context(chromium, width=390, height=844) as context:
        yield context


def log_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "password")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/leads/")


def fill_form(page: Any) -> None:
    page.fill("#id_first_name", "Carys")
    page.fill("#id_last_name", "Llewellyn")
    page.fill("#id_email", "carys@example.com")
    page.fill("#id_phone", "07911 123456")
    page.fill("#id_message", "A quote for 40 kites, please")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_double_sent_form_is_one_lead_and_a_later_call_is_attached_and_the_owner_told(
    live_server: Any, browser_context: Any
) -> None:
    north = make_team("North")
    harriet = make_user("harriet", Role.HEAD_OF_SALES, north)
    rhys = make_user("rhys", Role.SALES_REP, north)
    make_user("rosa", Role.SALES_REP, north)
    mia = make_user("mia", Role.MARKETER)
    webform = public.webform_create(
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
        min_fill_seconds=1,
        thank_you_message="Thank you, Carys will hear from us.",
    )
    base = live_server.url
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # A visitor fills in the form and double-clicks Send.
    page.goto(f"{base}/f/quote/?utm_source=flyer")
    fill_form(page)
    page.wait_for_timeout(1200)  # longer than the form's minimum fill time
    page.dblclick("button[type=submit]")
    page.wait_for_selector("text=Thank you, Carys will hear from us.")
    # …then, unsure it worked, goes back and sends it once more.
    page.goto(f"{base}/f/quote/?utm_source=flyer")
    fill_form(page)
    page.wait_for_timeout(1200)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Thank you, Carys will hear from us.")

    # At least three posts reached the server; they are one inquiry and one lead.
    assert RateLimitWindow.objects.get(key=f"form:{webform.pk}").hits >= 2
    inquiry = Inquiry.objects.get()
    assert inquiry.outcome == InquiryOutcome.CREATED
    assert inquiry.utm == {"utm_source": "flyer"}
    lead = Lead.objects.get()
    assert lead.email == "carys@example.com"
    lead_assign(actor=harriet, lead=lead, owner=rhys)

    # Later Carys phones; rosa takes the call and types the number first.
    log_in(page, base, "rosa")
    page.click("nav.mainnav >> text=Incoming call")
    page.fill("#id_phone", "07911 123456")
    page.wait_for_selector("#call-matches [data-match]")
    assert "Carys Llewellyn" in page.inner_text("#call-matches")
    page.fill("#id_first_name", "Carys")
    page.fill("#id_last_name", "Llewellyn")
    page.fill("#id_message", "Called about delivery dates")
    page.click("button:has-text('Record the call')")
    page.wait_for_url(f"{base}/leads/{lead.pk}/")
    page.wait_for_selector("h1:has-text('Carys Llewellyn')")

    call = Inquiry.objects.latest("pk")
    assert call.pk != inquiry.pk
    assert (call.outcome, call.lead_id, call.channel.slug) == (
        InquiryOutcome.ATTACHED,
        lead.pk,
        "phone",
    )
    assert Lead.objects.count() == 1
    wait_until(lambda: Notification.objects.filter(user=rhys).exists())

    # rhys, the owner, sees the notification.
    browser_context.clear_cookies()
    log_in(page, base, "rhys")
    page.click("a.notif")
    page.wait_for_selector("text=Carys Llewellyn got in touch again through Phone")
    assert errors == []
