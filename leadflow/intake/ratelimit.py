"""Fixed-window rate limits for the public doors (web forms, webhooks), counted in the database.

Every serving process shares the database, so the count is the same whichever
process answers. A window is a row ``(key, window_start)``; each request adds
one to it. Fixed windows can let up to twice the limit through around a window
boundary, which is fine for keeping floods out of the inbox.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from leadflow.intake.models import RateLimitWindow


@dataclass(frozen=True)
class RateLimit:
    """At most ``limit`` requests per ``window_seconds`` for ``key``."""

    key: str
    limit: int
    window_seconds: int


def _window(now: datetime.datetime, seconds: int) -> tuple[datetime.datetime, datetime.datetime]:
    epoch = int(now.timestamp())
    start = datetime.datetime.fromtimestamp(epoch - epoch % seconds, tz=datetime.UTC)
    return start, start + datetime.timedelta(seconds=seconds)


def _count(rule: RateLimit, now: datetime.datetime) -> tuple[int, datetime.datetime]:
    """Add one hit to the rule's current window; its hits so far and when it ends."""
    start, end = _window(now, rule.window_seconds)
    key = rule.key[:200]
    rows = RateLimitWindow.objects.filter(key=key, window_start=start)
    if not rows.update(hits=F("hits") + 1):
        try:
            with transaction.atomic():
                RateLimitWindow.objects.create(key=key, window_start=start, hits=1, expires_at=end)
        except IntegrityError:
            # Another process opened the window between our update and insert.
            rows.update(hits=F("hits") + 1)
        else:
            # A new window is a good moment to forget windows that are over.
            RateLimitWindow.objects.filter(expires_at__lt=now).delete()
    hits = rows.values_list("hits", flat=True).first() or 0
    return hits, end


def rate_limit_hit(rules: Iterable[RateLimit], *, now: datetime.datetime | None = None) -> int:
    """Count one request against every rule; 0 if it may go on, else seconds to wait.

    Every rule is counted even when an earlier one is already over, so a
    sender who keeps knocking stays refused for the whole window.
    """
    now = now or timezone.now()
    wait = 0.0
    with transaction.atomic():
        for rule in rules:
            if rule.limit <= 0:
                continue
            hits, end = _count(rule, now)
            if hits > rule.limit:
                wait = max(wait, (end - now).total_seconds())
    return max(1, math.ceil(wait)) if wait else 0
