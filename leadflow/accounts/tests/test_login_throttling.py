from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from leadflow.accounts.models import User


@pytest.mark.django_db
@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3)
def test_repeated_wrong_passwords_lock_the_account_even_for_the_right_one(rhys: User) -> None:
    client = Client(REMOTE_ADDR="127.0.0.1")
    url = reverse("login")
    for _ in range(3):
        response = client.post(url, {"username": "rhys", "password": "wrong"})
    assert response.status_code == 429
    response = client.post(url, {"username": "rhys", "password": "password"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3)
def test_a_successful_login_before_the_limit_clears_the_failures(rhys: User) -> None:
    client = Client(REMOTE_ADDR="127.0.0.1")
    url = reverse("login")
    for _ in range(2):
        client.post(url, {"username": "rhys", "password": "wrong"})
    response = client.post(url, {"username": "rhys", "password": "password"})
    assert response.status_code == 302
    client.logout()
    for _ in range(2):
        response = client.post(url, {"username": "rhys", "password": "wrong"})
    assert response.status_code == 200
