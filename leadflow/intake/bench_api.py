"""API intake throughput: inquiries per second through ``POST /api/v1/inquiries``.

A real ``leadflow serve`` (gunicorn) on loopback over the benchmark's SQLite
database, driven by client threads that keep their connections open. One in
five inquiries is a person already sent earlier in the run (so matching
attaches it), the rest are new people; every request carries its own
Idempotency-Key, as an integrator's would.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import sqlite3
import statistics
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from leadflow.core.bench.harness import cpu_seconds, leadflow_command, serving
from leadflow.core.bench.list_latency import prepare_database

FIRST = ["Ayşe", "Mehmet", "Elif", "Carmen", "Javier", "Rhiannon", "Dafydd", "Oliver", "Amelia"]
LAST = ["Yılmaz", "Kaya", "Demir", "García", "López", "Jones", "Evans", "Smith", "Taylor"]
CHANNELS = ["api", "web-form", "chat", "third-party"]


@dataclass
class IntakeResult:
    seconds: float
    latencies: list[float]
    statuses: Counter[int]
    outcomes: Counter[str]
    triage_lag: float = 0.0
    server_cpu: float = 0.0

    @property
    def cpu_ms(self) -> float:
        """CPU the server's processes (web workers and the task worker) spent per inquiry."""
        return self.server_cpu / len(self.latencies) * 1000

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile_ms(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] * 1000


def _person(rng: random.Random, n: int) -> dict[str, str]:
    return {
        "first_name": rng.choice(FIRST),
        "last_name": rng.choice(LAST),
        "email": f"intake.{n}@example.com",
        "phone": f"+44207{n % 10_000_000:07d}",  # as many numbers as e-mail addresses
        "channel": rng.choice(CHANNELS),
        "message": f"Please send a quote ({n})",
        "purchase_timeframe": rng.choice(["", "now", "1_month", "6_months"]),
    }


def drive(
    base_url: str, token: str, *, total: int, threads: int, seed: int = 7, rate: float = 0
) -> IntakeResult:
    """Send ``total`` inquiries from ``threads`` keep-alive connections; time each one.

    ``rate``: inquiry ``n`` is due ``n / rate`` seconds after the start (an
    open load, as arrivals from the outside world are) and its latency is
    counted from when it was due, so a server that falls behind is charged
    for the wait; 0 sends each as soon as a connection is free.
    """
    host, port = base_url.removeprefix("http://").split(":")
    rng = random.Random(seed)
    bodies: list[dict[str, str]] = []
    run_id = uuid.uuid4().hex[:8]
    for n in range(total):
        if n > 20 and rng.random() < 0.2:
            earlier = dict(bodies[rng.randrange(len(bodies))])
            earlier["channel"] = rng.choice(CHANNELS)
            earlier["message"] = f"Following up ({n})"
            bodies.append(earlier)
        else:
            bodies.append(_person(rng, int(run_id, 16) % 10_000_000 + n))
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    next_index = iter(range(total))

    def worker() -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=120)
        while True:
            with lock:
                index = next(next_index, None)
            if index is None:
                break
            headers = {
                "Host": "127.0.0.1",
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": f"{run_id}-{index}",
            }
            started = time.perf_counter()
            if rate:
                due = begun + index / rate
                if due > started:
                    time.sleep(due - started)
                started = due
            connection.request(
                "POST", "/api/v1/inquiries", body=json.dumps(bodies[index]), headers=headers
            )
            response = connection.getresponse()
            payload = response.read()
            elapsed = time.perf_counter() - started
            outcome = json.loads(payload).get("outcome", "") if response.status < 300 else ""
            with lock:
                latencies.append(elapsed)
                statuses[response.status] += 1
                outcomes[outcome or f"HTTP {response.status}"] += 1
        connection.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    begun = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return IntakeResult(time.perf_counter() - begun, latencies, statuses, outcomes)


@dataclass(frozen=True)
class Load:
    label: str
    threads: int
    rate: float = 0  # inquiries a second, or 0: each as soon as a connection is free


