"""SQLite, with write transactions that queue promptly.

Django's backend begins a write transaction with ``BEGIN IMMEDIATE`` and
leaves waiting to SQLite's busy handler, which sleeps between attempts in
growing steps (1, 2, 5, 10 … 100 ms). With several web workers and the task
worker writing, a request that found the database busy could sleep 50 or
100 ms after the lock came free, and that sleep was most of the API's slow
answers. Here the waiting is ours: the busy timeout is off for the ``BEGIN``
and it is retried every half millisecond to two milliseconds, until the
database's ``timeout`` has passed (then SQLite's error, as before).
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from django.db.backends.sqlite3 import base

FIRST_PAUSE = 0.0005  # seconds
LONGEST_PAUSE = 0.002


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        self.busy_timeout_ms = round(float(conn_params.get("timeout", 5)) * 1000)
        return super().get_new_connection(conn_params)

    def _start_transaction_under_autocommit(self) -> None:
        if getattr(self, "transaction_mode", None) != "IMMEDIATE":
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
            return
        raw = self.connection
        deadline = time.monotonic() + self.busy_timeout_ms / 1000
        pause = FIRST_PAUSE
        with self.wrap_database_errors:
            raw.execute("PRAGMA busy_timeout = 0")
            try:
                while True:
                    try:
                        raw.execute("BEGIN IMMEDIATE")
                        return
                    except sqlite3.OperationalError as exc:
                        busy = exc.sqlite_errorcode == sqlite3.SQLITE_BUSY
                        if not busy or time.monotonic() > deadline:
                            raise
                    time.sleep(pause)
                    pause = min(pause * 1.5, LONGEST_PAUSE)
            finally:
                raw.execute(f"PRAGMA busy_timeout = {self.busy_timeout_ms}")
