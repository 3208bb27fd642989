"""``leadflow dedupe scan [--csv FILE] [--batch N]`` and ``leadflow dedupe reindex``."""

from __future__ import annotations

import csv
import sys
import time
from typing import Any, TextIO, cast

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from leadflow.core.management.base import LeadflowCommand
from leadflow.identity.services import (
    REBUILD_BATCH,
    SCAN_BATCH,
    ScanPair,
    duplicates_scan,
    match_keys_rebuild,
)

CSV_COLUMNS = ("lead_id_a", "lead_id_b", "external_id_a", "external_id_b", "confidence")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


class Command(LeadflowCommand):
    help = (
        "Find leads that may be the same person. `scan` compares every lead with the leads "
        "sharing a match key and puts possible duplicates in the review queue; `reindex` "
        "files every lead and contact under its match keys again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        scan = sub.add_parser("scan", help=_("Scan the whole database for possible duplicates."))
        scan.add_argument(
            "--csv",
            metavar="FILE",
            help=_(
                "Also write the pairs found to FILE: lead_id_a, lead_id_b, external_id_a, "
                "external_id_b, confidence ('-' for standard output)."
            ),
        )
        scan.add_argument("--batch", type=_positive, default=SCAN_BATCH, help=_("Leads per batch."))
        reindex = sub.add_parser(
            "reindex", help=_("Rebuild the match keys of every lead and contact.")
        )
        reindex.add_argument(
            "--batch", type=_positive, default=REBUILD_BATCH, help=_("Records per batch.")
        )

    def _progress_line(self, text: str, *, final: bool = False) -> None:
        # Progress goes to standard error, so that `--csv -` stays clean.
        stream = sys.stderr
        if stream.isatty():
            stream.write("\r" + text + ("\n" if final else ""))
        elif final or self._verbosity >= 2:
            stream.write(text + "\n")
        stream.flush()

    def handle(self, *args: Any, **options: Any) -> None:
        self._verbosity = options["verbosity"]
        self._started = time.perf_counter()
        if options["action"] == "reindex":
            self._reindex(options["batch"])
        else:
            self._scan(options["batch"], options["csv"])

    def _elapsed(self) -> float:
        return time.perf_counter() - self._started

    def _reindex(self, batch: int) -> None:
        def progress(label: str, done: int, total: int) -> None:
            self._progress_line(
                _("%(label)s: %(done)s of %(total)s (%(seconds).0f s)")
                % {
                    "label": label,
                    "done": f"{done:,}",
                    "total": f"{total:,}",
                    "seconds": self._elapsed(),
                }
            )

        written = match_keys_rebuild(batch_size=batch, progress=progress)
        if sys.stderr.isatty():
            sys.stderr.write("\n")
        self.stdout.write(
            _("%(keys)s match keys written in %(seconds).1f s.")
            % {"keys": f"{written:,}", "seconds": self._elapsed()}
        )

    def _scan(self, batch: int, csv_path: str | None) -> None:
        out: TextIO | None = None
        writer = None
        if csv_path:
            try:
                out = (
                    cast(TextIO, self.stdout._out)
                    if csv_path == "-"
                    else open(csv_path, "w", newline="", encoding="utf-8")  # noqa: SIM115
                )
            except OSError as exc:
                raise CommandError(str(exc)) from exc
            writer = csv.writer(out)
            writer.writerow(CSV_COLUMNS)

        def on_pair(pair: ScanPair) -> None:
            if writer is not None:
                writer.writerow(
                    [
                        pair.lead_a,
                        pair.lead_b,
                        pair.external_id_a,
                        pair.external_id_b,
                        f"{pair.confidence:.4f}",
                    ]
                )

        def progress(done: int, total: int) -> None:
            self._progress_line(
                _("%(done)s of %(total)s leads scanned (%(seconds).0f s)")
                % {"done": f"{done:,}", "total": f"{total:,}", "seconds": self._elapsed()}
            )

        try:
            summary = duplicates_scan(batch_size=batch, on_pair=on_pair, progress=progress)
        finally:
            if out is not None and csv_path != "-":
                out.close()
        self._progress_line(
            _(
                "%(leads)s leads scanned in %(seconds).1f s: %(candidates)s candidate pairs "
                "compared, %(pairs)s possible duplicates (%(new)s new in the review queue)."
            )
            % {
                "leads": f"{summary.leads:,}",
                "seconds": self._elapsed(),
                "candidates": f"{summary.candidates:,}",
                "pairs": f"{summary.pairs:,}",
                "new": f"{summary.new_pairs:,}",
            },
            final=True,
        )
