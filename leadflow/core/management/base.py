from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from leadflow.core.context import Interface, interface


class LeadflowCommand(BaseCommand):
    """A management command whose writes are audited as coming from the command line."""

    def execute(self, *args: Any, **options: Any) -> str | None:
        with interface(Interface.CLI):
            return super().execute(*args, **options)
