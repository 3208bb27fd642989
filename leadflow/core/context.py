"""Which interface a write came through (UI, API, CLI, …), for the audit log.

Set once at the edge — middleware, API authentication, management commands,
task wrappers — so services need not pass it down every call.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from django.db import models
from django.utils.translation import gettext_lazy as _


class Interface(models.TextChoices):
    UI = "ui", _("Web UI")
    API = "api", _("REST API")
    CLI = "cli", _("Command line")
    IMPORT = "import", _("Import")
    TASK = "task", _("Background task")
    SYSTEM = "system", _("System")


_current: ContextVar[str] = ContextVar("leadflow_interface", default=Interface.SYSTEM)


def current_interface() -> str:
    return _current.get()


def set_interface(interface: str) -> None:
    _current.set(interface)


@contextlib.contextmanager
def interface(value: str) -> Iterator[None]:
    token = _current.set(value)
    try:
        yield
    finally:
        _current.reset(token)
