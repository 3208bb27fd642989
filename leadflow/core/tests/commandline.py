"""Running the `leadflow` console script in a subprocess, away from the test settings."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

LEADFLOW = Path(sys.executable).with_name("leadflow")


def leadflow_command(*args: str) -> list[str]:
    """`leadflow ARGS`, from the same virtualenv as the tests."""
    if LEADFLOW.exists():
        return [str(LEADFLOW), *args]
    return [sys.executable, "-m", "leadflow.cli", *args]


def leadflow_environment(var_dir: Path, **settings: str) -> dict[str, str]:
    """The environment without the test run's settings: a fresh SQLite database in ``var_dir``."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("LEADFLOW_") and name != "DJANGO_SETTINGS_MODULE"
    }
    env.update(DJANGO_SETTINGS_MODULE="leadflow.settings", LEADFLOW_VAR_DIR=str(var_dir))
    env.update(settings)
    return env


def production_environment(var_dir: Path, **settings: str) -> dict[str, str]:
    """Debug off with a real secret key, as a production install runs."""
    return leadflow_environment(
        var_dir,
        LEADFLOW_DEBUG="false",
        LEADFLOW_SECRET_KEY=secrets.token_urlsafe(50),
        **settings,
    )