def run(
    *,
    leads: int,
    total: int,
    workers: int,
    rounds: int,
    loads: list[Load],
    fresh: bool,
    say: Callable[[str], None],
) -> dict[Load, list[IntakeResult]]:
    env = prepare_database(leads, fresh=fresh, say=say, name="bench-intake", grows=True)
    token = leadflow_command("token", "create", "admin", "--name", "bench", env=env)
    token = token.strip().splitlines()[-1]
    results: dict[Load, list[IntakeResult]] = {}
    database = Path(env["LEADFLOW_VAR_DIR"]) / "leadflow.sqlite3"
    with serving(env, workers=workers) as (base_url, server):
        drive(base_url, token, total=50, threads=2, seed=1)  # warm up the workers
        wait_for_triage(database)
        for load in loads:
            say(f"{load.label}, from {load.threads} client connections:")
            for round_number in range(rounds):
                cpu_before = cpu_seconds(server.pid)
                result = drive(
                    base_url,
                    token,
                    total=total,
                    threads=load.threads,
                    seed=100 + len(results) * rounds + round_number,
                    rate=load.rate,
                )
                result.triage_lag = wait_for_triage(database)
                result.server_cpu = cpu_seconds(server.pid) - cpu_before
                say(
                    f"  round {round_number + 1}: {result.per_second:6.1f} inquiries/s   "
                    f"median {statistics.median(result.latencies) * 1000:6.1f} ms   "
                    f"p95 {result.percentile_ms(0.95):6.1f} ms   "
                    f"server CPU {result.cpu_ms:5.1f} ms/inquiry   "
                    f"triaged {result.triage_lag:4.1f} s after the last answer   "
                    f"outcomes {dict(result.outcomes)}"
                )
                results.setdefault(load, []).append(result)
    return results


def wait_for_triage(database: Path, timeout: float = 600) -> float:
    """Seconds until the worker beside the server has scored and routed every new lead."""
    started = time.perf_counter()
    with sqlite3.connect(database, timeout=60) as connection:
        while time.perf_counter() - started < timeout:
            (pending,) = connection.execute(
                "SELECT COUNT(*) FROM leads_lead WHERE triage_pending"
            ).fetchone()
            if not pending:
                break
            time.sleep(0.1)
    return time.perf_counter() - started


def run_api(options: argparse.Namespace, say: Callable[[str], None]) -> None:
    """``leadflow bench intake --scenario api``: the most inquiries/s, and latency at a set rate.

    First as fast as the server answers (``--api-threads`` connections, each
    sending its next inquiry when the last is answered): the throughput it
    sustains. Then, unless ``--api-rate 0``, an open load of ``--api-rate``
    inquiries a second, each timed from when it fell due: the latency
    callers see at that rate (at full speed, latency only measures the queue
    the clients themselves keep full).
    """
    fastest = Load("As fast as answered", options.api_threads)
    loads = [fastest]
    if options.api_rate:
        loads.append(
            Load(f"{options.api_rate:g} a second", options.api_rate_threads, options.api_rate)
        )
    say(
        f"API intake: {options.api_requests:,} inquiries × {options.api_rounds} rounds a load, "
        f"{options.api_workers} server workers, {options.api_leads:,} leads already in the "
        "database (SQLite, loopback HTTP)"
    )
    results = run(
        leads=options.api_leads,
        total=options.api_requests,
        workers=options.api_workers,
        rounds=options.api_rounds,
        loads=loads,
        fresh=False,
        say=say,
    )
    every = [result for load_results in results.values() for result in load_results]
    failures = sum(
        count for result in every for status, count in result.statuses.items() if status >= 300
    )
    full = results[fastest]
    cpu = statistics.median(result.cpu_ms for result in full)
    say(
        f"median throughput           {statistics.median(r.per_second for r in full):>8.1f} "
        "inquiries/s as fast as answered (target ≥ 150)"
    )
    say(
        f"median p95 latency          {statistics.median(r.percentile_ms(0.95) for r in full):>8.1f}"
        f" ms          as fast as answered, {options.api_threads} connections"
    )
    say(
        f"median server CPU           {cpu:>8.1f} ms per inquiry, scoring and routing included "
        f"(at most {2000 / cpu:.0f} inquiries/s on two idle cores)"
    )
    if options.api_rate:
        paced = results[loads[1]]
        say(
            f"median p95 latency          "
            f"{statistics.median(r.percentile_ms(0.95) for r in paced):>8.1f} ms          at "
            f"{statistics.median(r.per_second for r in paced):.1f} inquiries/s (target ≤ 100)"
        )
    say(f"failed requests             {failures:>8}")


def add_api_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--api-leads", type=int, default=20_000, help="Leads seeded first.")
    parser.add_argument("--api-requests", type=int, default=1_000, help="Inquiries per round.")
    parser.add_argument("--api-rounds", type=int, default=3, help="Rounds of each load.")
    parser.add_argument(
        "--api-threads", type=int, default=8, help="Client connections sending as fast as answered."
    )
    parser.add_argument(
        "--api-rate",
        type=float,
        default=150,
        help="Inquiries a second of the second load, each timed from when it fell due (0: none).",
    )
    parser.add_argument(
        "--api-rate-threads", type=int, default=32, help="Client connections of the second load."
    )
    parser.add_argument("--api-workers", type=int, default=3, help="Server processes.")
