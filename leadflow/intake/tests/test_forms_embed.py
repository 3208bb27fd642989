"""The embed snippet on a web form's set-up page, and what the embedded form records."""

from __future__ import annotations

import html

import pytest
from django.test import Client

from leadflow.accounts.models import User
from leadflow.factories import channel
from leadflow.intake import public
from leadflow.intake.models import Inquiry, WebForm
from leadflow.intake.tests.test_forms_public import post_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def webform(mia: User) -> WebForm:
    return public.webform_create(
        actor=mia,
        name="Ask for a quote",
        slug="quote",
        fields=[
            {"name": "first_name", "required": True},
            {"name": "last_name", "required": True},
            {"name": "email", "required": True},
        ],
        channel=channel("web-form"),
    )


def test_the_snippet_is_the_frame_and_our_own_script_to_copy(
    client: Client, webform: WebForm, mia: User
) -> None:
    public.webform_update(actor=mia, form=webform, name='Ask for a "quote"')
    client.force_login(mia)
    page = client.get(f"/inquiries/forms/{webform.pk}/").content.decode()
    shown = page.split('<textarea id="snippet"', 1)[1].split(">", 1)[1].split("</textarea>")[0]
    snippet = html.unescape(shown)
    assert snippet.startswith(
        '<iframe data-leadflow-form src="http://testserver/f/quote/" '
        'title="Ask for a &quot;quote&quot;"'
    )
    assert '<script src="http://testserver/static/intake/embed.js" async></script>' in snippet
    # Served from our own static files: no other site is involved.
    assert client.get("/static/intake/embed.js").status_code == 200


def test_the_scripts_utm_referrer_and_page_reach_the_inquiry(
    client: Client, webform: WebForm
) -> None:
    form_page = client.get(
        "/f/quote/?utm_source=newsletter&ref=https%3A%2F%2Fsearch.example%2F"
        "&page=https%3A%2F%2Fkites.example.com%2Flanding",
        HTTP_REFERER="https://kites.example.com/",
    ).content.decode()
    assert 'name="page" value="https://kites.example.com/landing"' in form_page
    assert 'name="referrer" value="https://search.example/"' in form_page
    assert 'name="utm_source" value="newsletter"' in form_page

    post_form(
        client,
        webform,
        utm_source="newsletter",
        referrer="https://search.example/",
        page="https://kites.example.com/landing",
    )
    inquiry = Inquiry.objects.get()
    assert inquiry.utm == {"utm_source": "newsletter"}
    assert inquiry.referrer_url == "https://search.example/"
    assert inquiry.payload["page_url"] == "https://kites.example.com/landing"


def test_with_the_script_a_visit_from_nowhere_has_no_referrer_not_the_host_page(
    client: Client, webform: WebForm
) -> None:
    form_page = client.get(
        "/f/quote/?page=https%3A%2F%2Fkites.example.com%2Flanding",
        HTTP_REFERER="https://kites.example.com/",
    ).content.decode()
    assert 'name="referrer"' in form_page
    assert 'name="referrer" value=' not in form_page


def test_without_the_script_the_frames_referer_is_still_recorded(
    client: Client, webform: WebForm
) -> None:
    form_page = client.get("/f/quote/", HTTP_REFERER="https://kites.example.com/").content.decode()
    assert 'name="referrer" value="https://kites.example.com/"' in form_page
