"""What the browser tests share; Chromium itself is the ``chromium`` fixture (leadflow/conftest.py)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def chromium_context(chromium: Any, *, width: int, height: int) -> Iterator[Any]:
    """A fresh browser context (cookies, storage) with a screen of ``width`` × ``height``."""
    context = chromium.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(15_000)
    try:
        yield context
    finally:
        context.close()


def wait_until(condition: Callable[[], Any], timeout: float = 10.0) -> None:
    """Poll ``condition`` until it holds: the server writes after the page has answered."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the server state")
        time.sleep(0.1)
