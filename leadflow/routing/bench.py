"""``leadflow bench routing``: assignments per second with a million leads in the database.

The benchmark database (``var/bench-routing``, SQLite) is seeded once with
``seed_demo --leads N``; later runs reuse it. The timing runs in a child
process on that database: for each strategy one rule routes every new lead
to team North (the demo's rhys and rosa, each owning hundreds of thousands of
leads, plus six reps without history), and ``--assignments`` leads arrive one
after another through ``lead_create``, each in its own transaction, as they
would from a form. Printed per strategy:

- arrivals per second (the whole ``lead_create``: lead, events, score, routing,
  first task);
- ``lead_route`` per lead, median and p95 (the assignment: choosing, writing
  the owner and its event, the notification and the first task);
- the decision alone (lock the rule, count the candidates' open leads, rank),
  median and p95, and the decisions per second that makes.

Then the time to recount rep performance over the window (what "best
performer" reads) and the first-response check's throughput. The rows the
run adds are deleted afterwards, so the database stays at N leads.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from leadflow.core.bench.harness import bench_dir, bench_env, leadflow_command

HELP = "Assignments per second by each routing strategy with 1,000,000 leads in the database."

BENCH_REPS = 6
STRATEGIES = ("round_robin", "least_loaded", "best_performer", "junior_pool")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--leads", type=int, default=1_000_000, help="Leads in the database.")
    parser.add_argument(
        "--assignments", type=int, default=300, help="New leads routed per strategy."
    )
    parser.add_argument("--fresh", action="store_true", help="Re-seed the benchmark database.")
    parser.add_argument(
        "--in-place",
        action="store_true",
        help="Run on the current database (the parent process passes this to its child).",
    )


def main(options: argparse.Namespace, say: Callable[[str], None]) -> None:
    if options.in_place:
        run(assignments=options.assignments, say=say)
        return
    env = prepare_database(options.leads, fresh=options.fresh, say=say)
    say(
        leadflow_command(
            "bench",
            "routing",
            "--in-place",
            "--leads",
            str(options.leads),
            "--assignments",
            str(options.assignments),
            env=env,
        ).rstrip()
    )


def _lead_count(database: str) -> int:
    try:
        with sqlite3.connect(database) as db:
            return int(db.execute("SELECT COUNT(*) FROM leads_lead").fetchone()[0])
    except sqlite3.Error:
        return 0


def prepare_database(leads: int, *, fresh: bool, say: Callable[[str], None]) -> dict[str, str]:
    """Migrate and seed the benchmark database unless it already holds ``leads`` leads."""
    var_dir = bench_dir("bench-routing")
    database = var_dir / "leadflow.sqlite3"
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            database.with_name(database.name + suffix).unlink(missing_ok=True)
    env = bench_env(var_dir)
    if _lead_count(str(database)) != leads:
        for suffix in ("", "-wal", "-shm"):
            database.with_name(database.name + suffix).unlink(missing_ok=True)
        say(f"Seeding {leads:,} leads into {database} (a few minutes at a million) …")
        started = time.perf_counter()
        leadflow_command("migrate", "--noinput", env=env)
        leadflow_command("seed_demo", "--leads", str(leads), env=env)
        say(f"  seeded in {time.perf_counter() - started:.1f} s")
    else:
        # A database seeded before a new migration still needs it.
        leadflow_command("migrate", "--noinput", env=env)
    return env


# --- In the child process, on the benchmark database --------------------------------


class Stopwatch:
    """Wraps a function and keeps the duration of every call."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function
        self.samples: list[float] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return self.function(*args, **kwargs)
        finally:
            self.samples.append(time.perf_counter() - started)

    def line(self, label: str) -> str:
        if not self.samples:
            return f"{label} no samples"
        ordered = sorted(self.samples)
        median = statistics.median(ordered)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        return (
            f"{label} median {median * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
            f"max {ordered[-1] * 1000:.0f} ms"
        )


@contextmanager
def timed(module: Any, name: str) -> Iterator[Stopwatch]:
    original = getattr(module, name)
    watch = Stopwatch(original)
    setattr(module, name, watch)
    try:
        yield watch
    finally:
        setattr(module, name, original)


