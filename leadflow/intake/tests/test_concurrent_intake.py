"""Fifty inquiries for one new person at once: one lead, forty-nine attached."""

from __future__ import annotations

import gc
import threading
import time

import pytest
from django.db import OperationalError, connection

from leadflow.factories import channel
from leadflow.intake.models import Inquiry, InquiryOutcome
from leadflow.intake.services import inquiry_draft, inquiry_submit
from leadflow.leads.models import Lead


def connect_when_there_is_room(timeout: float = 60.0) -> None:
    """This thread's database connection, waiting while the server has no room for it.

    PostgreSQL's default hundred connections are shared with the other test
    process, whose own tests open some; the fifty inquiries below must each
    get one, and are sent together only once they all have.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            connection.ensure_connection()
            return
        except OperationalError as exc:
            if "too many clients" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(0.2)


# Fifty connections each: both cases on one test process, one after the other, so
# that PostgreSQL's default hundred connections are not asked for at once.
@pytest.mark.xdist_group("fifty-connections")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("drafted_first", [False, True], ids=["in-transaction", "api-draft"])
def test_fifty_simultaneous_inquiries_for_one_new_person_make_one_lead(
    drafted_first: bool,
) -> None:
    """``api-draft``: as the API does, every inquiry is drafted (and finds nobody)
    before any is written; the write must notice the lead another one created."""
    api = channel("api")
    errors: list[BaseException] = []
    start = threading.Barrier(50)
    ada = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}
    gc.collect()  # connections of earlier tests' finished threads, if any, are closed

    def send(n: int) -> None:
        try:
            message = f"request {n}"
            connect_when_there_is_room()
            draft = None
            if drafted_first:
                draft = inquiry_draft(channel=api, fields=ada, message=message)
                assert draft.matches == []
            start.wait(timeout=120)
            inquiry_submit(actor=None, channel=api, fields=ada, message=message, draft=draft)
        except BaseException as exc:
            errors.append(exc)
            start.abort()  # the others stop waiting for this one
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors, [
        repr(error) for error in errors if not isinstance(error, threading.BrokenBarrierError)
    ]
    assert Lead.objects.count() == 1
    outcomes = list(Inquiry.objects.values_list("outcome", flat=True))
    assert outcomes.count(InquiryOutcome.CREATED) == 1
    assert outcomes.count(InquiryOutcome.ATTACHED) == 49
    assert set(Inquiry.objects.values_list("lead_id", flat=True)) == {Lead.objects.get().pk}
