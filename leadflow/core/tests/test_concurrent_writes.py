"""Concurrent writers wait for each other instead of failing (SQLite WAL + IMMEDIATE)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from leadflow.factories import channel
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
