"""``leadflow bench intake``: how fast inquiries come in.

Scenarios (``--scenario``):

- ``import`` — a generated CSV of 1,000,000 rows (about 5 % of them the same
  person again, written differently) through ``leadflow import_leads`` in a
  child process on a fresh SQLite database: rows per second, the child's
  peak memory, and whether every row is accounted for.
- ``api`` — ``POST /api/v1/inquiries`` through a real server: sustained
  inquiries per second and latency (see ``leadflow/intake/bench_api.py``).
Matching one new inquiry against a large database is measured by
``leadflow bench dedupe --part scale``.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from leadflow.core.bench.harness import (
    bench_dir,
    bench_env,
    leadflow_command,
    python_loop_seconds,
    stat_cpu_seconds,
    stat_fields,
)
from leadflow.intake.bench_api import add_api_arguments, run_api

HELP = "Intake throughput: CSV import (rows/s, peak memory), API intake (inquiries/s, p95)."

Say = Callable[[str], None]

FIRST_NAMES = [
    "Ayşe",
    "Fatma",
    "Emine",
    "Hatice",
    "Zeynep",
    "Elif",
    "Merve",
    "Özge",
    "Büşra",
    "Şule",
    "İpek",
    "Ebru",
    "Derya",
    "Gül",
    "Selin",
    "Mehmet",
    "Mustafa",
    "Ahmet",
    "Ali",
    "Hüseyin",
    "Hasan",
    "İbrahim",
    "İsmail",
    "Osman",
    "Yusuf",
    "Murat",
    "Ömer",
    "Emre",
    "Burak",
    "Gareth",
    "Rhys",
    "Dafydd",
    "Owain",
    "Siân",
    "Cerys",
    "Megan",
    "Bethan",
    "Ffion",
    "Gwen",
    "Iolo",
    "Llinos",
    "Carys",
    "Elin",
    "Aled",
    "María",
    "Carmen",
    "Lucía",
    "Sofía",
    "Martina",
    "Paula",
    "Laura",
    "Ana",
    "Marta",
    "Elena",
    "José",
    "Antonio",
    "Manuel",
    "Javier",
    "Daniel",
    "David",
    "Carlos",
    "Miguel",
    "Alejandro",
    "Pablo",
    "Sergio",
    "Jorge",
    "Álvaro",
    "Diego",
    "John",
    "James",
    "Oliver",
    "Emma",
    "Olivia",
    "Amelia",
    "Isla",
    "Ava",
    "Jack",
    "Harry",
    "George",
    "Noah",
    "Charlie",
    "Thomas",
    "Oscar",
    "William",
    "Sophie",
]
LAST_NAMES = [
    "Yılmaz",
    "Kaya",
    "Demir",
    "Şahin",
    "Çelik",
    "Yıldız",
    "Yıldırım",
    "Öztürk",
    "Aydın",
    "Özdemir",
    "Arslan",
    "Doğan",
    "Kılıç",
    "Aslan",
    "Çetin",
    "Kara",
    "Koç",
    "Kurt",
    "Özkan",
    "Şimşek",
    "Polat",
    "Korkmaz",
    "Karakaya",
    "Erdoğan",
    "Güneş",
    "Jones",
    "Davies",
    "Williams",
    "Evans",
    "Thomas",
    "Roberts",
    "Hughes",
    "Lewis",
    "Morgan",
    "Griffiths",
    "Edwards",
    "Owen",
    "Price",
    "Jenkins",
    "Powell",
    "Rees",
    "Pritchard",
    "Parry",
    "Vaughan",
    "Llewellyn",
    "García",
    "Fernández",
    "González",
    "Rodríguez",
    "López",
    "Martínez",
    "Sánchez",
    "Pérez",
    "Gómez",
    "Martín",
    "Jiménez",
    "Ruiz",
    "Hernández",
    "Díaz",
    "Moreno",
    "Muñoz",
    "Álvarez",
    "Romero",
    "Navarro",
    "Torres",
    "Domínguez",
    "Smith",
    "Brown",
    "Taylor",
    "Wilson",
    "Johnson",
    "Walker",
    "Wright",
    "Robinson",
    "Thompson",
    "White",
    "Hall",
    "Green",
    "Wood",
    "Harris",
    "Clarke",
    "Jackson",
    "Turner",
    "Hill",
    "Moore",
    "Cooper",
    "Ward",
    "King",
]
CITIES = [
    "İstanbul",
    "Ankara",
    "İzmir",
    "Bursa",
    "Antalya",
    "Cardiff",
    "Swansea",
    "Newport",
    "Wrexham",
    "Bangor",
    "Aberystwyth",
    "Madrid",
    "Barcelona",
    "Valencia",
    "Sevilla",
    "Zaragoza",
    "Málaga",
    "Bilbao",
    "London",
    "Manchester",
    "Leeds",
    "Bristol",
]
TITLES = ("Purchasing Manager", "Director", "Owner", "Office Manager", "Engineer", "CFO", "")
SOURCES = ("Trade fair", "Purchased list", "Webinar", "Partner", "Cold call")
HEADERS = [
    "external_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "company_name",
    "job_title",
    "city",
    "postal_code",
    "Lead Source",
    "Industry",
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scenario", choices=["all", "import", "api"], default="all", help="What to run."
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="Rows in the import file.")
    parser.add_argument(
        "--duplicates", type=float, default=0.05, help="Share of rows that repeat a person."
    )
    add_api_arguments(parser)


def main(options: argparse.Namespace, say: Say) -> None:
    scenarios = ["import", "api"] if options.scenario == "all" else [options.scenario]
    for name in scenarios:
        SCENARIOS[name](options, say)


# --- import ----------------------------------------------------------------------------


def _person(index: int) -> list[str]:
    """Person ``index`` of the generated list: the same every time it is asked for."""
    rng = random.Random(index * 7919 + 17)
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    company = rng.randrange(3000)
    local = f"{first}.{last}".lower().translate(_ASCII)
    return [
        f"EXT-{index:07d}",
        first,
        last,
        f"{local}.{index}@c{company}.example.com",
        f"020 {rng.choice('78')}{rng.randrange(100, 1000)} {rng.randrange(10000):04d}"
        if rng.random() < 0.6
        else "",
        f"Company {company} Ltd",
        rng.choice(TITLES),
        rng.choice(CITIES),
        f"{rng.randrange(10000, 99999)}",
        rng.choice(SOURCES),
        f"Sector {company % 40}",
    ]


_ASCII = str.maketrans("çğıöşüâáéíñóúİÇĞÖŞÜÁÉÍÑÓÚ", "cgiosuaaeinouICGOSUAEINOU")


def _again(row: list[str], rng: random.Random) -> list[str]:
    """The same person written differently: no id, e-mail in capitals, phone formatted anew."""
    again = list(row)
    again[0] = ""
    again[3] = again[3].upper()
    if again[4]:
        digits = again[4].replace(" ", "")
        again[4] = f"+44 {digits[1:3]} {digits[3:7]} {digits[7:]}"
    if rng.random() < 0.5:
        again[6] = ""  # job title left out
    again[9] = rng.choice(SOURCES)
    return again


def import_rows(rows: int, duplicates: float, seed: int = 2024) -> Iterator[list[str]]:
    """The generated rows: new people, and now and then one seen earlier in the file."""
    rng = random.Random(seed)
    people = 0
    for _ in range(rows):
        if people and rng.random() < duplicates:
            yield _again(_person(rng.randrange(people)), rng)
        else:
            yield _person(people)
            people += 1


def import_file(path: Path, rows: int, duplicates: float) -> Path:
    """Write the generated CSV once (re-used while it exists)."""
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADERS)
        writer.writerows(import_rows(rows, duplicates))
    partial.rename(path)
    return path


def _database_counts(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as db:
        return {
            table: int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
            for table in ("leads_lead", "intake_inquiry", "identity_matchkey", "core_event")
        }


def run_import(options: argparse.Namespace, say: Say) -> None:
    var_dir = bench_dir("bench-import")
    env = bench_env(var_dir)
    database = var_dir / "leadflow.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    leadflow_command("migrate", "--noinput", env=env)
    share = f"{options.duplicates:.2f}".replace(".", "")
    source = var_dir / f"leads-{options.rows}-{share}.csv"
    say(f"Generating {options.rows:,} rows into {source} …")
    import_file(source, options.rows, options.duplicates)
    size_mb = source.stat().st_size / 1e6
    results = var_dir / "results.csv"
    speed_before = python_loop_seconds()
    say(f"Importing {size_mb:,.0f} MB with leadflow import_leads …")
    started = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "leadflow.cli",
            "import_leads",
            str(source),
            "--channel",
            "import",
            "--results",
            str(results),
            "--no-progress",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # The import forks a process that cleans rows: their memory counts together.
    peak_rss_kb = peak_pss_kb = 0
    cpu_of: dict[int, float] = {}  # the latest CPU seconds seen of each process
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        sample = _tree_sample(process.pid)
        peak_rss_kb, peak_pss_kb = max(peak_rss_kb, sample.rss_kb), max(peak_pss_kb, sample.pss_kb)
        cpu_of.update(sample.cpu)
        time.sleep(0.25)
    elapsed = time.perf_counter() - started
    speed_after = python_loop_seconds()
    process.returncode = os.waitstatus_to_exitcode(status)
    output = process.stdout.read() if process.stdout else ""
    errors = process.stderr.read() if process.stderr else ""
    if process.returncode != 0:
        raise RuntimeError(f"import_leads failed:\n{output}\n{errors}")
    peak_mb = usage.ru_maxrss / 1024  # kilobytes on Linux
    counts = _database_counts(database)
    with results.open(encoding="utf-8") as handle:
        result_lines = sum(1 for _ in handle) - 1
    rate = options.rows / elapsed
    say(output.strip())
    say(f"rows in the file            {options.rows:>12,}")
    say(f"result lines                {result_lines:>12,}")
    say(f"leads / inquiries stored    {counts['leads_lead']:>12,} / {counts['intake_inquiry']:,}")
    say(
        f"match keys / events stored  {counts['identity_matchkey']:>12,} / {counts['core_event']:,}"
    )
    say(f"wall time                   {elapsed:>12.1f} s (process start, migrations done)")
    say(f"throughput                  {rate:>12,.0f} rows/s   (target ≥ 5,000)")
    say(f"peak memory (max RSS)       {peak_mb:>12,.0f} MB       (the importing process)")
    say(
        f"peak memory, all processes  {peak_pss_kb / 1024:>12,.0f} MB       (target ≤ 512; "
        f"proportional set size, shared pages split; resident sum {peak_rss_kb / 1024:,.0f} MB)"
    )
    # The importing process waited for the cleaning one: its usage holds both.
    cpu = usage.ru_utime + usage.ru_stime
    cleaning = sum(seconds for pid, seconds in cpu_of.items() if pid != process.pid)
    say(
        f"CPU, all processes          {cpu:>12.1f} s     (user {usage.ru_utime:.1f}, system "
        f"{usage.ru_stime:.1f}; {cpu / options.rows * 1e6:,.0f} µs a row, "
        f"{cpu / elapsed:.2f} cores busy)"
    )
    say(
        f"CPU, cleaning process       {cleaning:>12.1f} s     (sampled; the importing process "
        f"{cpu - cleaning:.1f} s)"
    )
    say(
        f"machine speed               {speed_before:>7.2f} / {speed_after:.2f} s "
        "(20 million additions in Python, before / after the import)"
    )
    say(f"load average at the end     {' / '.join(f'{x:.2f}' for x in os.getloadavg()):>12}")
    accounted = result_lines == options.rows and f"{options.rows:,} rows read" in output
    say(f"every row accounted for     {'yes' if accounted else 'NO':>12}")


@dataclass
class TreeSample:
    """Memory of a process and its children together, and each one's CPU so far."""

    rss_kb: int = 0
    pss_kb: int = 0
    cpu: dict[int, float] = field(default_factory=dict)  # pid → user + system seconds


def _tree_sample(pid: int) -> TreeSample:
    """Resident and proportional memory (KB) and CPU of a process and its children (Linux).

    Resident memory counts the pages a forked child still shares with its
    parent twice; the proportional set size splits them between the two.
    Elsewhere, or once the process is gone, the sample is empty.
    """
    sample = TreeSample()
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            rollup = Path(f"/proc/{current}/smaps_rollup").read_text()
            stat = Path(f"/proc/{current}/stat").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        for line in rollup.splitlines():
            if line.startswith("Rss:"):
                sample.rss_kb += int(line.split()[1])
            elif line.startswith("Pss:"):
                sample.pss_kb += int(line.split()[1])
        sample.cpu[current] = stat_cpu_seconds(stat_fields(stat))
        pending.extend(int(child) for child in children)
    return sample


SCENARIOS: dict[str, Callable[[argparse.Namespace, Say], None]] = {
    "import": run_import,
    "api": run_api,
}
