"""``leadflow bench routing``: assignments per second with a million leads in the database.

The benchmark database (``var/bench-routing``, SQLite) is seeded once with
``seed_demo --leads N``; later runs reuse it. The timing runs in a child
process on that database. For each strategy one rule routes every new lead to
team North (the demo's rhys and rosa, who own hundreds of thousands of leads,
plus six new reps), and ``--assignments`` leads arrive one after another
through ``lead_create``, each in its own transaction, as from a form. Per
strategy it prints arrivals per second (the whole ``lead_create``: lead,
events, score, routing, first task), ``lead_route`` per lead (choosing,
writing the owner and its event, the notification, the first task) and the
decision alone (lock the rule, count open leads, rank), median, p95 and max.

Two setups: A with capacities as set (the demo reps hold far more open leads
than their capacity of 200, so they are full and their counts stop at 200),
and B with every capacity lifted so that every open lead of theirs is counted
on every decision (the worst case) and best performer ranks reps with
history. Then the first-response check's throughput. The rows a run adds are
deleted afterwards, so the database stays at N leads.
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
    from leadflow.leads.models import OPEN_LEAD_STATUSES, Lead
    from leadflow.routing import services as routing
    from leadflow.routing.models import RepPerformance, RoutingRule

    total = Lead.objects.count()
    north = Team.objects.get(name="North")
    say(
        f"Routing at {total:,} leads ({connection.vendor}); {assignments} arrivals per "
        "strategy, one after another, each lead_create in its own transaction:"
    )
    demo_reps = list(User.objects.filter(team=north, role=Role.SALES_REP).order_by("pk"))
    say(
        "  team North: "
        + ", ".join(
            f"{rep.username} owns {Lead.objects.filter(owner=rep).count():,} leads "
            f"({Lead.objects.filter(owner=rep, status__in=OPEN_LEAD_STATUSES).count():,} open, "
            f"capacity {rep.capacity})"
            for rep in demo_reps
        )
        + f"; plus {BENCH_REPS} new reps (capacity 200, no history)"
    )

    saved_rules = list(RoutingRule.objects.filter(active=True).values_list("pk", flat=True))
    RoutingRule.objects.filter(pk__in=saved_rules).update(active=False)
    saved_capacity = {rep.pk: rep.capacity for rep in demo_reps}
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
    first_new_lead = (Lead.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    started_all = time.perf_counter()
    try:
        started = time.perf_counter()
        rows = routing.rep_performance_refresh()
        say(
            f"  rep performance recount (180-day window, every active rep; hourly task): "
            f"{time.perf_counter() - started:.2f} s for {rows} rows"
        )
        say("A. Capacities as set: the demo reps are full, so each count stops at 200.")
        _arrivals(None, "no rules", assignments, say)
        for strategy in STRATEGIES:
            _arrivals(north, strategy, assignments, say)
        say(
            "B. Capacity lifted to 10^9 for everyone: every open lead of the demo reps is "
            "counted on every decision (the worst case), and best performer ranks reps with history."
        )
        User.objects.filter(pk__in=[*saved_capacity, *(u.pk for u in extra)]).update(capacity=10**9)
        for strategy in STRATEGIES:
            _arrivals(north, strategy, assignments, say)
        _sla(routing, assignments, say)
    finally:
        Lead.objects.filter(pk__gte=first_new_lead).delete()
        RepPerformance.objects.filter(user__in=extra).delete()
        for user in extra:
            user.delete()
        for pk, capacity in saved_capacity.items():
            User.objects.filter(pk=pk).update(capacity=capacity)
        RoutingRule.objects.filter(pk__in=saved_rules).update(active=True)
    say(f"(whole run {time.perf_counter() - started_all:.1f} s; the rows it added are deleted)")


def _arrivals(team: Any, strategy: str, assignments: int, say: Callable[[str], None]) -> None:
    """``assignments`` new leads under one rule (none for ``team=None``); their rows deleted after."""
    from leadflow.intake.models import Channel
    from leadflow.leads import services as lead_services
    from leadflow.leads.models import Lead
    from leadflow.routing import services as routing

    web = Channel.objects.get(slug="web-form")
    rule = (
        routing.routing_rule_create(
            actor=None, name=f"Bench {strategy}", strategy=strategy, team=team
        )
        if team is not None
        else None
    )
    first = (Lead.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    try:
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
                    email=f"bench.{n}.{time.time_ns()}@example.com",
                    purchase_timeframe=("now", "1_month", "")[n % 3],
                )
            elapsed = time.perf_counter() - started
        new = Lead.objects.filter(pk__gte=first)
        owners = new.exclude(owner=None).values("owner").distinct().count()
        unassigned = new.filter(owner=None).count()
        say(
            f"  {strategy}: {assignments / elapsed:.1f} arrivals/s; "
            f"{owners} owners, {unassigned} left unassigned"
        )
        say(f"    {route_watch.line('lead_route')}")
        if decide_watch.samples:
            median = statistics.median(decide_watch.samples)
            say(
                f"    {decide_watch.line('decision')} ({1 / median:,.0f} decisions/s at the median)"
            )
    finally:
        if rule is not None:
            routing.routing_rule_delete(actor=None, rule=rule)
        if strategy != STRATEGIES[-1] or team is None:
            Lead.objects.filter(pk__gte=first).delete()


def _sla(routing: Any, count: int, say: Callable[[str], None]) -> None:
    """Settle the last scenario's first responses as if a week had passed."""
    import datetime

    from django.utils import timezone

    started = time.perf_counter()
    report = routing.sla_check(now=timezone.now() + datetime.timedelta(days=7), limit=count)
    elapsed = time.perf_counter() - started
    say(
        f"  sla-check: {report.breached} late first contacts settled in {elapsed:.2f} s "
        f"({report.breached / elapsed if elapsed else 0:,.0f}/s, with events and notifications)"
    )
