"""A benchmark database, a real server process, and a timing HTTP client."""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from django.conf import settings


def bench_dir(name: str = "bench") -> Path:
    path = Path(settings.VAR_DIR) / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def bench_env(var_dir: Path) -> dict[str, str]:
    """Production-like settings over plain HTTP on loopback, on the benchmark's own SQLite file."""
    env = dict(os.environ)
    env.pop("LEADFLOW_DATABASE_URL", None)
    env.update(
        {
            "LEADFLOW_VAR_DIR": str(var_dir),
            "LEADFLOW_DEBUG": "false",
            "LEADFLOW_SECRET_KEY": env.get("LEADFLOW_BENCH_SECRET_KEY", secrets.token_urlsafe(50)),
            "LEADFLOW_SSL_REDIRECT": "false",
            "LEADFLOW_SECURE_COOKIES": "false",
            "LEADFLOW_HSTS_SECONDS": "0",
            "LEADFLOW_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LEADFLOW_LOGIN_THROTTLING": "false",
        }
    )
    return env


def leadflow_command(*args: str, env: dict[str, str], quiet: bool = True) -> str:
    """Run ``leadflow ARGS`` in a child process with ``env``; return its standard output."""
    result = subprocess.run(
        [sys.executable, "-m", "leadflow.cli", *args],
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"leadflow {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    if not quiet:
        sys.stdout.write(result.stdout)
    return result.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(env: dict[str, str], *, workers: int = 1) -> Iterator[str]:
    """``leadflow serve`` on a free loopback port; yields its base URL."""
    with serving(env, workers=workers) as (base_url, _process):
        yield base_url


def stat_fields(stat: str) -> list[str]:
    """The fields of a ``/proc/PID/stat`` text after the name: state, parent's pid, …"""
    return stat[stat.rindex(")") + 2 :].split()


def stat_cpu_seconds(fields: list[str]) -> float:
    """User + system CPU seconds from :func:`stat_fields` (the 14th and 15th fields of all)."""
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by process ``pid`` and all its live descendants."""
    children: dict[int, list[int]] = {}
    used: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = stat_fields((entry / "stat").read_text())
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
        used[int(entry.name)] = stat_cpu_seconds(fields)
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += used.get(current, 0.0)
        todo.extend(children.get(current, []))
    return total


# The loop at a module's top level, its names in a dictionary: the way the
# machine speeds in docs/benchmarks.md were measured (a loop inside a function,
# on local variables, runs about three times faster).
_ADDITIONS_LOOP = compile(
    "total = 0\nfor number in range(additions):\n    total += number\n", "<additions>", "exec"
)


def python_loop_seconds(additions: int = 20_000_000) -> float:
    """Seconds a plain Python loop of ``additions`` additions takes: how fast the machine is now.

    A shared machine's speed changes by half or more within an hour, so a
    figure means little without it: printed beside a benchmark's result, it
    tells a slow moment from a slow change.
    """
    started = time.perf_counter()
    exec(_ADDITIONS_LOOP, {"additions": additions})
    return time.perf_counter() - started


def _tail(log: IO[bytes], size: int = 4000) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")[-size:]


@contextmanager
def serving(
    env: dict[str, str], *, workers: int = 1
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``leadflow serve`` on a free loopback port; yields its base URL and its process."""
    port = free_port()
    with tempfile.TemporaryFile() as log:
        yield from _serve(env, port=port, workers=workers, log=log)


def _serve(
    env: dict[str, str], *, port: int, workers: int, log: IO[bytes]
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "leadflow.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        # A file, not a pipe: nobody reads while the server runs, and the task
        # worker beside it logs every task, which would fill a pipe and stall it.
        stderr=log,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited: {_tail(log)}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("the server did not start within 60 s")
        yield f"http://127.0.0.1:{port}", process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@dataclass
class Client:
    """A keep-alive HTTP client that carries cookies and an optional bearer token."""

    base_url: str
    token: str = ""
    cookies: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        parts = urllib.parse.urlsplit(self.base_url)
        self.connection = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1", parts.port, timeout=60
        )

    def request(
        self, method: str, path: str, body: dict[str, str] | None = None
    ) -> tuple[int, bytes, float]:
        headers = {"Host": "127.0.0.1"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = self.base_url + path
        started = time.perf_counter()
        self.connection.request(method, path, body=data, headers=headers)
        response = self.connection.getresponse()
        payload = response.read()
        elapsed = time.perf_counter() - started
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, payload, elapsed

    def login(self, login_path: str, username: str, password: str) -> None:
        status, page, _ = self.request("GET", login_path)
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or not match:
            raise RuntimeError(f"no login form at {login_path} (HTTP {status})")
        status, _, _ = self.request(
            "POST",
            login_path,
            {
                "csrfmiddlewaretoken": match.group(1).decode(),
                "username": username,
                "password": password,
            },
        )
        if status != 302:
            raise RuntimeError(f"login as {username} failed (HTTP {status})")

    def json(self, path: str) -> dict:
        status, payload, _ = self.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path}: HTTP {status}: {payload[:300]!r}")
        return json.loads(payload)


@dataclass
class Timing:
    name: str
    samples: list[float]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples) * 1000

    @property
    def p95_ms(self) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000

    def line(self) -> str:
        return f"{self.name:<48} median {self.median_ms:7.1f} ms   p95 {self.p95_ms:7.1f} ms   n={len(self.samples)}"


def time_requests(
    client: Client, name: str, path: str, *, requests: int, warmup: int = 5
) -> Timing:
    """Time ``requests`` sequential GETs of ``path`` (after ``warmup`` untimed ones)."""
    samples = []
    for n in range(warmup + requests):
        status, payload, elapsed = client.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path}: HTTP {status}: {payload[:300]!r}")
        if n >= warmup:
            samples.append(elapsed)
    return Timing(name, samples)
