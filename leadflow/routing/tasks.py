"""Background routing work: the first-response check and the performance recount.

Both schedule their own next run: after running (on a worker whose queue can
defer tasks, as the default database queue can) each queues itself again —
the SLA check every ``LEADFLOW_SLA_CHECK_SECONDS`` (default 60), the
performance recount every ``LEADFLOW_ROUTING_STATS_MINUTES`` (default 60).
``leadflow routing schedule`` queues the first runs; it queues nothing that is
already waiting. ``leadflow worker`` runs them.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.utils import timezone

from leadflow.core.tasks import background_task, task_schedule

logger = logging.getLogger("leadflow.routing")


def sla_check_interval() -> datetime.timedelta:
    return datetime.timedelta(seconds=int(getattr(settings, "LEADFLOW_SLA_CHECK_SECONDS", 60)))


def performance_interval() -> datetime.timedelta:
    return datetime.timedelta(minutes=int(getattr(settings, "LEADFLOW_ROUTING_STATS_MINUTES", 60)))


@background_task()
def routing_sla_check() -> dict[str, int]:
    """Settle first responses that came due, then queue the next check."""
    from leadflow.routing.services import sla_check

    try:
        report = sla_check()
    finally:
        task_schedule(routing_sla_check, after=timezone.now() + sla_check_interval())
    if report.breached:
        logger.info(
            "First responses breached: %d (reassigned %d)", report.breached, report.reassigned
        )
    return {"met": report.met, "breached": report.breached, "reassigned": report.reassigned}


@background_task()
def routing_performance_refresh() -> int:
    """Recount every rep's conversion by temperature for "best performer", then queue the next."""
    from leadflow.routing.services import rep_performance_refresh

    try:
        return rep_performance_refresh()
    finally:
        task_schedule(routing_performance_refresh, after=timezone.now() + performance_interval())


def routing_schedule() -> list[str]:
    """Queue the periodic routing tasks that are not waiting yet; their names."""
    return [
        task.name
        for task in (routing_sla_check, routing_performance_refresh)
        if task_schedule(task)
    ]
