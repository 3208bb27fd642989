"""Fixed-window rate limits counted in the database, shared by every serving process."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection

from leadflow.intake.models import RateLimitWindow
from leadflow.intake.ratelimit import RateLimit, rate_limit_hit

START = datetime.datetime(2025, 3, 1, 12, 0, 0, tzinfo=datetime.UTC)


@pytest.mark.django_db
def test_requests_over_the_limit_wait_until_the_window_ends() -> None:
    rule = RateLimit("form-ip:192.0.2.1", 2, 60)
    assert rate_limit_hit([rule], now=START) == 0
    assert rate_limit_hit([rule], now=START + datetime.timedelta(seconds=10)) == 0
    assert rate_limit_hit([rule], now=START + datetime.timedelta(seconds=20)) == 40
    # The next window starts afresh, and the finished one is forgotten.
    assert rate_limit_hit([rule], now=START + datetime.timedelta(seconds=61)) == 0
    assert RateLimitWindow.objects.filter(key=rule.key).count() == 1


@pytest.mark.django_db
def test_every_rule_is_counted_and_the_longest_wait_answers() -> None:
    per_ip = RateLimit("form-ip:192.0.2.1", 1, 60)
    per_form = RateLimit("form:1", 1, 3600)
    assert rate_limit_hit([per_ip, per_form], now=START) == 0
    assert rate_limit_hit([per_ip, per_form], now=START + datetime.timedelta(seconds=30)) == 3570
    hits = dict(RateLimitWindow.objects.values_list("key", "hits"))
    assert hits == {"form-ip:192.0.2.1": 2, "form:1": 2}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_requests_share_one_count() -> None:
    rule = RateLimit("form:shared", 5, 3600)
    answers: list[int] = []
    lock = threading.Lock()

    def knock() -> None:
        try:
            wait = rate_limit_hit([rule])
            with lock:
                answers.append(wait)
        finally:
            connection.close()

    threads = [threading.Thread(target=knock) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 12
    assert answers.count(0) == 5
    assert RateLimitWindow.objects.get(key="form:shared").hits == 12
