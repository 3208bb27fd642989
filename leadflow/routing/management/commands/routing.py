"""``leadflow routing sla-check|stats-refresh|schedule``: routing's periodic work by hand."""

from __future__ import annotations

import datetime
import time
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from leadflow.core.management.base import LeadflowCommand


class Command(LeadflowCommand):
    help = (
        "sla-check: settle first responses that came due (breaches are recorded, "
        "notified and, where the rule says so, reassigned). stats-refresh: recount each "
        "rep's conversion by temperature for best-performer routing. schedule: queue both "
        "to repeat on `leadflow worker`. route-waiting: route the unowned open leads again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("sla-check", help="Settle first responses that came due.")
        check.add_argument(
            "--now", help="Check as of this time (ISO 8601), for replaying a past moment."
        )
        check.add_argument("--limit", type=int, default=10_000, help="At most this many leads.")
        sub.add_parser("stats-refresh", help="Recount rep performance for best-performer routing.")
        sub.add_parser("schedule", help="Queue the periodic SLA check and recount.")
        waiting = sub.add_parser(
            "route-waiting",
            help="Route the open leads nobody owns again; give bulk-loaded leads their first task.",
        )
        waiting.add_argument("--limit", type=int, default=10_000, help="At most this many leads.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "sla-check":
            from leadflow.routing.services import sla_check

            now = _parse_now(options.get("now"))
            report = sla_check(now=now, limit=options["limit"])
            self.stdout.write(
                f"First responses checked: {report.met} met, {report.breached} breached, "
                f"{report.reassigned} reassigned."
            )
        elif action == "stats-refresh":
            from leadflow.routing.services import rep_performance_refresh

            started = time.perf_counter()
            rows = rep_performance_refresh()
            self.stdout.write(
                f"Rep performance recounted ({rows} rows) in {time.perf_counter() - started:.2f} s."
            )
        elif action == "route-waiting":
            from leadflow.routing.services import leads_route_waiting

            routed = leads_route_waiting(actor=None, limit=options["limit"])
            self.stdout.write(
                f"Waiting leads: {routed.assigned} given an owner, {routed.still_waiting} still "
                f"waiting; {routed.first_tasks} first tasks added."
            )
        else:
            from leadflow.routing.tasks import routing_schedule

            queued = routing_schedule()
            if queued:
                self.stdout.write("Queued: " + ", ".join(queued) + ".")
            else:
                self.stdout.write(
                    "Nothing queued: the tasks are already waiting, or the task queue "
                    "cannot run tasks later (LEADFLOW_TASKS_IMMEDIATE)."
                )


def _parse_now(value: str | None) -> datetime.datetime | None:
    if not value:
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        raise CommandError(f"--now: not an ISO 8601 date and time: {value!r}")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed
