from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.db import connections
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from gunicorn.app.base import BaseApplication

from leadflow.core.management.base import LeadflowCommand
from leadflow.core.processes import die_with_parent


def default_workers() -> int:
    """Gunicorn's rule of thumb (two per core, plus one), capped for small servers."""
    from_env = os.environ.get("LEADFLOW_WEB_WORKERS")
    if from_env:
        return int(from_env)
    return min(2 * (os.cpu_count() or 1) + 1, 8)


def start_task_worker() -> subprocess.Popen[bytes]:
    """``leadflow worker`` beside the server, so queued work (scoring and routing new
    leads, imports, e-mail) runs without a second command; it stops with the server."""
    return subprocess.Popen(
        [sys.executable, "-m", "leadflow.cli", "worker"],
        preexec_fn=die_with_parent,  # before any thread starts
    )


def bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


class LeadflowServer(BaseApplication):
    """Gunicorn running Leadflow's WSGI application, configured from the command line."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        assert self.cfg is not None
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from leadflow.wsgi import application

        return application


class Command(LeadflowCommand):
    help = (
        "Serve Leadflow with gunicorn (static files by WhiteNoise). "
        "Put it behind a TLS-terminating proxy in production."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument(
            "--port", type=int, default=8000, help="Port to listen on; 0 picks a free one."
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Worker processes (default: LEADFLOW_WEB_WORKERS or 2 × cores + 1, at most 8).",
        )
        parser.add_argument(
            "--timeout", type=int, default=60, help="Seconds before a stuck worker is restarted."
        )
        parser.add_argument(
            "--no-tasks",
            action="store_true",
            help=(
                "Do not start a background-task worker beside the server (when "
                "`leadflow worker` processes run elsewhere)."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self._check_static_files()
        workers = options["workers"] or default_workers()
        if workers < 1:
            raise CommandError(_("--workers must be at least 1."))
        stdout = self.stdout

        def when_ready(server: Any) -> None:
            # Printed once the sockets are bound, so the URL is real (even with --port 0).
            for listener in server.LISTENERS:
                stdout.write(
                    ngettext(
                        "Leadflow is serving on %(url)s/ with %(workers)d worker.",
                        "Leadflow is serving on %(url)s/ with %(workers)d workers.",
                        workers,
                    )
                    % {"url": listener, "workers": workers}
                )
            stdout.write(_("Press Ctrl+C to stop."))
            stdout.flush()

        # Workers are forked from this process; they must open their own connections.
        connections.close_all()
        tasks = None if options["no_tasks"] else start_task_worker()
        try:
            self._run_server(options, workers, when_ready)
        finally:
            if tasks is not None:
                tasks.terminate()
                try:
                    tasks.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    tasks.kill()

    def _run_server(self, options: dict[str, Any], workers: int, when_ready: Any) -> None:
        LeadflowServer(
            {
                "bind": bind_address(options["host"], options["port"]),
                "workers": workers,
                "timeout": options["timeout"],
                "graceful_timeout": 20,
                # Load Django once here: a broken configuration fails at start,
                # not in every worker, and workers start faster.
                "preload_app": True,
                "accesslog": "-",
                "errorlog": "-",
                "proc_name": "leadflow",
                # Gunicorn's control socket has one path per user ($HOME/.gunicorn),
                # so a second `leadflow serve` would take it over from the first.
                "control_socket_disable": True,
                "when_ready": when_ready,
            }
        ).run()

    def _check_static_files(self) -> None:
        """Without DEBUG, pages name hashed files that only `collectstatic` creates."""
        if settings.DEBUG or getattr(settings, "WHITENOISE_USE_FINDERS", False):
            return
        manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
        if not manifest.exists():
            raise CommandError(
                _("No collected static files in %(path)s: run `leadflow collectstatic` first.")
                % {"path": settings.STATIC_ROOT}
            )
