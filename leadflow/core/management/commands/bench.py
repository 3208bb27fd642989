from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from leadflow.core.management.base import LeadflowCommand


class Command(LeadflowCommand):
    help = "Benchmarks that print their figures (see docs/benchmarks.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="benchmark", required=True)
        listing = sub.add_parser(
            "list", help="Lead list page and list endpoint latency (median, p95)."
        )
        listing.add_argument("--leads", type=int, default=100_000)
        listing.add_argument(
            "--requests", type=int, default=200, help="Timed requests per scenario."
        )
        listing.add_argument("--fresh", action="store_true", help="Re-seed the benchmark database.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["benchmark"] == "list":
            from leadflow.core.bench import list_latency

            timings = list_latency.run(
                leads=options["leads"],
                requests=options["requests"],
                fresh=options["fresh"],
                say=self.stdout.write,
            )
            self.stdout.write(
                f"Lead list latency at {options['leads']:,} leads (SQLite, 1 server worker, loopback HTTP):"
            )
            for timing in timings:
                self.stdout.write(timing.line())
            worst = max(timings, key=lambda t: t.p95_ms)
            self.stdout.write(f"worst p95: {worst.p95_ms:.1f} ms ({worst.name.strip()})")
