"""Production settings pass Django's deployment checklist without a warning."""

from __future__ import annotations

import subprocess
from pathlib import Path

from leadflow.core.tests.commandline import (
    leadflow_command,
    leadflow_environment,
    production_environment,
)


def test_check_deploy_finds_nothing_with_debug_off_a_secret_key_and_a_host(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        leadflow_command("check", "--deploy", "--fail-level", "WARNING"),
        env=production_environment(tmp_path, LEADFLOW_ALLOWED_HOSTS="crm.example.com"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues (0 silenced)." in done.stdout
    assert "WARNING" not in done.stderr


def test_debug_off_without_a_secret_key_refuses_to_start(tmp_path: Path) -> None:
    done = subprocess.run(
        leadflow_command("check"),
        env=leadflow_environment(tmp_path, LEADFLOW_DEBUG="false"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "LEADFLOW_SECRET_KEY" in done.stderr
