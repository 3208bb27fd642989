"""``leadflow bench intake --scenario import``: what it measures, measured for real."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from leadflow.core.bench.harness import python_loop_seconds
from leadflow.intake.bench import _tree_sample

# A parent that forks a child; each spends a third of a second of CPU, then sleeps.
_TWO_BUSY_PROCESSES = textwrap.dedent(
    """
    import os, time

    def busy():
        start = time.process_time()
        while time.process_time() - start < 0.35:
            pass

    os.fork()
    busy()
    print("busy", flush=True)
    time.sleep(60)
    """
)


def test_tree_sample_counts_the_memory_and_cpu_of_a_process_and_its_child():
    parent = subprocess.Popen(
        [sys.executable, "-c", _TWO_BUSY_PROCESSES], stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        assert parent.stdout.readline() == "busy\n"
        assert parent.stdout.readline() == "busy\n"
        sample = _tree_sample(parent.pid)
    finally:
        parent.kill()
        parent.wait()
    assert parent.pid in sample.cpu
    assert len(sample.cpu) == 2
    assert all(seconds >= 0.3 for seconds in sample.cpu.values()), sample.cpu
    # Two Python interpreters; the fork shares pages, which the proportional size splits.
    assert sample.rss_kb > 2 * 5_000
    assert 0 < sample.pss_kb <= sample.rss_kb


def test_tree_sample_of_no_process_is_empty():
    # Above the largest process id Linux hands out.
    sample = _tree_sample(2**22 + 1)
    assert (sample.rss_kb, sample.pss_kb, sample.cpu) == (0, 0, {})


def test_python_loop_seconds_grows_with_the_additions():
    short, long = python_loop_seconds(200_000), python_loop_seconds(2_000_000)
    assert 0 < short < long


@pytest.mark.slow
def test_import_benchmark_reports_rows_memory_and_cpu_of_both_processes(tmp_path: Path):
    env = {**os.environ, "LEADFLOW_VAR_DIR": str(tmp_path)}
    env.pop("LEADFLOW_DATABASE_URL", None)
    started = time.monotonic()
    command = ["bench", "intake", "--scenario", "import", "--rows", "6000"]
    done = subprocess.run(
        [sys.executable, "-m", "leadflow.cli", *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert re.search(r"every row accounted for\s+yes", out), out
    assert re.search(r"result lines\s+6,000", out), out
    total = re.search(r"CPU, all processes\s+([\d.]+) s\s+\(user ([\d.]+), system ([\d.]+);", out)
    assert total, out
    cpu, user, system = (float(value) for value in total.groups())
    assert cpu == pytest.approx(user + system, abs=0.15)
    assert 0 < cpu < 2 * (time.monotonic() - started)
    # 6,000 rows are enough for the import to clean them in a second process.
    cleaning = re.search(r"CPU, cleaning process\s+([\d.]+) s .*importing process ([\d.]+) s", out)
    assert cleaning, out
    assert float(cleaning.group(1)) > 0 and float(cleaning.group(2)) > 0
    assert re.search(r"machine speed\s+[\d.]+ / [\d.]+ s", out), out
