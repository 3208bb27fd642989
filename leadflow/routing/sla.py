"""When a new lead's first contact is due: the first-response target by temperature."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from leadflow.routing.models import ResponseTarget


@dataclass(frozen=True)
class Target:
    minutes: int
    business_days: int


def default_targets() -> dict[str, Target]:
    """Targets used for a temperature the head of sales has not set (settings can change them)."""
    return {
        "hot": Target(int(getattr(settings, "LEADFLOW_SLA_HOT_MINUTES", 15)), 0),
        "warm": Target(int(getattr(settings, "LEADFLOW_SLA_WARM_MINUTES", 240)), 0),
        "cold": Target(0, int(getattr(settings, "LEADFLOW_SLA_COLD_BUSINESS_DAYS", 2))),
    }


def targets() -> dict[str, Target]:
    found = default_targets()
    for row in ResponseTarget.objects.all():
        found[row.temperature] = Target(row.minutes, row.business_days)
    return found


def add_business_days(start: datetime.datetime, days: int) -> datetime.datetime:
    """``days`` working days (Monday–Friday) after ``start``, at the same local time.

    A lead that arrives on Friday at 10:00 with two business days is due on
    Tuesday at 10:00; one that arrives on Saturday is due on Tuesday too.
    """
    local = timezone.localtime(start)
    moved = 0
    while moved < days:
        local = local + datetime.timedelta(days=1)
        if local.weekday() < 5:
            moved += 1
    # Re-attach the zone so a change of daylight-saving time keeps the wall-clock hour.
    naive = local.replace(tzinfo=None)
    return timezone.make_aware(naive, timezone.get_current_timezone())


def response_due_at(
    temperature: str, start: datetime.datetime, known: dict[str, Target] | None = None
) -> datetime.datetime:
    """When the first contact is due; ``known``: ``targets()`` read once for many leads."""
    target = (known or targets()).get(temperature) or default_targets()["cold"]
    due = add_business_days(start, target.business_days) if target.business_days else start
    return due + datetime.timedelta(minutes=target.minutes)
