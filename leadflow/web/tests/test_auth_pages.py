"""Logging in and out, resetting a password, and the lock after too many failures."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client, override_settings

from leadflow.accounts.models import User

pytestmark = pytest.mark.django_db


def test_the_login_page_logs_a_person_in_and_sends_them_to_work(client: Client, rhys: User) -> None:
    page = client.get("/accounts/login/")
    assert page.status_code == 200 and 'name="username"' in page.content.decode()
    response = client.post(
        "/accounts/login/", {"username": "rhys", "password": "password"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/leads/"
    assert "Rhys" in response.content.decode()


def test_a_wrong_password_says_so(client: Client, rhys: User) -> None:
    response = client.post("/accounts/login/", {"username": "rhys", "password": "nope"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


def test_logging_out_is_a_post_from_the_user_menu(client: Client, rhys: User) -> None:
    client.force_login(rhys)
    page = client.get("/leads/").content.decode()
    assert 'action="/accounts/logout/"' in page
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert client.get("/leads/").status_code == 302


def test_a_password_reset_mails_a_link_that_sets_a_new_password(client: Client, rhys: User) -> None:
    response = client.post("/accounts/password_reset/", {"email": "rhys@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["rhys@example.com"]
    body = str(mail.outbox[0].body)
    assert "rhys" in body
    match = re.search(r"http://testserver(/accounts/reset/\S+/)", body)
    assert match, body
    form_page = client.get(match.group(1), follow=True)
    assert 'name="new_password1"' in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-much-longer-secret", "new_password2": "a-much-longer-secret"},
        follow=True,
    )
    assert "Your new password is set" in done.content.decode()
    rhys.refresh_from_db()
    assert rhys.check_password("a-much-longer-secret")


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client: Client, rhys: User) -> None:
    response = client.post("/accounts/password_reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302 and not mail.outbox


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3)
def test_too_many_failed_logins_show_the_locked_out_page(client: Client, rhys: User) -> None:
    for _attempt in range(3):
        client.post("/accounts/login/", {"username": "rhys", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "rhys", "password": "password"})
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed log-ins" in page and "3 failed attempts" in page


def test_the_password_change_page_works_for_a_signed_in_person(client: Client, rhys: User) -> None:
    client.force_login(rhys)
    response = client.post(
        "/accounts/password_change/",
        {
            "old_password": "password",
            "new_password1": "another-long-secret",
            "new_password2": "another-long-secret",
        },
        follow=True,
    )
    assert "Your password is changed." in response.content.decode()


def test_the_layout_has_the_navigation_and_a_strict_content_policy(
    client: Client, rhys: User
) -> None:
    client.force_login(rhys)
    response = client.get("/leads/")
    page = response.content.decode()
    for link in ("/leads/", "/deals/", "/contacts/", "/companies/", "/tasks/", "/notifications/"):
        assert f'href="{link}"' in page
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "<script>" not in page  # no inline scripts: the policy would block them
    assert "/static/vendor/htmx/htmx.min.js" in page


def test_a_missing_page_is_a_404(client: Client, rhys: User) -> None:
    client.force_login(rhys)
    assert client.get("/leads/999999/").status_code == 404
