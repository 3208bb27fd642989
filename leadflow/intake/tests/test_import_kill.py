"""A real ``kill -9`` in the middle of ``leadflow import_leads``: nothing half written, nothing lost."""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from leadflow.core.tests.commandline import leadflow_command, leadflow_environment
from leadflow.intake.bench import HEADERS, import_rows

pytestmark = pytest.mark.slow

ROWS = 6000
BATCH = 250


def _one(db: sqlite3.Connection, sql: str) -> int:
    return int(db.execute(sql).fetchone()[0])


def _state(database: Path) -> dict[str, int]:
    with sqlite3.connect(database, timeout=30) as db:
        job = db.execute(
            "SELECT rows_done, created, attached, interest, rejected, skipped, failed"
            " FROM intake_importjob"
        ).fetchone()
        return {
            "rows_done": job[0],
            "created": job[1],
            "attached": job[2],
            "skipped": job[5],
            "stored_rows": job[1] + job[2] + job[3] + job[4],  # rows that leave an inquiry
            "accounted": sum(job[1:]),
            "leads": _one(db, "SELECT COUNT(*) FROM leads_lead"),
            "inquiries": _one(db, "SELECT COUNT(*) FROM intake_inquiry"),
            "created_events": _one(db, "SELECT COUNT(*) FROM core_event WHERE kind = 'created'"),
            "keyless_leads": _one(
                db,
                "SELECT COUNT(*) FROM leads_lead l WHERE NOT EXISTS"
                " (SELECT 1 FROM identity_matchkey k WHERE k.lead_id = l.id)",
            ),
            "batches": _one(db, "SELECT COUNT(*) FROM intake_importbatch"),
            "latest_row": _one(
                db, "SELECT COALESCE(MAX(json_extract(payload, '$.row')), 0) FROM intake_inquiry"
            ),
            "email_twins": _one(
                db,
                "SELECT COUNT(*) FROM (SELECT lower(email) FROM leads_lead"
                " GROUP BY lower(email) HAVING COUNT(*) > 1)",
            ),
        }


def _consistent(state: dict[str, int]) -> None:
    """What the database holds is exactly the committed batches, whole."""
    assert state["rows_done"] % BATCH == 0 or state["rows_done"] == ROWS
    assert state["accounted"] == state["rows_done"]
    assert state["leads"] == state["created"] == state["created_events"]
    assert state["inquiries"] == state["stored_rows"]
    assert state["keyless_leads"] == 0
    assert state["latest_row"] <= state["rows_done"]
    assert state["batches"] == -(-state["rows_done"] // BATCH)
    assert state["email_twins"] == 0


def test_kill_9_in_the_middle_of_an_import_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    env = leadflow_environment(tmp_path)
    subprocess.run(
        leadflow_command("migrate", "--noinput", "-v0"), env=env, check=True, timeout=300
    )
    source = tmp_path / "leads.csv"
    with source.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADERS)
        writer.writerows(import_rows(ROWS, 0.05))
    database = tmp_path / "leadflow.sqlite3"
    command = leadflow_command(
        "import_leads",
        str(source),
        "--channel",
        "import",
        "--batch-size",
        str(BATCH),
        "--no-progress",
    )

    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        time.sleep(0.2)
        assert process.poll() is None, "the import finished before it could be killed"
        try:
            if _state(database)["rows_done"] >= 4 * BATCH:
                break
        except (sqlite3.OperationalError, TypeError):
            continue  # no job row yet
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    killed = _state(database)
    assert BATCH * 4 <= killed["rows_done"] < ROWS
    _consistent(killed)

    results = tmp_path / "results.csv"
    again = subprocess.run(
        [*command, "--results", str(results)], env=env, capture_output=True, text=True, timeout=600
    )
    assert again.returncode == 0, again.stderr
    assert f"Resuming import 1 after row {killed['rows_done']:,}" in again.stderr

    done = _state(database)
    assert done["rows_done"] == ROWS
    _consistent(done)
    lines = list(csv.reader(results.open(encoding="utf-8")))[1:]
    assert [int(line[0]) for line in lines] == list(range(1, ROWS + 1))
    # The generated list repeats some people (attached), a few of them word for word (skipped).
    assert done["created"] + done["attached"] + done["skipped"] == ROWS
    assert done["attached"] > 0

    # And the whole file once more: every row skipped, pointing at the same leads.
    third = subprocess.run(
        [*command, "--results", str(tmp_path / "third.csv")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert third.returncode == 0, third.stderr
    assert f"{ROWS:,} skipped" in third.stdout
    with sqlite3.connect(database) as db:
        assert _one(db, "SELECT COUNT(*) FROM leads_lead") == done["leads"]
        assert _one(db, "SELECT COUNT(*) FROM intake_inquiry") == done["inquiries"]
    again_lines = list(csv.reader((tmp_path / "third.csv").open(encoding="utf-8")))[1:]
    assert [line[3] for line in again_lines] == [line[3] for line in lines]
