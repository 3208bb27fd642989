"""``leadflow bench list``: lead list page and list endpoint latency at 100,000 leads."""

from __future__ import annotations

import argparse
import sqlite3
import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.urls import reverse

from leadflow.core.bench.harness import (
    Client,
    Timing,
    bench_dir,
    bench_env,
    leadflow_command,
    running_server,
    time_requests,
)

DEMO_PASSWORD = "demo"
HELP = "Lead list page and list endpoint latency (median, p95)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200, help="Timed requests per scenario.")
    parser.add_argument("--fresh", action="store_true", help="Re-seed the benchmark database.")


def main(options: argparse.Namespace, say: Callable[[str], None]) -> None:
    timings = run(leads=options.leads, requests=options.requests, fresh=options.fresh, say=say)
    say(f"Lead list latency at {options.leads:,} leads (SQLite, 1 server worker, loopback HTTP):")
    for timing in timings:
        say(timing.line())
    worst = max(timings, key=lambda t: t.p95_ms)
    say(f"worst p95: {worst.p95_ms:.1f} ms ({worst.name.strip()})")


def _lead_count(database: str) -> int:
    try:
        with sqlite3.connect(database) as db:
            return int(db.execute("SELECT COUNT(*) FROM leads_lead").fetchone()[0])
    except sqlite3.Error:
        return 0


def prepare_database(
    leads: int,
    *,
    fresh: bool,
    say: Callable[[str], None],
    name: str = "bench-list",
    grows: bool = False,
) -> dict[str, str]:
    """Migrate and seed the benchmark database ``name`` unless it already holds ``leads`` leads.

    A benchmark that adds leads (``grows``) keeps its database while it holds at least ``leads``.
    """
    var_dir = bench_dir(name)
    database = var_dir / "leadflow.sqlite3"
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            database.with_name(database.name + suffix).unlink(missing_ok=True)
    env = bench_env(var_dir)
    count = _lead_count(str(database))
    if count < leads or (count != leads and not grows):
        for suffix in ("", "-wal", "-shm"):
            database.with_name(database.name + suffix).unlink(missing_ok=True)
        say(f"Seeding {leads:,} leads into {database} …")
        started = time.perf_counter()
        leadflow_command("migrate", "--noinput", env=env)
        leadflow_command("seed_demo", "--leads", str(leads), env=env)
        say(f"  seeded in {time.perf_counter() - started:.1f} s")
    else:
        leadflow_command("migrate", "--noinput", env=env)  # a database seeded by an older version
    leadflow_command("collectstatic", "--noinput", env=env)
    return env


def run(*, leads: int, requests: int, fresh: bool, say: Callable[[str], None]) -> list[Timing]:
    env = prepare_database(leads, fresh=fresh, say=say)
    token = (
        leadflow_command("token", "create", "rhys", "--name", "bench", env=env)
        .strip()
        .splitlines()[-1]
    )
    admin_token = (
        leadflow_command("token", "create", "admin", "--name", "bench", env=env)
        .strip()
        .splitlines()[-1]
    )
    login_path = reverse("login")
    page_path = reverse("leads:list")
    timings: list[Timing] = []
    with running_server(env) as base_url:
        for username in ("rhys", "admin"):
            client = Client(base_url)
            client.login(login_path, username, DEMO_PASSWORD)
            first = client.request("GET", page_path)
            if first[0] != 200:
                raise RuntimeError(f"GET {page_path}: HTTP {first[0]}")
            for label, query in _scenarios():
                path = page_path + ("?" + urlencode(query) if query else "")
                timings.append(
                    time_requests(client, f"page  {username:<6} {label}", path, requests=requests)
                )
        for username, raw in (("rhys", token), ("admin", admin_token)):
            api = Client(base_url, token=raw)
            for label, query in _scenarios():
                path = "/api/v1/leads" + ("?" + urlencode(query) if query else "")
                timings.append(
                    time_requests(api, f"api   {username:<6} {label}", path, requests=requests)
                )
            deep = _cursor_after_pages(api, pages=20)
            timings.append(
                time_requests(
                    api,
                    f"api   {username:<6} page 21 (cursor)",
                    "/api/v1/leads?" + urlencode({"cursor": deep}),
                    requests=requests,
                )
            )
    return timings


def _scenarios() -> list[tuple[str, dict[str, str]]]:
    return [
        ("first page", {}),
        ("status=working", {"status": "working"}),
        ("temperature=hot, by score", {"temperature": "hot", "ordering": "-score"}),
        ("search by surname", {"q": "Jones"}),
        ("search by e-mail", {"q": "a@"}),
    ]


def _cursor_after_pages(api: Client, *, pages: int) -> str:
    cursor = ""
    for _ in range(pages):
        body = api.json("/api/v1/leads" + ("?" + urlencode({"cursor": cursor}) if cursor else ""))
        cursor = body.get("next_cursor") or cursor
    return cursor
