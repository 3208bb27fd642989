"""`leadflow serve`: gunicorn answering over real HTTP, with the collected static files."""

from __future__ import annotations

import http.cookiejar
import json
import queue
import re
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from leadflow.core.management.commands.serve import bind_address, default_workers
from leadflow.core.tests.commandline import leadflow_command, production_environment


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@pytest.fixture
def server(
    tmp_path: Path,
) -> Iterator[tuple[str, urllib.request.OpenerDirector, dict[str, str]]]:
    """A running `leadflow serve` on a free loopback port: its base URL, a cookie-keeping
    client and the environment it runs with."""
    env = production_environment(
        tmp_path,
        LEADFLOW_ALLOWED_HOSTS="127.0.0.1",
        # Plain HTTP on the loopback: there is no TLS proxy in front of this server.
        LEADFLOW_SSL_REDIRECT="false",
        LEADFLOW_SECURE_COOKIES="false",
    )
    for command in (
        ("migrate", "--noinput", "-v0"),
        ("collectstatic", "--noinput", "-v0"),
        ("createuser", "ada", "--role", "sales_rep", "--password", "Nine-lives-of-Ada-1815"),
    ):
        subprocess.run(
            leadflow_command(*command), env=env, check=True, capture_output=True, timeout=120
        )
    process = subprocess.Popen(
        leadflow_command("serve", "--host", "127.0.0.1", "--port", "0", "--workers", "2"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    output = process.stdout
    assert output is not None

    def read_output() -> None:
        for line in output:
            lines.put(line)

    threading.Thread(target=read_output, daemon=True).start()
    seen: list[str] = []
    try:
        url = None
        while url is None:
            try:
                line = lines.get(timeout=30)
            except queue.Empty:
                pytest.fail("leadflow serve printed no URL:\n" + "".join(seen))
            seen.append(line)
            if match := re.search(r"serving on (http://127\.0\.0\.1:\d+)/", line):
                url = match.group(1)
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirects()
        )
        yield url, opener, env
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def fetch(
    opener: urllib.request.OpenerDirector, url: str, data: dict[str, str] | None = None
) -> tuple[int, dict[str, str], str]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body)
    try:
        with opener.open(request, timeout=20) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:  # 3xx and 4xx, with redirects switched off
        return error.code, dict(error.headers), error.read().decode()


@pytest.mark.slow
def test_serve_answers_over_http_with_hashed_static_files_and_working_log_in(
    server: tuple[str, urllib.request.OpenerDirector, dict[str, str]],
) -> None:
    url, opener, _env = server

    status, headers, _body = fetch(opener, f"{url}/")
    assert status == 302
    assert headers["Location"].startswith("/accounts/login/")

    status, headers, page = fetch(opener, f"{url}/accounts/login/")
    assert status == 200
    assert "Content-Security-Policy" in headers
    stylesheet = re.search(r'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', page)
    assert stylesheet, "the page should link a hashed stylesheet from the manifest"
    status, headers, css = fetch(opener, url + stylesheet.group(1))
    assert status == 200
    assert "immutable" in headers["Cache-Control"]
    assert css.strip()

    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token
    status, headers, _body = fetch(
        opener,
        f"{url}/accounts/login/",
        {
            "csrfmiddlewaretoken": token.group(1),
            "username": "ada",
            "password": "Nine-lives-of-Ada-1815",
        },
    )
    assert status == 302, "logging in should redirect"
    status, headers, _body = fetch(opener, f"{url}/")
    start_page = headers["Location"] if status == 302 else "/"
    assert not start_page.startswith("/accounts/login/"), "the session should be kept"
    status, _headers, _body = fetch(opener, url + start_page)
    assert status == 200


@pytest.mark.slow
def test_serve_runs_a_background_worker_that_triages_api_leads(
    server: tuple[str, urllib.request.OpenerDirector, dict[str, str]],
) -> None:
    url, _opener, env = server

    def run(*args: str) -> str:
        done = subprocess.run(
            leadflow_command(*args), env=env, check=True, capture_output=True, text=True
        )
        return done.stdout.strip().splitlines()[-1]

    token = run("token", "create", "ada")
    request = urllib.request.Request(
        f"{url}/api/v1/inquiries",
        data=json.dumps(
            {
                "first_name": "Grace",
                "last_name": "Hopper",
                "email": "grace@example.com",
                "channel": "api",
            }
        ).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=20) as response:
        lead_id = json.loads(response.read())["lead_id"]

    probe = (
        "from leadflow.leads.models import Lead; "
        f"lead = Lead.objects.get(pk={lead_id}); "
        "print(lead.triage_pending, lead.activities.filter(subject='Contact the lead').count())"
    )
    deadline = time.monotonic() + 30
    while (state := run("shell", "-c", probe)) != "False 1" and time.monotonic() < deadline:
        time.sleep(0.5)
    assert state == "False 1", (
        "the worker beside the server should have given the lead its first task"
    )


def test_serve_refuses_to_start_in_production_without_collected_static_files(
    tmp_path: Path,
) -> None:
    with (
        override_settings(DEBUG=False, WHITENOISE_USE_FINDERS=False, STATIC_ROOT=tmp_path),
        pytest.raises(CommandError, match="collectstatic"),
    ):
        call_command("serve", "--port", "0")


def test_ipv6_hosts_are_bracketed_in_the_bind_address() -> None:
    assert bind_address("127.0.0.1", 8000) == "127.0.0.1:8000"
    assert bind_address("::1", 8000) == "[::1]:8000"
    assert bind_address("[::1]", 8000) == "[::1]:8000"


def test_worker_count_comes_from_the_environment_or_the_cores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LEADFLOW_WEB_WORKERS", "3")
    assert default_workers() == 3
    monkeypatch.delenv("LEADFLOW_WEB_WORKERS")
    assert 1 <= default_workers() <= 8
