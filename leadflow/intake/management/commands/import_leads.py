"""``leadflow import_leads FILE --channel SLUG``: import a CSV or XLSX list of leads."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser

from leadflow.core.management.base import LeadflowCommand
from leadflow.intake.importing import (
    BATCH_SIZE,
    IMPORT_FIELDS,
    PRESETS,
    RESULTS,
    ImportFileError,
    RowSource,
    import_job_create,
    import_job_run,
    import_results_lines,
    mapping_suggest,
)
from leadflow.intake.models import Campaign, Channel, ImportJob


class Progress:
    """A one-line progress bar on standard error: rows, percentage, rows per second."""

    def __init__(self, job: ImportJob, stream: Any) -> None:
        self.stream = stream
        self.started = time.monotonic()
        self.first_row = job.rows_done
        self.total = job.rows_estimated or 0

    def __call__(self, job: ImportJob) -> None:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = (job.rows_done - self.first_row) / elapsed
        if self.total:
            share = min(job.rows_done / self.total, 1.0)
            bar = "#" * int(share * 30)
            line = f"[{bar:<30}] {job.rows_done:>10,} / ~{self.total:,} rows"
        else:
            line = f"{job.rows_done:>10,} rows"
        self.stream.write(f"\r{line}  {rate:,.0f} rows/s ")
        self.stream.flush()

    def end(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


class Command(LeadflowCommand):
    help = (
        "Import leads from a CSV or XLSX file. Columns named like lead fields are mapped "
        "automatically; --map and --preset map others; every other column is kept as a "
        "custom attribute. Running the same file again resumes an interrupted import and "
        "never duplicates a row."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV (any delimiter, UTF-8) or XLSX file.")
        parser.add_argument("--channel", required=True, help="Channel slug, such as import.")
        parser.add_argument("--campaign", default="", help="Campaign slug.")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="HEADER=field",
            help=f"Map a column to a lead field ({', '.join(IMPORT_FIELDS)}); "
            "HEADER= keeps it as a custom attribute.",
        )
        parser.add_argument(
            "--preset", choices=sorted(PRESETS), help="Another CRM's export headers."
        )
        parser.add_argument("--results", metavar="OUT.csv", help="Write one line per input row.")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
        parser.add_argument(
            "--no-progress", action="store_true", help="No progress bar on standard error."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        channel = Channel.objects.filter(slug=options["channel"]).first()
        if channel is None:
            raise CommandError(f"No channel with the slug {options['channel']!r}.")
        campaign = None
        if options["campaign"]:
            campaign = Campaign.objects.filter(slug=options["campaign"]).first()
            if campaign is None:
                raise CommandError(f"No campaign with the slug {options['campaign']!r}.")
        explicit: dict[str, str] = {}
        for item in options["map"]:
            header, sep, name = item.partition("=")
            if not sep:
                raise CommandError(f"--map takes HEADER=field, not {item!r}.")
            explicit[header.strip()] = name.strip()
        try:
            headers = RowSource(path).headers()
            mapping = mapping_suggest(headers, preset=options["preset"] or "", explicit=explicit)
            job = import_job_create(
                actor=None, channel=channel, campaign=campaign, path=path, mapping=mapping
            )
        except (ImportFileError, ValidationError) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from exc
        if job.rows_done:
            self.stderr.write(f"Resuming import {job.pk} after row {job.rows_done:,}.")
        custom = [header for header in headers if header not in mapping]
        if options["verbosity"] > 1:
            for header, name in mapping.items():
                self.stderr.write(f"  {header} → {name}")
            if custom:
                self.stderr.write(f"  custom attributes: {', '.join(custom)}")
        progress = None if options["no_progress"] else Progress(job, sys.stderr)
        started = time.monotonic()
        first_row = job.rows_done
        try:
            job = import_job_run(job=job, progress=progress, batch_size=options["batch_size"])
        finally:
            if progress is not None:
                progress.end()
        elapsed = time.monotonic() - started
        if options["results"]:
            with open(options["results"], "w", encoding="utf-8", newline="") as out:
                for lines in import_results_lines(job):
                    out.write(lines)
        counts = {outcome: getattr(job, outcome) for outcome in RESULTS}
        total = sum(counts.values())
        self.stdout.write(
            f"Import {job.pk}: {job.rows_done:,} rows read: "
            + ", ".join(f"{counts[outcome]:,} {outcome}" for outcome in RESULTS)
        )
        rate = (job.rows_done - first_row) / elapsed if elapsed > 0 else 0.0
        self.stdout.write(
            f"{job.rows_done - first_row:,} rows in {elapsed:.1f} s ({rate:,.0f} rows/s)"
        )
        if total != job.rows_done:
            raise CommandError(f"The counts add up to {total:,}, not {job.rows_done:,}.")