def run(*, assignments: int, say: Callable[[str], None]) -> None:
    from django.db import connection

    from leadflow.accounts.models import Role, Team, User
    from leadflow.accounts.services import user_create
    from leadflow.intake.models import Channel
    from leadflow.leads import services as lead_services
    from leadflow.leads.models import OPEN_LEAD_STATUSES, Lead
    from leadflow.routing import services as routing
    from leadflow.routing.models import RepPerformance, RoutingRule

    total = Lead.objects.count()
    north = Team.objects.get(name="North")
    say(
        f"Routing at {total:,} leads ({connection.vendor}); {assignments} arrivals per "
        "strategy, each lead_create in its own transaction, rule targets team North:"
    )
    demo_reps = list(User.objects.filter(team=north, role=Role.SALES_REP).order_by("pk"))
    open_counts = {
        rep.username: Lead.objects.filter(owner=rep, status__in=OPEN_LEAD_STATUSES).count()
        for rep in demo_reps
    }
    say(
        "  North's demo reps own "
        + ", ".join(
            f"{rep.username} {Lead.objects.filter(owner=rep).count():,} leads "
            f"({open_counts[rep.username]:,} open)"
            for rep in demo_reps
        )
        + f"; plus {BENCH_REPS} reps without history"
    )

    saved_rules = list(RoutingRule.objects.filter(active=True).values_list("pk", flat=True))
    RoutingRule.objects.filter(pk__in=saved_rules).update(active=False)
    saved_capacity = {rep.pk: rep.capacity for rep in demo_reps}
    # The demo's reps hold far more open leads than the default capacity of
    # 200; lift it so that they take part (the counting is the same work).
    User.objects.filter(pk__in=saved_capacity).update(capacity=10**9)
    extra = [
        user_create(
            actor=None,
            username=f"bench-rep-{n}-{time.time_ns()}",
            role=Role.SALES_REP,
            team=north,
            tier=1 if n % 2 else 2,
        )
        for n in range(BENCH_REPS)
    ]
    User.objects.filter(pk__in=[user.pk for user in extra]).update(capacity=10**9)
    first_new_lead = (Lead.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    web = Channel.objects.get(slug="web-form")
    started_all = time.perf_counter()
    try:
        started = time.perf_counter()
        rows = routing.rep_performance_refresh()
        say(
            f"  rep performance recount (180-day window, every rep): "
            f"{time.perf_counter() - started:.2f} s for {rows} rows"
        )
        _baseline(lead_services, web, assignments, say)
        for strategy in STRATEGIES:
            rule = routing.routing_rule_create(
                actor=None, name=f"Bench {strategy}", strategy=strategy, team=north
            )
            with (
                timed(lead_services, "lead_route") as route_watch,
                timed(routing, "route_decide") as decide_watch,
            ):
                started = time.perf_counter()
                for n in range(assignments):
                    lead_services.lead_create(
                        actor=None,
                        channel=web,
                        first_name="Bench",
                        last_name=f"{strategy} {n}",
                        email=f"bench.{strategy}.{n}.{time.time_ns()}@example.com",
                        purchase_timeframe=("now", "1_month", "")[n % 3],
                    )
                elapsed = time.perf_counter() - started
            owners = set(
                Lead.objects.filter(pk__gte=first_new_lead, last_name__startswith=strategy)
                .values_list("owner__username", flat=True)
                .distinct()
            )
            decide_median = statistics.median(decide_watch.samples)
            say(f"  {strategy}: {assignments / elapsed:.1f} arrivals/s, {len(owners)} owners")
            say(f"    {route_watch.line('lead_route')}")
            say(
                f"    {decide_watch.line('decision')} "
                f"({1 / decide_median:,.0f} decisions/s at the median)"
            )
            routing.routing_rule_delete(actor=None, rule=rule)
        _sla(routing, first_new_lead, say)
    finally:
        Lead.objects.filter(pk__gte=first_new_lead).delete()
        RepPerformance.objects.filter(user__in=extra).delete()
        for user in extra:
            user.delete()
        for pk, capacity in saved_capacity.items():
            User.objects.filter(pk=pk).update(capacity=capacity)
        RoutingRule.objects.filter(pk__in=saved_rules).update(active=True)
    say(f"  (whole run {time.perf_counter() - started_all:.1f} s; added rows deleted)")


def _baseline(lead_services: Any, web: Any, assignments: int, say: Callable[[str], None]) -> None:
    """The same arrivals with no rule: the lead waits unassigned, with its first task."""
    started = time.perf_counter()
    with timed(lead_services, "lead_route") as route_watch:
        for n in range(assignments):
            lead_services.lead_create(
                actor=None,
                channel=web,
                first_name="Bench",
                last_name=f"unrouted {n}",
                email=f"bench.unrouted.{n}.{time.time_ns()}@example.com",
            )
    elapsed = time.perf_counter() - started
    say(f"  no rules (first task only, no owner): {assignments / elapsed:.1f} arrivals/s")
    say(f"    {route_watch.line('lead_route')}")


def _sla(routing: Any, first_new_lead: int, say: Callable[[str], None]) -> None:
    """Settle every first response the run created as if a day had passed."""
    import datetime

    from django.utils import timezone

    from leadflow.routing.models import FirstResponse

    pending = FirstResponse.objects.filter(lead_id__gte=first_new_lead, breached_at__isnull=True)
    count = pending.count()
    started = time.perf_counter()
    report = routing.sla_check(now=timezone.now() + datetime.timedelta(days=7), limit=count)
    elapsed = time.perf_counter() - started
    say(
        f"  sla-check: {report.breached} breaches settled in {elapsed:.2f} s "
        f"({report.breached / elapsed if elapsed else 0:,.0f}/s, events and notifications included)"
    )
