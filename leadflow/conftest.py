"""Shared personas for the whole suite.

Two teams: North (harriet heads it; rhys and rosa are reps) and South (sam is
a rep). alice is the admin and mia the marketer.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from leadflow.accounts.models import Role, Team, User
from leadflow.factories import make_team, make_user


@pytest.fixture
def north(db: None) -> Team:
    return make_team("North")


@pytest.fixture
def south(db: None) -> Team:
    return make_team("South")


@pytest.fixture
def alice(db: None) -> User:
    return make_user("alice", Role.ADMIN)


@pytest.fixture
def harriet(north: Team) -> User:
    return make_user("harriet", Role.HEAD_OF_SALES, north)


@pytest.fixture
def rhys(north: Team) -> User:
    return make_user("rhys", Role.SALES_REP, north)


@pytest.fixture
def rosa(north: Team) -> User:
    return make_user("rosa", Role.SALES_REP, north)


@pytest.fixture
def sam(south: Team) -> User:
    return make_user("sam", Role.SALES_REP, south)


@pytest.fixture
def mia(db: None) -> User:
    return make_user("mia", Role.MARKETER)


@pytest.fixture
def migrate() -> Iterator[Callable[[list[tuple[str, str]]], None]]:
    """Moves the test database to migration targets such as ``[("intake", "0008_…")]``.

    For tests of a data migration; they need ``transaction=True`` and
    ``serialized_rollback=True``.
    """
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    def to(targets: list[tuple[str, str]]) -> None:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(targets)

    yield to
    # Back to the latest migration of every app: the tests after this one
    # expect the whole schema, migrations newer than the test's targets too.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def chromium(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright (it cannot download its own).

    Missing Chromium skips the test on a workstation and fails it in CI.
    """
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (apt-get install chromium chromium-driver)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the
    # test makes between browser steps are still plain synchronous calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
            # Inside this block the ORM runs in Playwright's context, with
            # database connections of its own: closed here, or they outlive
            # the test (and PostgreSQL's test database cannot be dropped).
            connections.close_all()
