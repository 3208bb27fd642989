"""The client's address behind a reverse proxy: X-Forwarded-For believed only from trusted proxies."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from django.test import Client, RequestFactory, override_settings

from leadflow.accounts.models import User
from leadflow.core.proxies import client_ip


def address(remote: str, forwarded: str | None = None) -> str | None:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **extra))  # type: ignore[arg-type]


def test_without_trusted_proxies_the_header_is_ignored(settings: Any) -> None:
    settings.LEADFLOW_TRUSTED_PROXIES = []
    assert address("198.51.100.7", "203.0.113.1") == "198.51.100.7"


def test_a_header_from_an_untrusted_address_is_ignored(settings: Any) -> None:
    settings.LEADFLOW_TRUSTED_PROXIES = ["10.0.0.1"]
    assert address("198.51.100.7", "203.0.113.1") == "198.51.100.7"


def test_a_trusted_proxy_names_the_client(settings: Any) -> None:
    settings.LEADFLOW_TRUSTED_PROXIES = ["10.0.0.1"]
    assert address("10.0.0.1", "203.0.113.1") == "203.0.113.1"


def test_what_the_client_wrote_into_the_header_itself_is_never_read(settings: Any) -> None:
    settings.LEADFLOW_TRUSTED_PROXIES = ["10.0.0.1"]
    # The client sent "X-Forwarded-For: 1.2.3.4"; the proxy appended the real address.
    assert address("10.0.0.1", "1.2.3.4, 203.0.113.1") == "203.0.113.1"
    assert address("10.0.0.1", "not an address, 203.0.113.1") == "203.0.113.1"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right(settings: Any) -> None:
    settings.LEADFLOW_TRUSTED_PROXIES = ["10.0.0.0/8", "192.0.2.10"]
    assert address("10.1.2.3", "6.6.6.6, 203.0.113.1, 192.0.2.10, 10.9.9.9") == "203.0.113.1"
    # Every hop trusted: the client is inside, the leftmost hop.
    assert address("10.1.2.3", "10.7.7.7, 10.9.9.9") == "10.7.7.7"
    # No header at all: the proxy itself.
    assert address("10.1.2.3") == "10.1.2.3"


def test_ports_ipv6_and_mapped_addresses_are_read(settings: Any) -> None:
    settings.LEADFLOW_TRUSTED_PROXIES = ["10.0.0.1", "::1"]
    assert address("10.0.0.1", "203.0.113.1:51234") == "203.0.113.1"
    assert address("::1", "[2001:db8::5]:443") == "2001:db8::5"
    assert address("::ffff:10.0.0.1", "2001:db8::5") == "2001:db8::5"


def test_a_mistyped_trusted_proxy_stops_the_settings_from_loading(tmp_path: Any) -> None:
    environment = {**os.environ, "LEADFLOW_TRUSTED_PROXIES": "10.0.0.1,10.0.0.300"}
    environment["LEADFLOW_VAR_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", "import leadflow.settings"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "LEADFLOW_TRUSTED_PROXIES" in result.stderr


@pytest.mark.parametrize("remote", ["", "unix-socket"])
def test_a_remote_address_that_is_no_address_is_passed_on(remote: str, settings: Any) -> None:
    settings.LEADFLOW_TRUSTED_PROXIES = ["10.0.0.1"]
    assert address(remote, "203.0.113.1") == (remote or None)


@pytest.mark.django_db
@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3, LEADFLOW_TRUSTED_PROXIES=["10.0.0.1"])
def test_log_in_lockouts_behind_a_trusted_proxy_lock_out_the_guesser_not_everyone(
    rhys: User,
) -> None:
    guesser = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.66")
    for _attempt in range(3):
        guesser.post("/accounts/login/", {"username": "rhys", "password": "wrong"})
    locked = guesser.post("/accounts/login/", {"username": "rhys", "password": "password"})
    assert locked.status_code == 429

    rhys_at_home = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.5")
    response = rhys_at_home.post("/accounts/login/", {"username": "rhys", "password": "password"})
    assert response.status_code == 302
