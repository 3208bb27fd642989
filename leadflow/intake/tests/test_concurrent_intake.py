"""Fifty inquiries for one new person at once: one lead, forty-nine attached."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from leadflow.factories import channel
from leadflow.intake.models import Inquiry, InquiryOutcome
from leadflow.intake.services import inquiry_submit
from leadflow.leads.models import Lead


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_fifty_simultaneous_inquiries_for_one_new_person_make_one_lead() -> None:
    api = channel("api")
    errors: list[BaseException] = []
    start = threading.Barrier(50)

    def send(n: int) -> None:
        try:
            start.wait()
            inquiry_submit(
                actor=None,
                channel=api,
                fields={"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"},
                message=f"request {n}",
            )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Lead.objects.count() == 1
    outcomes = list(Inquiry.objects.values_list("outcome", flat=True))
    assert outcomes.count(InquiryOutcome.CREATED) == 1
    assert outcomes.count(InquiryOutcome.ATTACHED) == 49
    assert set(Inquiry.objects.values_list("lead_id", flat=True)) == {Lead.objects.get().pk}
