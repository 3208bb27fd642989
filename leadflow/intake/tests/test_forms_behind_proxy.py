"""Public forms behind a reverse proxy, over real HTTP: limits count the client, not the proxy."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest

from leadflow.accounts.models import User
from leadflow.factories import channel
from leadflow.intake import public
from leadflow.intake.models import Inquiry, WebForm
from leadflow.intake.tests.test_forms_public import PERSON, served_token

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


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


def post(live_server: Any, webform: WebForm, email: str, forwarded_for: str) -> int:
    """POST the form from 127.0.0.1 as a proxy would, naming the client in X-Forwarded-For."""
    body = urllib.parse.urlencode(
        {**PERSON, "email": email, public.TOKEN_FIELD: served_token(webform)}
    ).encode()
    request = urllib.request.Request(
        f"{live_server.url}/f/{webform.slug}/",
        data=body,
        headers={"X-Forwarded-For": forwarded_for},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_a_trusted_proxys_clients_are_counted_and_recorded_one_by_one(
    live_server: Any, webform: WebForm, settings: Any
) -> None:
    settings.LEADFLOW_TRUSTED_PROXIES = ["127.0.0.1"]
    settings.LEADFLOW_FORM_PER_IP = 1

    assert post(live_server, webform, "a@example.com", "203.0.113.1") == 200
    assert post(live_server, webform, "b@example.com", "203.0.113.2") == 200
    assert post(live_server, webform, "c@example.com", "203.0.113.1") == 429

    addresses = sorted(str(ip) for ip in Inquiry.objects.values_list("source_ip", flat=True))
    assert addresses == ["203.0.113.1", "203.0.113.2"]


def test_a_spoofed_header_from_an_untrusted_address_changes_nothing(
    live_server: Any, webform: WebForm, settings: Any
) -> None:
    settings.LEADFLOW_TRUSTED_PROXIES = []
    settings.LEADFLOW_FORM_PER_IP = 1

    assert post(live_server, webform, "a@example.com", "203.0.113.1") == 200
    # A new made-up address each time does not get round the limit.
    assert post(live_server, webform, "b@example.com", "203.0.113.2") == 429

    assert list(Inquiry.objects.values_list("source_ip", flat=True)) == ["127.0.0.1"]
