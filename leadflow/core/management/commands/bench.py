from __future__ import annotations

import argparse
import importlib
from typing import Any

from django.core.management.base import CommandParser

from leadflow.core.management.base import LeadflowCommand

# ``leadflow bench NAME``: each module defines ``HELP``, ``add_arguments(parser)``
# and ``main(options, say)``, which prints its figures through ``say``.
BENCHMARKS = {
    "list": "leadflow.core.bench.list_latency",
    "intake": "leadflow.intake.bench",
    "dedupe": "leadflow.identity.bench",
    "scoring": "leadflow.scoring.bench",
    "routing": "leadflow.routing.bench",
}


def _load(name: str) -> Any:
    try:
        return importlib.import_module(BENCHMARKS[name])
    except ModuleNotFoundError:
        return None


class Command(LeadflowCommand):
    help = "Benchmarks that print their figures (see docs/benchmarks.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="benchmark", required=True)
        for name in BENCHMARKS:
            module = _load(name)
            if module is not None:
                module.add_arguments(sub.add_parser(name, help=module.HELP))

    def handle(self, *args: Any, **options: Any) -> None:
        _load(options["benchmark"]).main(argparse.Namespace(**options), self.stdout.write)
