"""Concurrent writers wait for each other instead of failing (SQLite WAL + IMMEDIATE)."""

from __future__ import annotations

import threading
from typing import Any, cast

import pytest
from django.db import OperationalError, connection, transaction

from leadflow.factories import channel
from leadflow.intake.models import Channel
from leadflow.leads.models import Lead
from leadflow.leads.services import lead_create, lead_update


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_lead_creation_loses_nothing() -> None:
    web = channel()
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for i in range(15):
                lead_create(
                    actor=None,
                    channel=web,
                    first_name=f"W{worker}",
                    last_name=f"L{i}",
                    email=f"w{worker}.{i}@example.com",
                )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Lead.objects.count() == 90


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_edits_of_one_lead_give_one_winner_per_version() -> None:
    lead = lead_create(actor=None, channel=channel(), first_name="Ada", email="ada@example.com")
    outcomes: list[str] = []
    lock = threading.Lock()

    def edit(n: int) -> None:
        try:
            lead_update(actor=None, lead=lead, version=1, job_title=f"Title {n}")
            result = "saved"
        except Exception as exc:
            result = type(exc).__name__
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=edit, args=(n,)) for n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ConflictError"] * 4 + ["saved"]
    lead.refresh_from_db()
    assert lead.version == 2


sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's write lock and busy timeout"
)


def _hold_write_lock(started: threading.Event, release: threading.Event) -> None:
    try:
        with transaction.atomic():
            Channel.objects.create(slug="holder", name="Holder")
            started.set()
            release.wait(10)
    finally:
        connection.close()


@sqlite_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_writer_that_finds_the_database_busy_goes_on_once_it_is_free() -> None:
    started, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(started, release))
    holder.start()
    assert started.wait(10)
    threading.Timer(0.2, release.set).start()
    with transaction.atomic():
        Channel.objects.create(slug="waiter", name="Waiter")
        assert release.is_set()  # the transaction began only after the holder's ended
    holder.join()
    assert set(
        Channel.objects.filter(slug__in=["holder", "waiter"]).values_list("slug", flat=True)
    ) == {
        "holder",
        "waiter",
    }
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == cast(Any, connection).busy_timeout_ms


@sqlite_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_writer_gives_up_with_sqlites_error_after_the_timeout() -> None:
    started, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(started, release))
    holder.start()
    try:
        assert started.wait(10)
        connection.ensure_connection()
        sqlite: Any = connection
        configured = sqlite.busy_timeout_ms
        sqlite.busy_timeout_ms = 50
        try:
            with pytest.raises(OperationalError, match="locked"), transaction.atomic():
                Channel.objects.create(slug="waiter", name="Waiter")
            with connection.cursor() as cursor:  # statements wait again, as configured
                cursor.execute("PRAGMA busy_timeout")
                assert cursor.fetchone()[0] == 50
        finally:
            sqlite.busy_timeout_ms = configured
    finally:
        release.set()
        holder.join()
    assert not Channel.objects.filter(slug="waiter").exists()
