"""Importing lists of leads (CSV, XLSX): streamed, in batches, crash-safe and repeatable.

Every row gets exactly one result — ``created``, ``attached``, ``interest``,
``rejected`` (spam), ``skipped`` (imported before, or an empty row) or
``failed`` (with the reason) — so the counts always add up to the rows read.

The rules are :func:`leadflow.intake.services.inquiry_submit`'s, applied to a
batch of rows at once because one call per row is far too slow for lists of a
million (docs/benchmarks.md has the rates measured):

- fields are cleaned and checked as ``lead_clean_fields`` does (the e-mail
  domain and each distinct phone number are checked once per batch run, not
  once per row); a row that cannot be right ``failed`` and stores nothing;
- obvious spam is a ``rejected`` inquiry, a row without a named person and a
  way to reach them an ``interest``;
- a row is recognised first by ``external_id`` (the id in the system it came
  from), then by identity: one query fetches the match keys of every row of
  the batch, the candidates are compared in Python with
  :func:`leadflow.identity.matching.compare`, and rows of the same batch are
  matched against each other as if they had arrived one after the other;
- a certain or probable match attaches the inquiry (filling the card's gaps
  and telling its owner, as a single inquiry would), a possible match creates
  the lead and queues the pair for review;
- the same row imported again (same channel, same content: the inquiry's
  fingerprint) is ``skipped`` and points at the lead it went to the first time.

Each batch is one transaction that writes its leads, inquiries, match keys,
events, row results and the job's checkpoint (``rows_done``) together: a
crash or ``kill -9`` loses at most the batch in flight, never half of one,
and the job resumes where its checkpoint says.

Differences from one-at-a-time intake, on purpose: a batch writes one audit
record (action ``leads.import``, on the job, naming the leads it created)
instead of one per lead; a lead created and then completed by a later row of
the same batch is written once, complete, without an "updated" event;
new leads are marked for the background triage (scoring, then routing:
``leads.services.leads_triage``), queued as each batch commits, and wait in
the unassigned queue until it has run.

Cleaning a row (phone numbers, e-mail addresses, names folded for the
blocking keys) costs about as much as writing it, so a large file is read
and cleaned in a forked process while this one decides and writes
(:func:`prepared_batches`). On SQLite that process also finds the stored
leads and contacts each row may be (:meth:`BatchWriter.match_stored`); the
writer compares the rows it was given with the records filed or re-filed
since the look-up.
"""

from __future__ import annotations

import csv
import datetime
import enum
import gc
import hashlib
import io
import json
import operator
import queue
import re
import signal
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from multiprocessing.reduction import ForkingPickler
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from email_validator import EmailNotValidError, validate_email

from leadflow.core.bulk import BulkTable, IdReservation
from leadflow.core.context import Interface, interface
from leadflow.core.models import AuditEvent, Event, EventKind
from leadflow.core.processes import die_with_parent
from leadflow.identity.matching import (
    MatchLevel,
    Person,
    blocking_keys,
    compare,
    identity_of,
    match_level,
    may_match,
    person_from,
    person_of,
    possible_logit,
)
from leadflow.identity.models import DuplicatePair, MatchKey
from leadflow.identity.normalise import normalise_email, normalise_phone
from leadflow.identity.selectors import MAX_CANDIDATES_PER_LOOKUP, match_key_mark
from leadflow.identity.services import KEY_FIELDS, lock_number, record_fields
from leadflow.intake.models import (
    Campaign,
    Channel,
    ImportBatch,
    ImportJob,
    ImportStatus,
    Inquiry,
    InquiryOutcome,
)
from leadflow.intake.services import inquiry_fingerprint, spam_reason
from leadflow.leads.models import Interest, Lead, LeadStatus, Outcome
from leadflow.leads.qualification import temperature_for_timeframe
from leadflow.leads.services import (
    PERSON_FIELDS,
    lead_check_reachable,
    lead_clean_fields,
    lead_update,
)

if TYPE_CHECKING:
    from leadflow.accounts.models import User
    from leadflow.sales.models import Contact

# Rows a batch (one transaction) holds. Each batch writes every index page
# its rows touch once, and rows of a larger batch share more of them. 2,000
# rather than 1,000 (200,000 rows): the commits 44 -> 32 us CPU a row, the
# importing process 193 -> 180 us, 3,950 -> 4,940 rows/s, for about 12 MB
# more in each of the two processes (442 MB together, proportional).
BATCH_SIZE = 2000

# What a column can be mapped to: the lead fields and, for history, the outcome.
IMPORT_FIELDS = (*PERSON_FIELDS, "outcome")

# Row results.
CREATED = "created"
ATTACHED = "attached"
INTEREST = "interest"
REJECTED = "rejected"
SKIPPED = "skipped"
FAILED = "failed"
RESULTS = (CREATED, ATTACHED, INTEREST, REJECTED, SKIPPED, FAILED)
RESULTS_HEADER = ("row", "external_id", "outcome", "lead_id", "reason")

# Export headers of other CRMs → lead fields. Country columns hold names
# ("United Kingdom") rather than the two-letter codes a lead keeps, so they
# stay custom attributes unless mapped by hand.
PRESETS: dict[str, dict[str, str]] = {
    "salesforce": {
        "First Name": "first_name",
        "Last Name": "last_name",
        "Email": "email",
        "Phone": "phone",
        "Mobile": "phone",
        "Company": "company_name",
        "Company Name": "company_name",
        "Account Name": "company_name",
        "Title": "job_title",
        "Street": "street",
        "Mailing Street": "street",
        "City": "city",
        "Mailing City": "city",
        "Zip/Postal Code": "postal_code",
        "Mailing Zip/Postal Code": "postal_code",
        "State/Province": "region",
        "Mailing State/Province": "region",
        "Country Code": "country",
        "Mailing Country Code": "country",
        "Lead ID": "external_id",
        "Contact ID": "external_id",
    },
    "hubspot": {
        "First Name": "first_name",
        "Last Name": "last_name",
        "Email": "email",
        "Phone Number": "phone",
        "Mobile Phone Number": "phone",
        "Company Name": "company_name",
        "Job Title": "job_title",
        "Street Address": "street",
        "City": "city",
        "Postal Code": "postal_code",
        "State/Region": "region",
        "Country Code": "country",
        "Preferred language": "language",
        "Record ID": "external_id",
    },
}

# Caches of checked values are emptied when they grow past this, so that
# memory does not grow with the file.
_CACHE_LIMIT = 50_000

_ATEXT_LOCAL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*\Z"
)


# --- Reading files -------------------------------------------------------------------


class ImportFileError(Exception):
    """The file cannot be read as a table (unknown format, no header row)."""


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # spreadsheets store 7946000 as 7946000.0
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


def _unique_headers(raw: Sequence[Any]) -> list[str]:
    headers: list[str] = []
    seen: set[str] = set()
    for index, value in enumerate(raw, start=1):
        name = _cell_text(value).strip() or f"column_{index}"
        base, n = name, 2
        while name in seen:
            name = f"{base} ({n})"
            n += 1
        seen.add(name)
        headers.append(name)
    return headers


def file_kind(path: Path) -> str:
    with path.open("rb") as handle:
        start = handle.read(4)
    if start.startswith(b"PK\x03\x04"):
        return "xlsx"
    return "csv"


class RowSource:
    """A CSV or XLSX file as a header and a stream of rows (never all rows in memory)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.kind = file_kind(self.path)
        if self.kind == "csv":
            self.dialect = self._sniff()

    def _sniff(self) -> type[csv.Dialect] | csv.Dialect:
        with self.path.open(encoding="utf-8-sig", newline="", errors="replace") as handle:
            sample = handle.read(64 * 1024)
        if not sample.strip():
            raise ImportFileError(_("The file is empty."))
        try:
            return csv.Sniffer().sniff(sample, delimiters=",;\t|")
        except csv.Error:
            return csv.excel

    def _raw_rows(self) -> Iterator[Sequence[Any]]:
        if self.kind == "xlsx":
            from python_calamine import CalamineWorkbook

            try:
                workbook = CalamineWorkbook.from_path(str(self.path))
                sheet = workbook.get_sheet_by_index(0)
            except Exception as exc:  # calamine's errors have no common base class
                raise ImportFileError(_("The spreadsheet cannot be read: %s") % exc) from exc
            yield from sheet.iter_rows()
            return
        try:
            with self.path.open(encoding="utf-8-sig", newline="") as handle:
                yield from csv.reader(handle, self.dialect)
        except UnicodeDecodeError as exc:
            raise ImportFileError(_("The file is not UTF-8 text (save it as CSV UTF-8).")) from exc

    def headers(self) -> list[str]:
        for raw in self._raw_rows():
            return _unique_headers(raw)
        raise ImportFileError(_("The file has no header row."))

    def rows(self, *, start: int = 0) -> Iterator[tuple[int, list[str]]]:
        """(row number, cell texts) after the header; row 1 is the first under the header."""
        source = self._raw_rows()
        if next(source, None) is None:
            return
        for number, raw in enumerate(source, start=1):
            if number <= start:
                continue
            yield number, [_cell_text(value) for value in raw]

    def estimated_rows(self) -> int:
        if self.kind == "xlsx":
            from python_calamine import CalamineWorkbook

            sheet = CalamineWorkbook.from_path(str(self.path)).get_sheet_by_index(0)
            return max(0, int(sheet.total_height) - 1)
        lines = 0
        last = b"\n"
        with self.path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                lines += chunk.count(b"\n")
                last = chunk[-1:]
        if last != b"\n":
            lines += 1
        return max(0, lines - 1)


def file_sha256(path: Path | str) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# --- Mapping columns to fields -------------------------------------------------------


def _header_key(header: str) -> str:
    return re.sub(r"[\s\-]+", "_", header.strip().lower())


def detect_preset(headers: Iterable[str]) -> str:
    """The CRM whose export headers these look like, or ""."""
    headers = set(headers)
    best, best_count = "", 1
    for name, preset in PRESETS.items():
        count = len(headers & preset.keys())
        if count > best_count:
            best, best_count = name, count
    return best


def mapping_suggest(
    headers: Sequence[str], *, preset: str = "", explicit: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Header → lead field for the columns that map to one; the rest become custom attributes.

    A header that is a field's name maps to it; a preset adds another CRM's
    export headers; ``explicit`` (``--map`` or the form) wins over both. A
    field takes its first column only.
    """
    if preset and preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}")
    mapping: dict[str, str] = {}
    for header in headers:
        key = _header_key(header)
        if key in IMPORT_FIELDS:
            mapping[header] = key
        elif preset and header in PRESETS[preset]:
            mapping[header] = PRESETS[preset][header]
    for header, name in (explicit or {}).items():
        if name:
            mapping[header] = name
        else:
            mapping.pop(header, None)
    taken: set[str] = set()
    for header in headers:
        field_name = mapping.get(header)
        if field_name is None:
            continue
        if field_name in taken:
            del mapping[header]
        taken.add(field_name)
    return {header: name for header, name in mapping.items() if header in headers}


def mapping_check(headers: Sequence[str], mapping: Mapping[str, str]) -> None:
    errors = []
    for header, name in mapping.items():
        if header not in headers:
            errors.append(_("The file has no column “%(header)s”.") % {"header": header})
        if name not in IMPORT_FIELDS:
            errors.append(_("“%(name)s” is not a lead field.") % {"name": name})
    if errors:
        raise ValidationError({"mapping": errors})


# --- Cleaning rows -------------------------------------------------------------------


@dataclass
class RowResult:
    row: int
    outcome: str
    external_id: str = ""
    lead_id: int | None = None
    reason: str = ""

    def csv_line(self) -> str:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerow(
            [self.row, self.external_id, self.outcome, self.lead_id or "", self.reason]
        )
        return out.getvalue()


def _results_text(results: Iterable[RowResult]) -> str:
    """The results file's lines for these rows (``RowResult.csv_line`` of each, with one writer)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(
        [result.row, result.external_id, result.outcome, result.lead_id or "", result.reason]
        for result in results
    )
    return out.getvalue()


def _reason(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(
            f"{name}: {' '.join(messages)}" for name, messages in exc.message_dict.items()
        )
    return " ".join(exc.messages)


@dataclass
class PreparedRow:
    """A row read, cleaned and keyed; ``result`` is set when it is decided without the database."""

    number: int
    values: dict[str, str]
    fields: dict[str, str] = field(default_factory=dict)
    custom: dict[str, str] = field(default_factory=dict)
    outcome: str = ""
    fingerprint: str = ""
    person: Person | None = None
    keys: tuple[int, ...] = ()  # sorted codes (``key_code``)
    result: RowResult | None = None
    external_id: str = ""
    # Decided from the row alone when it is cleaned: why it is spam, why it
    # is no lead (no named person with a way to reach them); "" if not.
    spam: str = ""
    unreachable: str = ""
    # The cells, fields and custom attributes as JSON text (encoded while cleaning).
    values_json: str = "{}"
    fields_json: str = "{}"
    custom_json: str = "{}"
    # The row's inquiry and, should it create one, its lead as values in the
    # tables' column order, built in the cleaning process too
    # (``BatchWriter.prepare``); the writer adds ids, times and the outcome.
    inquiry_values: list[Any] | None = None
    lead_values: list[Any] | None = None
    # The stored leads and contacts the row may be, as (confidence,
    # explanation, "lead" or "contact", id), when the cleaning process looked
    # them up (``BatchWriter.match_stored``); ``key_mark`` is the newest match
    # key it could see. None: the writer looks them up.
    stored: list[tuple[float, dict[str, Any], str, int]] | None = None
    key_mark: int = 0

    def __reduce__(self) -> tuple[Any, ...]:
        # By position, as Person is: the writer unpickles a batch of 2,000
        # rows in about 12 ms instead of 15 (no attribute names, no __dict__).
        return (PreparedRow, tuple([getattr(self, name) for name in _PREPARED_ROW_FIELDS]))


_PREPARED_ROW_FIELDS = tuple(f.name for f in dataclass_fields(PreparedRow))


class RowCleaner:
    """Turns a row's cells into cleaned lead fields and custom attributes, as intake would."""

    def __init__(self, channel: Channel, headers: Sequence[str], mapping: Mapping[str, str]):
        self.channel = channel
        self.region = channel.default_region or settings.LEADFLOW_DEFAULT_REGION
        self.columns = [
            (index, header, mapping.get(header)) for index, header in enumerate(headers)
        ]
        self._domains: dict[str, str | None] = {}
        self._phones: dict[str, tuple[str, ValidationError | None]] = {}

    def email(self, value: str) -> str:
        """``normalise_email``, with each domain checked once.

        A plain local part (dot-atom text, the common case) is valid whatever
        the domain; the domain is checked by the same validator on first sight.
        Anything else goes through ``normalise_email`` itself.
        """
        value = value.strip()
        local, at, domain = value.rpartition("@")
        if at and 0 < len(local) <= 64 and len(value) <= 254 and _ATEXT_LOCAL.match(local):
            if domain not in self._domains:
                if len(self._domains) > _CACHE_LIMIT:
                    self._domains.clear()
                try:
                    info = validate_email(f"a@{domain}", check_deliverability=False)
                    self._domains[domain] = info.domain.lower()
                except EmailNotValidError:
                    self._domains[domain] = None
            checked = self._domains[domain]
            if checked is not None and checked.isascii():
                return f"{local}@{checked}".lower()
        return normalise_email(value)

    def phone(self, value: str) -> str:
        found = self._phones.get(value)
        if found is None:
            if len(self._phones) > _CACHE_LIMIT:
                self._phones.clear()
            try:
                found = (normalise_phone(value, region=self.region), None)
            except ValidationError as exc:
                found = ("", exc)
            self._phones[value] = found
        if found[1] is not None:
            raise found[1]
        return found[0]

    def clean(self, number: int, cells: Sequence[str]) -> PreparedRow:
        values: dict[str, str] = {}
        raw_fields: dict[str, str] = {}
        custom: dict[str, str] = {}
        for index, header, name in self.columns:
            value = cells[index].strip() if index < len(cells) else ""
            if not value:
                continue
            values[header] = value
            if name is None:
                custom[header] = value
            else:
                raw_fields[name] = value
        row = PreparedRow(number=number, values=values, custom=custom)
        if not values:
            row.result = RowResult(number, SKIPPED, reason=_("Empty row."))
            return row
        row.outcome = raw_fields.pop("outcome", "").lower()
        errors: dict[str, list[str]] = {}
        if row.outcome and row.outcome not in Outcome.values:
            errors["outcome"] = [
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(Outcome.values)}
            ]
        email = raw_fields.pop("email", "")
        phone = raw_fields.pop("phone", "")
        try:
            cleaned = lead_clean_fields(raw_fields, region=self.region)
        except ValidationError as exc:
            errors.update(exc.message_dict)
            cleaned = {}
        for name, value, check in (("email", email, self.email), ("phone", phone, self.phone)):
            if not value:
                continue
            try:
                cleaned[name] = check(value)
            except ValidationError as exc:
                errors[name] = exc.messages
        if errors:
            row.result = RowResult(
                number,
                FAILED,
                external_id=str(raw_fields.get("external_id", ""))[:100],
                reason=_reason(ValidationError(errors)),
            )
            return row
        row.fields = {name: value for name, value in cleaned.items() if value}
        row.external_id = row.fields.get("external_id", "")
        row.values_json = json.dumps(values)
        row.fields_json = json.dumps(row.fields)
        row.custom_json = json.dumps(custom)
        row.spam = spam_reason(row.fields, "")
        try:
            lead_check_reachable(row.fields)
        except ValidationError as exc:
            row.unreachable = _reason(exc)
        signed = {**custom, "outcome": row.outcome} if row.outcome else custom
        row.fingerprint = inquiry_fingerprint(self.channel, row.fields, signed, "")
        row.person = person_from(row.fields, custom)
        row.keys = tuple(sorted(blocking_keys(row.person)))
        return row


# --- Cleaning in another process ----------------------------------------------------

# Files with at least this many rows still to import are cleaned in a forked
# process while this one writes: cleaning (phone numbers above all) costs as
# much as writing, and a machine has more than one core.
FORK_CLEANER_ROWS = 5_000

# Cleaned batches the importing process holds, as bytes, beyond the one it
# writes: late in a large import the writer is now and then busy for some
# seconds with one commit (copying its write-ahead log into the database),
# and the cleaning process goes on meanwhile instead of waiting.
BATCHES_AHEAD = 2


def prepared_batches(
    source: RowSource,
    cleaner: RowCleaner,
    *,
    start: int,
    batch_size: int,
    forked: bool = False,
    prepare: Callable[[PreparedRow], None] | None = None,
    match: Callable[[list[PreparedRow]], None] | None = None,
) -> Generator[list[PreparedRow], None, None]:
    """The rows after ``start``, cleaned, ``batch_size`` at a time.

    ``prepare`` (``BatchWriter.prepare``) is called on each row still to be
    decided, in the process that cleans.

    With ``forked`` a child process reads and cleans the rows and hands each
    batch over a pipe; it works a few batches ahead at most (``BATCHES_AHEAD``
    waiting here, one on its way, the one it cleans), then its writes to
    the pipe block until this process takes one, so memory does not grow
    with the file. It
    dies with this process, even by ``kill -9``. Closing the generator stops it.
    The child also calls ``match`` (``BatchWriter.match_stored``) on each
    batch, on a database connection of its own; it writes nothing.
    """
    if not forked:
        batch: list[PreparedRow] = []
        for number, cells in source.rows(start=start):
            batch.append(_cleaned(cleaner, prepare, number, cells))
            if len(batch) >= batch_size:
                yield batch
                batch = []
        if batch:
            yield batch
        return
    yield from _batches_from_child(
        source, cleaner, start=start, batch_size=batch_size, prepare=prepare, match=match
    )


def _cleaned(
    cleaner: RowCleaner,
    prepare: Callable[[PreparedRow], None] | None,
    number: int,
    cells: Sequence[str],
) -> PreparedRow:
    row = cleaner.clean(number, cells)
    if prepare is not None and row.result is None:
        prepare(row)
    return row


def _batches_from_child(
    source: RowSource,
    cleaner: RowCleaner,
    *,
    start: int,
    batch_size: int,
    prepare: Callable[[PreparedRow], None] | None = None,
    match: Callable[[list[PreparedRow]], None] | None = None,
) -> Iterator[list[PreparedRow]]:
    import multiprocessing

    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    child = context.Process(
        target=_clean_in_child,
        args=(sending, source, cleaner, start, batch_size, prepare, match),
        daemon=True,
        name="leadflow-import-cleaner",
    )
    child.start()
    sending.close()
    # Batches are taken off the pipe as they come, as bytes, by a thread:
    # the cleaning process goes on while this one is busy for longer than
    # a batch takes to clean (copying the write-ahead log into the database).
    taken: queue.Queue[bytes | None] = queue.Queue(maxsize=BATCHES_AHEAD)
    stopping = threading.Event()

    def put(item: bytes | None) -> None:
        while not stopping.is_set():
            try:
                taken.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def take() -> None:
        try:
            while not stopping.is_set():
                put(receiving.recv_bytes())
        except (EOFError, OSError):
            pass  # the child ended (or was stopped)
        put(None)

    taker = threading.Thread(target=take, name="leadflow-import-batches", daemon=True)
    taker.start()
    try:
        while True:
            pickled = taken.get()
            if pickled is None:
                child.join()
                raise RuntimeError(
                    f"The process cleaning the rows stopped (exit code {child.exitcode})."
                )
            kind, item = ForkingPickler.loads(pickled)
            del pickled  # not kept while the batch is written
            if kind == "batch":
                yield item
            elif kind == "done":
                return
            else:  # "error": what the child raised
                raise item
    finally:
        stopping.set()
        if child.is_alive():
            child.kill()
        child.join()
        taker.join()
        receiving.close()


def _clean_in_child(
    sending: Any,
    source: RowSource,
    cleaner: RowCleaner,
    start: int,
    batch_size: int,
    prepare: Callable[[PreparedRow], None] | None = None,
    match: Callable[[list[PreparedRow]], None] | None = None,
) -> None:
    die_with_parent(signal.SIGKILL)
    try:
        if match is not None:
            _connections_of_own()

        def hand_over(batch: list[PreparedRow]) -> None:
            if match is not None:
                match(batch)
            sending.send(("batch", batch))

        batch: list[PreparedRow] = []
        for number, cells in source.rows(start=start):
            batch.append(_cleaned(cleaner, prepare, number, cells))
            if len(batch) >= batch_size:
                hand_over(batch)
                batch = []
        if batch:
            hand_over(batch)
        sending.send(("done", None))
    except (BrokenPipeError, KeyboardInterrupt):
        pass  # the importing process stopped reading
    except Exception as exc:
        import traceback

        try:
            sending.send(("error", exc))
        except Exception:
            sending.send(("error", RuntimeError(traceback.format_exc())))
    finally:
        sending.close()


# The database connections a forked cleaning process inherited: kept, never
# used or closed there (closing one could disturb the parent's use of the
# SQLite file), until the process ends without clean-up.
_INHERITED_CONNECTIONS: list[Any] = []

# SQLite page cache of the cleaning process's connection, which only reads
# (the default is 64 MB, and the two processes share the memory target).
CLEANER_PAGE_CACHE_KB = 8 * 1024


def _connections_of_own() -> None:
    """In a forked process: leave the parent's database connections alone and open a new one (SQLite)."""
    from django.db import connections

    for wrapper in connections.all(initialized_only=True):
        _INHERITED_CONNECTIONS.append(wrapper.connection)
        wrapper.connection = None
    connection.ensure_connection()
    raw = connection.connection
    # Read through the page cache, not a memory map that would count as memory.
    raw.execute("PRAGMA mmap_size=0")
    raw.execute(f"PRAGMA cache_size=-{CLEANER_PAGE_CACHE_KB:d}")


# --- Writing a batch -----------------------------------------------------------------


@dataclass
class _Candidate:
    lead_id: int | None
    contact_id: int | None
    person: Person


class _Values:
    """A row about to be written, as its columns' values (attnames) — far cheaper than a model.

    Starts from the model's defaults; ``pk`` is ``id``.
    """

    def __init__(self, defaults: Mapping[str, Any], **values: Any) -> None:
        self.__dict__.update(defaults)
        self.__dict__.update(values)

    @property
    def pk(self) -> int:
        return self.id

    @pk.setter
    def pk(self, value: int) -> None:
        self.id = value

    @classmethod
    def defaults_of(cls, model: type[Any]) -> tuple[list[str], dict[str, Any]]:
        columns = [f.attname for f in model._meta.concrete_fields]
        return columns, {f.attname: f.get_default() for f in model._meta.concrete_fields}


@dataclass
class _NewLead:
    """A lead this batch creates, still in memory (later rows may complete it)."""

    values: list[Any]  # in the lead table's column order, as prepared from its row
    row: PreparedRow
    keys: set[int]
    pk: int = 0
    # The lead as a _Values once a later row of the batch completes it.
    lead: Any = None

    @property
    def completed(self) -> bool:
        return self.lead is not None


class _Target:
    """Who an attached row goes to: a lead already stored, a contact, or a new lead of this batch."""

    def __init__(
        self,
        *,
        lead: Lead | None = None,
        contact: Contact | None = None,
        new: _NewLead | None = None,
    ) -> None:
        self.lead, self.contact, self.new = lead, contact, new


def _identity_lock_many(keys: Iterable[str | int]) -> None:
    """``identity_lock`` for a whole batch in one statement (PostgreSQL; SQLite needs none)."""
    if connection.vendor != "postgresql":
        return
    numbers = sorted({lock_number(key) for key in keys})
    if numbers:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_advisory_xact_lock(n)) FROM unnest(%s::bigint[]) AS n", [numbers]
            )


def _chunks(items: Sequence[Any], size: int = 900) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _select_in(sql: str, values: Sequence[Any], *, before: Sequence[Any] = ()) -> Iterator[Any]:
    """The rows of ``sql`` for ``values``, a few hundred at a time.

    ``sql`` has one ``{in_list}`` where the values' placeholders go and may
    take the parameters ``before`` ahead of them. Plain SQL because building
    a query with a thousand-value ``IN`` through the ORM costs more than
    running it.
    """
    with connection.cursor() as cursor:
        for chunk in _chunks(values):
            cursor.execute(sql.format(in_list=", ".join(["%s"] * len(chunk))), [*before, *chunk])
            yield from cursor.fetchall()


def _one_of(column: str, values: Sequence[int]) -> tuple[str, Any]:
    """SQL for ``column`` being one of ``values``, with the values as one parameter.

    On SQLite the values go as a JSON array, and ``+column`` keeps the
    planner from looking each one up in the column's index instead of
    checking it on the rows another condition reads.
    """
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", list(values)
    return f"+{column} IN (SELECT item.value FROM json_each(%s) AS item)", json.dumps(values)


def _table(model: type[Any]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _json_value(value: Any) -> Any:
    """A JSON column as read with plain SQL: text on SQLite, decoded already on PostgreSQL."""
    return json.loads(value) if isinstance(value, str | bytes) else value


_EVENT_COLUMNS = (
    "occurred_at",
    "kind",
    "actor_id",
    "interface",
    "lead_id",
    "contact_id",
    "company_id",
    "deal_id",
    "from_value",
    "to_value",
    "data",
)


# JSON columns that ``BatchWriter.prepare`` fills with JSON text (``BulkTable``'s ``encoded``).
_INQUIRY_ENCODED = ("payload", "fields", "custom")
_LEAD_ENCODED = ("custom",)


def _plain(value: Any) -> Any:
    """A choice as its plain value.

    SQLite's driver binds a ``str`` subclass, such as an enumeration member,
    through its adapter look-up: about ten times the cost of a plain ``str``.
    Unpickling one looks it up by value.
    """
    return value.value if isinstance(value, enum.Enum) else value


class BatchWriter:
    """Writes one batch of prepared rows with intake's rules; call inside a transaction."""

    def __init__(
        self,
        *,
        job: ImportJob,
        channel: Channel,
        campaign: Campaign | None,
        actor: User | None,
    ) -> None:
        self.job = job
        self.channel = channel
        self.campaign = campaign
        self.actor = actor
        self.actor_id = actor.pk if actor is not None else None
        self.lead_columns, self.lead_defaults = _Values.defaults_of(Lead)
        campaign_id = campaign.pk if campaign is not None else None
        # Where each column's value sits in a row of values, and a new row's
        # values before the row's own are put in.
        self.lead_at = {name: index for index, name in enumerate(self.lead_columns)}
        self.lead_template = self._template(
            self.lead_columns,
            self.lead_defaults,
            channel_id=channel.pk,
            campaign_id=campaign_id,
            origin_class=channel.origin_class,
            triage_pending=True,
        )
        # Most candidates sharing a key (a common name in a big town) are
        # someone else: ruled out cheaply before the full comparison, with the
        # dedupe scan's margin (compare() rounds its confidence).
        self.needed = possible_logit() - 0.01
        self.inquiry_columns, self.inquiry_defaults = _Values.defaults_of(Inquiry)
        self.inquiry_at = {name: index for index, name in enumerate(self.inquiry_columns)}
        self.inquiry_template = self._template(
            self.inquiry_columns,
            self.inquiry_defaults,
            channel_id=channel.pk,
            campaign_id=campaign_id,
            submitted_by_id=self.actor_id,
        )

    @staticmethod
    def _template(columns: list[str], defaults: Mapping[str, Any], **values: Any) -> list[Any]:
        # Choices as their plain values: a member of an enumeration costs a
        # look-up by value each time a row is unpickled.
        return [_plain(values[name] if name in values else defaults[name]) for name in columns]

    def prepare(self, row: PreparedRow) -> None:
        """The row's inquiry and new-lead values, all but what the writing decides.

        Runs where rows are cleaned (:func:`prepared_batches`), which is
        another process for a large file: the process writing has less to do.
        """
        # {"import": job, "row": number, "values": {...}[, "outcome": ...]} as json.dumps writes it.
        outcome = f', "outcome": {json.dumps(row.outcome)}' if row.outcome else ""
        inquiry = list(self.inquiry_template)
        at = self.inquiry_at
        inquiry[at["payload"]] = (
            f'{{"import": {self.job.pk:d}, "row": {row.number:d}, '
            f'"values": {row.values_json}{outcome}}}'
        )
        inquiry[at["fields"]] = row.fields_json
        inquiry[at["custom"]] = row.custom_json
        inquiry[at["fingerprint"]] = row.fingerprint
        row.inquiry_values = inquiry
        if not (row.spam or row.unreachable):
            lead = list(self.lead_template)
            at = self.lead_at
            for name, value in row.fields.items():
                if name in PERSON_FIELDS:
                    lead[at[name]] = value
            lead[at["custom"]] = row.custom_json
            lead[at["temperature"]] = _plain(
                temperature_for_timeframe(row.fields.get("purchase_timeframe", ""))
            )
            lead[at["outcome"]] = row.outcome
            row.lead_values = lead
        # Nothing else reads the cells or the JSON texts: not sent to the writer.
        row.values = {}
        row.values_json = row.fields_json = row.custom_json = ""

    def write(self, rows: Sequence[PreparedRow]) -> list[RowResult]:
        now = timezone.now()
        self.now = now
        results: dict[int, RowResult] = {}
        live = [row for row in rows if row.result is None]
        for row in rows:
            if row.result is not None:
                results[row.number] = row.result
        _identity_lock_many(
            [f"f:{row.fingerprint}" for row in live] + [key for row in live for key in row.keys]
        )

        # The same row imported before (or earlier in this batch) is skipped.
        earlier = self._earlier_inquiries([row.fingerprint for row in live])
        seen: dict[str, PreparedRow] = {}
        fresh: list[PreparedRow] = []
        for row in live:
            if row.fingerprint in earlier:
                inquiry_id, lead_id = earlier[row.fingerprint]
                results[row.number] = RowResult(
                    row.number,
                    SKIPPED,
                    external_id=row.external_id,
                    lead_id=lead_id,
                    reason=_("Imported before (inquiry %(id)d).") % {"id": inquiry_id},
                )
            elif row.fingerprint in seen:
                results[row.number] = RowResult(
                    row.number,
                    SKIPPED,
                    external_id=row.external_id,
                    reason=_("Same as row %(row)d.") % {"row": seen[row.fingerprint].number},
                )
            else:
                seen[row.fingerprint] = row
                fresh.append(row)

        inquiries: list[list[Any]] = []
        inquiry_ids = IdReservation(Inquiry)
        interests: list[tuple[Interest, list[Any]]] = []
        leadable: list[PreparedRow] = []
        at = self.inquiry_at
        for row in fresh:
            inquiry = self._inquiry(row, inquiry_ids.take())
            reason = row.spam
            if reason:
                inquiry[at["outcome"]] = InquiryOutcome.REJECTED.value
                inquiry[at["reason"]] = reason
                inquiries.append(inquiry)
                results[row.number] = RowResult(
                    row.number, REJECTED, external_id=row.external_id, reason=reason
                )
                continue
            if row.unreachable:
                inquiry[at["outcome"]] = InquiryOutcome.INTEREST.value
                inquiries.append(inquiry)
                interests.append((self._interest(row), inquiry))
                results[row.number] = RowResult(
                    row.number, INTEREST, external_id=row.external_id, reason=row.unreachable
                )
                continue
            row.inquiry = inquiry  # type: ignore[attr-defined]
            leadable.append(row)

        new_leads, attachments, pairs = self._decide(leadable, results)
        lead_ids = IdReservation(Lead)
        for new in new_leads:
            new.pk = lead_ids.take()
        for row in leadable:
            inquiry = row.inquiry  # type: ignore[attr-defined]
            inquiries.append(inquiry)
            result = results[row.number]
            if result.outcome == CREATED:
                new = self._new_of[row.number]
                inquiry[at["outcome"]] = InquiryOutcome.CREATED.value
                inquiry[at["lead_id"]] = result.lead_id = new.pk

        events: list[tuple[Any, ...]] = [
            self._event_row(EventKind.CREATED, lead_id=new.pk, to_value=LeadStatus.NEW)
            for new in new_leads
        ]

        if interests:
            stored = Interest.objects.bulk_create([interest for interest, _ in interests])
            for interest, (_interest, inquiry) in zip(stored, interests, strict=True):
                inquiry[at["interest_id"]] = interest.pk

        # Leads first: inquiries, keys and events point at them.
        if new_leads:
            BulkTable(Lead, self.lead_columns, encoded=_LEAD_ENCODED).insert(
                [self._lead_row(new) for new in new_leads]
            )
            key_rows = [
                (key, new.pk)
                for new in new_leads
                for key in (
                    blocking_keys(person_from(new.lead.__dict__, new.lead.custom))
                    if new.completed
                    else new.row.keys
                )
            ]
            # In index order: a big import touches fewer pages of the key index.
            key_rows.sort()
            BulkTable(MatchKey, ["value", "lead_id"]).insert(key_rows)

        attached_events, refreshed = self._attach_all(attachments, results)
        events += attached_events
        if inquiries:
            BulkTable(Inquiry, self.inquiry_columns, encoded=_INQUIRY_ENCODED).insert(inquiries)
        if events:
            BulkTable(Event, _EVENT_COLUMNS).insert(events)
        if pairs:
            DuplicatePair.objects.bulk_create(
                [
                    DuplicatePair(lead_a_id=min(a, b), lead_b_id=max(a, b), **evidence)
                    for a, b, evidence in (
                        (_lead_pk(x), _lead_pk(y), evidence) for x, y, evidence in pairs
                    )
                    if a != b
                ],
                ignore_conflicts=True,
            )
        created_ids = [new.pk for new in new_leads]
        if created_ids:
            self._after_create(created_ids)
        ordered = [results[row.number] for row in rows]
        self._audit(ordered, created_ids, refreshed)
        return ordered

    # -- steps --

    def _earlier_inquiries(self, fingerprints: list[str]) -> dict[str, tuple[int, int | None]]:
        # By fingerprint alone, the channel checked here: with "channel_id = %s"
        # in the query SQLite (without statistics, as during a first import)
        # walks the channel's index, every inquiry of the channel for each batch,
        # and the import slows down with every row it adds.
        found: dict[str, tuple[int, int | None]] = {}
        channel_id = self.channel.pk
        sql = (
            f"SELECT fingerprint, channel_id, id, lead_id FROM {_table(Inquiry)}"
            " WHERE fingerprint IN ({in_list}) ORDER BY id DESC"
        )
        for fingerprint, channel, pk, lead_id in _select_in(sql, fingerprints):
            if channel == channel_id:
                found[fingerprint] = (pk, lead_id)  # the oldest wins (ordered newest first)
        return found

    def _inquiry(self, row: PreparedRow, pk: int) -> list[Any]:
        """The row's inquiry as values in ``inquiry_columns`` order, with its id."""
        if row.inquiry_values is None:
            self.prepare(row)
        assert row.inquiry_values is not None
        # A copy: the same rows are written again if a batch is retried.
        values = list(row.inquiry_values)
        values[self.inquiry_at["id"]] = pk
        values[self.inquiry_at["received_at"]] = self.now
        return values

    def _interest(self, row: PreparedRow) -> Interest:
        fields = row.fields
        name = " ".join(p for p in (fields.get("first_name"), fields.get("last_name")) if p)
        return Interest(
            channel=self.channel,
            campaign=self.campaign,
            name=name,
            company_name=fields.get("company_name", ""),
            email=fields.get("email", ""),
            phone=fields.get("phone", ""),
        )

    def _new_lead(self, row: PreparedRow) -> _NewLead:
        assert row.lead_values is not None  # prepared with the inquiry
        return _NewLead(values=row.lead_values, row=row, keys=set(row.keys))

    def _lead_row(self, new: _NewLead) -> Sequence[Any]:
        """A new lead's values in ``lead_columns`` order, as it is written."""
        if new.lead is not None:
            new.lead.created_at = new.lead.updated_at = self.now
            new.lead.id = new.pk
            return operator.attrgetter(*self.lead_columns)(new.lead)
        values = list(new.values)
        at = self.lead_at
        values[at["id"]] = new.pk
        values[at["created_at"]] = values[at["updated_at"]] = self.now
        return values

    def _candidates(
        self, rows: Sequence[PreparedRow]
    ) -> tuple[dict[int, list[tuple[int | None, int | None]]], dict[tuple[str, int], Person]]:
        """Stored match keys of every row's keys, and the persons they belong to."""
        keys = sorted({key for row in rows for key in row.keys})
        by_key: dict[int, list[tuple[int | None, int | None]]] = {}
        sql = f"SELECT value, lead_id, contact_id FROM {_table(MatchKey)} WHERE value IN ({{in_list}})"
        for value, lead_id, contact_id in _select_in(sql, keys):
            by_key.setdefault(value, []).append((lead_id, contact_id))
        return by_key, self._persons(by_key)

    def _persons(
        self, by_key: Mapping[int, list[tuple[int | None, int | None]]]
    ) -> dict[tuple[str, int], Person]:
        """The persons of the leads and contacts that ``by_key`` names."""
        from leadflow.sales.models import Contact

        lead_ids = sorted({lead for pairs in by_key.values() for lead, _ in pairs if lead})
        contact_ids = sorted({c for pairs in by_key.values() for _, c in pairs if c})
        persons: dict[tuple[str, int], Person] = {}
        quote = connection.ops.quote_name
        sql = "SELECT id, custom, {} FROM {} WHERE id IN ({{in_list}})".format(
            ", ".join(quote(name) for name in KEY_FIELDS), _table(Lead)
        )
        # Most records have none of the identity attributes among their custom
        # ones: their JSON text (SQLite's) need not be decoded.
        names = settings.LEADFLOW_MATCH_IDENTITY_ATTRIBUTES
        quoted = [json.dumps(name, ensure_ascii=ascii) for name in names for ascii in (True, False)]
        for pk, custom, *values in _select_in(sql, lead_ids):
            if isinstance(custom, str) and not any(name in custom for name in quoted):
                identity = {}
            else:
                identity = identity_of(_json_value(custom) or {})
            first, last, email, phone, company, street, postal_code, city = values
            persons[("lead", pk)] = person_of(
                first, last, email, phone, company, street, postal_code, city, identity
            )
        for chunk in _chunks(contact_ids):
            for contact in Contact.objects.filter(pk__in=chunk).select_related("company"):
                persons[("contact", contact.pk)] = person_from(
                    record_fields(contact), contact.custom
                )
        return persons

    def match_stored(self, rows: list[PreparedRow]) -> None:
        """Find the stored leads and contacts each row may be, ahead of the writing (``stored``).

        Runs in the process that cleans the rows, beside the one writing, and
        changes nothing. What it found holds as of ``key_mark``: before using
        it, the writer compares each row that shares a key with a record
        filed or re-filed since with that record as it is now
        (:meth:`_stored_still_current`), much as ``inquiry_submit`` looks
        again for a single inquiry.
        """
        live = [row for row in rows if row.result is None and not (row.spam or row.unreachable)]
        if not live:
            return
        mark = match_key_mark()
        by_key, persons = self._candidates(live)
        for row in live:
            row.stored = self._compare_stored(row, by_key, persons)
            row.key_mark = mark

    def _stored_still_current(self, rows: Sequence[PreparedRow]) -> None:
        """Bring what the cleaning process found up to date with what was filed since.

        A record filed or re-filed after the look-up (a lead of an earlier
        batch, a card whose fields changed) has match keys newer than the
        row's mark: what was found about it is dropped, and it is compared
        anew with each row that shares one of its keys, beside what was
        found about the others, which still holds. A row one of whose
        candidates was deleted since (merged away, say) is looked up again
        in full.
        """
        looked_up = [row for row in rows if row.stored is not None]
        if not looked_up:
            return
        mark = min(row.key_mark for row in looked_up)
        referred: dict[str, set[int]] = {"lead": set(), "contact": set()}
        for row in looked_up:
            for _confidence, _explanation, kind, ref in row.stored or ():
                referred[kind].add(ref)
        # Early in a large import the cleaning process is some batches ahead
        # and tens of thousands of keys came since: of those only the ones
        # shared with the rows matter, and of the records re-filed only the
        # ones found for the rows. The newest rows of the table, by id, are a
        # short range read in order.
        keys = sorted(set().union(*(row.keys for row in looked_up)))
        since = f"FROM {_table(MatchKey)} WHERE id > %s AND "
        added: dict[int, list[tuple[int | None, int | None]]] = {}
        refiled: set[tuple[str, int]] = set()
        with connection.cursor() as cursor:
            shared, values = _one_of("value", keys)
            cursor.execute(f"SELECT value, lead_id, contact_id {since} {shared}", [mark, values])
            for value, lead_id, contact_id in cursor.fetchall():
                added.setdefault(value, []).append((lead_id, contact_id))
            for kind in ("lead", "contact"):
                if referred[kind]:
                    holder, ids = _one_of(f"{kind}_id", sorted(referred[kind]))
                    cursor.execute(f"SELECT {kind}_id {since} {holder}", [mark, ids])
                    refiled.update((kind, pk) for (pk,) in cursor.fetchall())
        from leadflow.sales.models import Contact

        gone: set[tuple[str, int]] = set()
        for kind, model in (("lead", Lead), ("contact", Contact)):
            ids = sorted(referred[kind])
            sql = f"SELECT id FROM {_table(model)} WHERE id IN ({{in_list}})"
            present = {pk for (pk,) in _select_in(sql, ids)}
            gone.update((kind, pk) for pk in ids if pk not in present)
        again: list[PreparedRow] = []
        for row in looked_up:
            found = row.stored or []
            if any((kind, ref) in gone for _c, _e, kind, ref in found):
                row.stored = None
                continue
            sharing = not added.keys().isdisjoint(row.keys)
            if sharing or any((kind, ref) in refiled for _c, _e, kind, ref in found):
                row.stored = [item for item in found if (item[2], item[3]) not in refiled]
                if sharing:
                    again.append(row)
        if again:
            persons = self._persons(
                {key: added[key] for row in again for key in row.keys if key in added}
            )
            for row in again:
                assert row.stored is not None
                row.stored += self._compare_stored(row, added, persons)

    def _decide(
        self, rows: Sequence[PreparedRow], results: dict[int, RowResult]
    ) -> tuple[list[_NewLead], list[tuple[PreparedRow, _Target, dict[str, Any]]], list[Any]]:
        """Create, attach or pair each row, in file order, as single inquiries would."""
        self._new_of: dict[int, _NewLead] = {}
        external_ids = sorted({row.external_id for row in rows if row.external_id})
        stored_external: dict[str, int] = {}
        sql = (
            f"SELECT external_id, id FROM {_table(Lead)}"
            " WHERE external_id IN ({in_list}) ORDER BY id DESC"
        )
        for external_id, pk in _select_in(sql, external_ids):
            stored_external[external_id] = pk  # the oldest wins (ordered newest first)
        self._stored_still_current(rows)
        by_key, persons = self._candidates([row for row in rows if row.stored is None])

        new_leads: list[_NewLead] = []
        new_by_key: dict[int, list[_NewLead]] = {}
        new_by_external: dict[str, _NewLead] = {}
        # (row, target, match explanation) for later writing; targets by id.
        attachments: list[tuple[PreparedRow, _Target, dict[str, Any]]] = []
        pending_lead_targets: dict[int, list[_Target]] = {}
        contact_targets: dict[int, list[_Target]] = {}
        pairs: list[Any] = []

        for row in rows:
            assert row.person is not None
            match: dict[str, Any] | None = None
            target: _Target | None = None
            if row.external_id in new_by_external:
                target = _Target(new=new_by_external[row.external_id])
                match = self._external_match()
            elif row.external_id in stored_external:
                target = _Target()
                pending_lead_targets.setdefault(stored_external[row.external_id], []).append(target)
                match = self._external_match()
            else:
                found = self._compare(row, by_key, persons, new_by_key)
                best = found[0] if found else None
                if best is not None and match_level(best[0]) in (
                    MatchLevel.CERTAIN,
                    MatchLevel.PROBABLE,
                ):
                    confidence, explanation, kind, ref = best
                    match = {"confidence": confidence, "explanation": explanation}
                    if kind == "new":
                        target = _Target(new=ref)
                    elif kind == "lead":
                        target = _Target()
                        pending_lead_targets.setdefault(ref, []).append(target)
                    else:
                        target = _Target()
                        contact_targets.setdefault(ref, []).append(target)
                else:
                    new = self._new_lead(row)
                    new_leads.append(new)
                    self._new_of[row.number] = new
                    for key in row.keys:
                        new_by_key.setdefault(key, []).append(new)
                    if row.external_id:
                        new_by_external[row.external_id] = new
                    results[row.number] = RowResult(
                        row.number, CREATED, external_id=row.external_id
                    )
                    for confidence, explanation, kind, ref in found:
                        if kind != "contact":
                            evidence = {"confidence": confidence, "explanation": explanation}
                            pairs.append((ref, new, evidence))
                    continue
            assert target is not None and match is not None
            if target.new is not None:
                self._fill_new(target.new, row, new_by_key)
            attachments.append((row, target, match))
            results[row.number] = RowResult(row.number, ATTACHED, external_id=row.external_id)

        self._load_targets(pending_lead_targets, contact_targets)
        return new_leads, attachments, pairs

    def _external_match(self) -> dict[str, Any]:
        return {
            "confidence": 1.0,
            "explanation": {"external_id": {"similarity": 1.0, "weight": 8.0}},
        }

    def _compare(
        self,
        row: PreparedRow,
        by_key: dict[int, list[tuple[int | None, int | None]]],
        persons: dict[tuple[str, int], Person],
        new_by_key: dict[int, list[_NewLead]],
    ) -> list[tuple[float, dict[str, Any], str, Any]]:
        assert row.person is not None
        found: list[tuple[float, dict[str, Any], str, Any]] = list(
            row.stored if row.stored is not None else self._compare_stored(row, by_key, persons)
        )
        seen_new: set[int] = set()
        for key in row.keys:
            for new in new_by_key.get(key, ()):
                if id(new) in seen_new:
                    continue
                seen_new.add(id(new))
                other = (
                    person_from(new.lead.__dict__, new.lead.custom)
                    if new.completed
                    else new.row.person
                )
                assert other is not None
                if not may_match(row.person, other, self.needed):
                    continue
                confidence, explanation = compare(row.person, other)
                if match_level(confidence):
                    found.append((confidence, explanation, "new", new))
        # Best first; on a tie a customer (contact) before a lead, as match_candidates does.
        found.sort(key=lambda item: (-item[0], item[2] != "contact"))
        return found

    def _compare_stored(
        self,
        row: PreparedRow,
        by_key: dict[int, list[tuple[int | None, int | None]]],
        persons: dict[tuple[str, int], Person],
    ) -> list[tuple[float, dict[str, Any], str, int]]:
        """The stored leads and contacts sharing a key with the row that reach the possible level."""
        assert row.person is not None
        stored: dict[tuple[str, int], None] = {}
        for key in row.keys:
            for lead_id, contact_id in by_key.get(key, ()):
                if len(stored) >= MAX_CANDIDATES_PER_LOOKUP:
                    break
                if lead_id:
                    stored[("lead", lead_id)] = None
                if contact_id:
                    stored[("contact", contact_id)] = None
        found: list[tuple[float, dict[str, Any], str, int]] = []
        for kind, ref in stored:
            person = persons.get((kind, ref))
            if person is None or not may_match(row.person, person, self.needed):
                continue
            confidence, explanation = compare(row.person, person)
            if match_level(confidence):
                found.append((confidence, explanation, kind, ref))
        return found

    def _fill_new(self, new: _NewLead, row: PreparedRow, new_by_key: dict) -> None:
        """A later row of the batch completes a lead this batch creates (gaps only)."""
        if new.lead is None:
            new.lead = _Values(dict(zip(self.lead_columns, new.values, strict=True)))
            new.lead.custom = dict(new.row.custom)
        lead = new.lead
        for name, value in row.fields.items():
            if name in PERSON_FIELDS and value and not getattr(lead, name):
                setattr(lead, name, value)
        timeframe = row.fields.get("purchase_timeframe")
        if timeframe and timeframe != lead.purchase_timeframe:
            lead.purchase_timeframe = timeframe
        lead.temperature = _plain(temperature_for_timeframe(lead.purchase_timeframe))
        for name, value in row.custom.items():
            lead.custom.setdefault(name, value)
        if row.outcome and not lead.outcome:
            lead.outcome = row.outcome
        keys = blocking_keys(person_from(lead.__dict__, lead.custom))
        for key in keys - new.keys:
            new_by_key.setdefault(key, []).append(new)
        new.keys |= keys

    def _load_targets(
        self,
        lead_targets: dict[int, list[_Target]],
        contact_targets: dict[int, list[_Target]],
    ) -> None:
        from leadflow.sales.models import Contact

        leads = Lead.objects.in_bulk(list(lead_targets)) if lead_targets else {}
        for pk, targets in lead_targets.items():
            lead = leads.get(pk)
            for target in targets:
                target.lead = lead
        converted = {
            lead.contact_id
            for lead in leads.values()
            if lead.status == LeadStatus.CONVERTED and lead.contact_id
        }
        contacts = (
            Contact.objects.in_bulk(sorted(set(contact_targets) | converted))
            if contact_targets or converted
            else {}
        )
        for pk, targets in contact_targets.items():
            for target in targets:
                target.contact = contacts.get(pk)
        for targets in lead_targets.values():
            for target in targets:
                lead = target.lead
                if lead is not None and lead.status == LeadStatus.CONVERTED and lead.contact_id:
                    # A converted lead's person is a customer now: the contact card is theirs.
                    target.contact = contacts.get(lead.contact_id)

    def _attach_all(
        self,
        attachments: Sequence[tuple[PreparedRow, _Target, dict[str, Any]]],
        results: dict[int, RowResult],
    ) -> tuple[list[tuple[Any, ...]], list[int]]:
        from leadflow.activities.services import notification_send

        events: list[tuple[Any, ...]] = []
        updated: list[int] = []
        current: dict[int, Lead] = {}
        for row, target, match in attachments:
            inquiry = row.inquiry  # type: ignore[attr-defined]
            at = self.inquiry_at
            confidence = match["confidence"]
            needs_review = match_level(confidence) != MatchLevel.CERTAIN
            inquiry[at["outcome"]] = InquiryOutcome.ATTACHED.value
            inquiry[at["match_confidence"]] = confidence
            inquiry[at["match_explanation"]] = match["explanation"]
            inquiry[at["needs_review"]] = needs_review
            result = results[row.number]
            data = {
                "inquiry": inquiry[at["id"]],
                "channel": self.channel.slug,
                "confidence": confidence,
                "matched_on": sorted(
                    name for name, item in match["explanation"].items() if item["weight"] > 0
                ),
                "needs_review": needs_review,
            }
            if target.new is not None:
                inquiry[at["lead_id"]] = result.lead_id = target.new.pk
                events.append(self._attached_event(data, lead_id=target.new.pk))
                continue
            lead = target.lead
            if lead is not None:
                lead = current.get(lead.pk, lead)
            inquiry[at["lead_id"]] = result.lead_id = lead.pk if lead is not None else None
            inquiry[at["contact_id"]] = target.contact.pk if target.contact is not None else None
            if target.contact is not None:
                contact = target.contact
                if lead is None:
                    result.reason = _("Customer #%(id)d.") % {"id": contact.pk}
                events.append(self._attached_event(data, contact_id=contact.pk))
                owner = contact.owner
                page = ("sales:contact_detail", contact.pk)
                text = _("%(name)s, a customer, got in touch again through %(channel)s.")
                name = str(contact)
            elif lead is not None:
                events.append(self._attached_event(data, lead_id=lead.pk))
                lead, changed = self._lead_fill_gaps(lead, row)
                if changed and lead.pk not in updated:
                    updated.append(lead.pk)
                current[lead.pk] = lead
                owner = lead.owner
                page = ("leads:detail", lead.pk)
                text = _("%(name)s got in touch again through %(channel)s.")
                name = str(lead)
            else:  # the matched card went away meanwhile: impossible inside the lock
                raise RuntimeError(f"row {row.number}: the matched record no longer exists")
            if owner is not None and owner.is_active:
                notification_send(
                    user=owner,
                    text=text % {"name": name, "channel": self.channel.name},
                    url=reverse(page[0], args=[page[1]]),
                    email=settings.LEADFLOW_EMAIL_OWNER_ON_REPEAT,
                )
        return events, updated

    def _event_row(
        self,
        kind: str,
        *,
        lead_id: int | None = None,
        contact_id: int | None = None,
        to_value: str = "",
        data: dict[str, Any] | None = None,
    ) -> tuple[Any, ...]:
        """An event as its values in ``_EVENT_COLUMNS`` order (a model instance costs more).

        Choices as their plain values (see ``_plain``).
        """
        return (
            self.now,
            _plain(kind),
            self.actor_id,
            Interface.IMPORT.value,
            lead_id,
            contact_id,
            None,
            None,
            "",
            _plain(to_value),
            data if data is not None else {},
        )

    def _attached_event(
        self, data: dict[str, Any], *, lead_id: int | None = None, contact_id: int | None = None
    ) -> tuple[Any, ...]:
        return self._event_row(
            EventKind.INQUIRY_ATTACHED, lead_id=lead_id, contact_id=contact_id, data=data
        )

    def _lead_fill_gaps(self, lead: Lead, row: PreparedRow) -> tuple[Lead, bool]:
        """``intake.services._lead_fill_gaps``: fill what the card lacks, overwrite nothing."""
        changes: dict[str, Any] = {
            name: value
            for name, value in row.fields.items()
            if name in PERSON_FIELDS and value and not getattr(lead, name)
        }
        timeframe = row.fields.get("purchase_timeframe")
        if timeframe and timeframe != lead.purchase_timeframe:
            changes["purchase_timeframe"] = timeframe
        new_custom = {name: value for name, value in row.custom.items() if name not in lead.custom}
        if not (changes or new_custom):
            return lead, False
        updated = lead_update(
            actor=self.actor,
            lead=lead,
            version=None,
            custom={**lead.custom, **new_custom} if new_custom else None,
            **changes,
        )
        return updated, True

    def _after_create(self, lead_ids: list[int]) -> None:
        """Scoring and routing of the batch's new leads: left to the background triage.

        The new leads are written with ``triage_pending`` set, as intake does
        for a single new lead, and ``leads_triage`` scores them a chunk at a
        time and routes each in its own transaction; the task is queued when
        the batch commits (once, if one is waiting already). Both are far
        slower than importing and may not hold it up: until then the leads
        wait in the unassigned queue.
        """
        from leadflow.core.tasks import task_enqueue_once
        from leadflow.leads.tasks import leads_triage_pending

        transaction.on_commit(lambda: task_enqueue_once(leads_triage_pending))

    def _audit(
        self, results: Sequence[RowResult], created_ids: list[int], updated_ids: list[int]
    ) -> None:
        counts = {outcome: 0 for outcome in RESULTS}
        for result in results:
            counts[result.outcome] += 1
        AuditEvent.objects.create(
            occurred_at=self.now,
            actor=self.actor,
            interface=Interface.IMPORT,
            action="leads.import",
            object_type=ImportJob._meta.label_lower,
            object_id=str(self.job.pk),
            object_repr=str(self.job)[:255],
            after={
                "rows": [results[0].row, results[-1].row] if results else [],
                "counts": counts,
                "created_lead_ids": created_ids,
                "updated_lead_ids": updated_ids,
            },
        )


def _lead_pk(ref: int | _NewLead) -> int:
    return ref if isinstance(ref, int) else ref.pk


# --- Running a job -------------------------------------------------------------------


class ImportConflict(RuntimeError):
    """Another process moved the job's checkpoint: two runs of one job at once."""


class ImportCancelled(ImportConflict):
    """Someone cancelled the job while it ran: it stops after the last committed batch."""


# Pages of write-ahead log (4 KB each) an import's connection lets grow
# before copying them into the database file (SQLite's default is 1,000).
# Late in a large import a batch changes pages all over the indexes; a page
# changed by several batches before the copy is copied once. Adding 100,000
# rows to 1,000,000: 256 MB (copied every two or three batches) 1,147 rows/s,
# 1 GB 1,421, 4 GB 1,368. The log takes no memory; the import copies it all
# and empties it when it ends, rather than leave the next request to do it.
IMPORT_WAL_CHECKPOINT_PAGES = 262_144

# SQLite's page cache for an import's connection (the default is 64 MB):
# each row inserts at random places in the match-key, e-mail, phone and
# fingerprint indexes, and a page found in the cache is one not read again.
# 192 MB: 200,000 rows went from 823 to 1,040 a second, and the import with
# its cleaning process stayed under 512 MB (459 MB, proportional).
IMPORT_PAGE_CACHE_KB = 192 * 1024

# After an import that created at least this many leads the planner's
# statistics are refreshed (ANALYZE), as after any bulk load.
ANALYZE_AFTER_LEADS = 10_000


def import_job_create(
    *,
    actor: User | None,
    channel: Channel,
    path: Path | str,
    file_name: str = "",
    mapping: Mapping[str, str],
    campaign: Campaign | None = None,
    resume: bool = True,
) -> ImportJob:
    """An import of the file at ``path`` (CSV or XLSX) with a checked column mapping.

    With ``resume`` an unfinished job for the same file content, channel,
    campaign and mapping is returned instead of a new one, so that running an
    interrupted import again carries on from its checkpoint.
    """
    path = Path(path).resolve()
    source = RowSource(path)
    headers = source.headers()
    mapping = {header: name for header, name in mapping.items() if name}
    mapping_check(headers, mapping)
    checksum = file_sha256(path)
    if resume:
        unfinished = (
            ImportJob.objects.filter(
                file_sha256=checksum,
                channel=channel,
                campaign=campaign,
                status__in=[ImportStatus.PENDING, ImportStatus.RUNNING, ImportStatus.FAILED],
            )
            .order_by("-pk")
            .first()
        )
        if unfinished is not None and unfinished.mapping == mapping:
            if unfinished.file_path != str(path):
                ImportJob.objects.filter(pk=unfinished.pk).update(file_path=str(path))
                unfinished.file_path = str(path)
            return unfinished
    return ImportJob.objects.create(
        created_by=actor if actor is not None and actor.is_authenticated else None,
        channel=channel,
        campaign=campaign,
        file_name=(file_name or path.name)[:255],
        file_path=str(path),
        file_sha256=checksum,
        file_size=path.stat().st_size,
        mapping=mapping,
        rows_estimated=source.estimated_rows(),
    )


def _counts_add(job: ImportJob, results: Iterable[RowResult]) -> None:
    for result in results:
        setattr(job, result.outcome, getattr(job, result.outcome) + 1)


def import_job_run(
    *,
    job: ImportJob,
    progress: Callable[[ImportJob], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportJob:
    """Import the job's rows from its checkpoint on, one transaction per batch.

    Rows are read lazily and handled ``batch_size`` at a time; the job's counts
    and ``rows_done`` advance in the transaction that writes the batch. An
    error marks the job failed (with the message) and is raised again; the
    batch in flight is rolled back, so running the job again resumes cleanly.
    """
    from leadflow.core.database import planner_statistics_refresh

    with interface(Interface.IMPORT):
        job = ImportJob.objects.select_related("channel", "campaign", "created_by").get(pk=job.pk)
        if job.status in (ImportStatus.DONE, ImportStatus.CANCELLED):
            return job
        source = RowSource(job.file_path)
        headers = source.headers()
        mapping_check(headers, job.mapping)
        cleaner = RowCleaner(job.channel, headers, job.mapping)
        writer = BatchWriter(
            job=job, channel=job.channel, campaign=job.campaign, actor=job.created_by
        )
        job.status = ImportStatus.RUNNING
        job.run_started_at, job.run_first_row = timezone.now(), job.rows_done
        job.started_at = job.started_at or job.run_started_at
        job.error = ""
        job.save(
            update_fields=[
                "status",
                "started_at",
                "run_started_at",
                "run_first_row",
                "error",
                "updated_at",
            ]
        )
        created_before = job.created
        forked = (job.rows_estimated or 0) - job.rows_done >= FORK_CLEANER_ROWS
        batches = prepared_batches(
            source,
            cleaner,
            start=job.rows_done,
            batch_size=batch_size,
            forked=forked,
            prepare=writer.prepare,
            match=writer.match_stored if _can_match_ahead() else None,
        )
        # The statistics are refreshed with the import's settings too: with the
        # database memory-mapped again, reading all of it would count as memory.
        with _connection_for_import(), _collection_for_import():
            try:
                for batch in batches:
                    _batch_commit(job, writer, batch)
                    if progress is not None:
                        progress(job)
            except BaseException as exc:
                batches.close()  # stops the cleaning process, if any
                if isinstance(exc, ImportCancelled):
                    job.refresh_from_db()
                    return job
                if not isinstance(exc, ImportConflict):
                    ImportJob.objects.filter(pk=job.pk).update(
                        status=ImportStatus.FAILED,
                        error=f"{type(exc).__name__}: {exc}"[:2000],
                        updated_at=timezone.now(),
                    )
                raise
            job.status = ImportStatus.DONE
            job.finished_at = timezone.now()
            job.save(update_fields=["status", "finished_at", "updated_at"])
            if progress is not None:
                progress(job)
            if job.created - created_before >= ANALYZE_AFTER_LEADS:
                planner_statistics_refresh()
        return job


def _can_match_ahead() -> bool:
    """Whether the cleaning process may look up stored matches for the writer (``match_stored``).

    SQLite only: there one writer at a time files match keys, so their ids
    grow in the order they become visible and a mark tells reliably what
    came since; PostgreSQL looks up under the batch's identity locks. And not
    inside a caller's transaction (a test's), whose rows another connection
    cannot see.
    """
    return connection.vendor == "sqlite" and not connection.in_atomic_block


@contextmanager
def _connection_for_import() -> Iterator[None]:
    """SQLite settings of this connection for an import, and back as they were after it.

    A memory-mapped database file counts towards the process's memory and
    would grow with the database; an import reads little of it. Each batch
    changes pages all over the indexes: a larger page cache reads fewer of
    them again, and copying the write-ahead log into the database less
    often (``IMPORT_WAL_CHECKPOINT_PAGES``) copies fewer of them more than once.
    Commits stay as durable.
    """
    raw = connection.connection if connection.vendor == "sqlite" else None
    if raw is None:
        yield
        return
    tuned = {
        "mmap_size": 0,
        "wal_autocheckpoint": IMPORT_WAL_CHECKPOINT_PAGES,
        "cache_size": -IMPORT_PAGE_CACHE_KB,
    }
    before = {name: int(raw.execute(f"PRAGMA {name}").fetchone()[0]) for name in tuned}
    for name, value in tuned.items():
        raw.execute(f"PRAGMA {name}={value:d}")
    try:
        yield
    finally:
        # On the driver's connection: a PRAGMA is no query of the transaction,
        # and the worker that ran the import keeps its connection for other tasks.
        for name, value in before.items():
            raw.execute(f"PRAGMA {name}={value:d}")
        # Not inside a caller's transaction; with someone reading, SQLite
        # copies what it can and leaves the rest for later.
        if not raw.in_transaction:
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# Allocations between two collections of the youngest generation during an
# import (Python's default is 700), and how many of those before each older one.
IMPORT_GC_THRESHOLDS = (50_000, 20, 20)


@contextmanager
def _collection_for_import() -> Iterator[None]:
    """Python's garbage collector tuned for an import, and back as it was after it.

    A batch is some hundred thousand objects that live until it is written:
    with the default thresholds the collector walked them over and over,
    and walked every object of the program (Django, the caches) in the full
    collections that their number set off — about a tenth of the importing
    process's time. Objects from before the import are set aside (frozen)
    for its duration; the cleaning process, forked inside, inherits both.
    """
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*IMPORT_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def _batch_commit(job: ImportJob, writer: BatchWriter, batch: Sequence[PreparedRow]) -> None:
    first, last = batch[0].number, batch[-1].number
    with transaction.atomic():
        checkpoint, status = (
            ImportJob.objects.select_for_update()
            .filter(pk=job.pk)
            .values_list("rows_done", "status")
            .get()
        )
        if status == ImportStatus.CANCELLED:
            raise ImportCancelled(f"import {job.pk} was cancelled after row {checkpoint}")
        if checkpoint != first - 1:
            raise ImportConflict(
                f"import {job.pk}: expected to continue after row {first - 1}, "
                f"but its checkpoint is row {checkpoint} (is it running elsewhere?)"
            )
        results = writer.write(batch)
        ImportBatch.objects.create(
            job=job,
            first_row=first,
            last_row=last,
            results=_results_text(results),
        )
        _counts_add(job, results)
        job.rows_done = last
        job.save(update_fields=["rows_done", *RESULTS, "updated_at"])


def import_results_lines(job: ImportJob) -> Iterator[str]:
    """The results file of a job, line by line: a header, then one line per row read so far."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(RESULTS_HEADER)
    yield out.getvalue()
    batches = ImportBatch.objects.filter(job=job).order_by("first_row")
    yield from batches.values_list("results", flat=True).iterator(chunk_size=50)


@dataclass
class PreviewRow:
    number: int
    values: dict[str, str]
    fields: dict[str, str]
    custom: dict[str, str]
    outcome: str
    reason: str = ""
    lead_id: int | None = None


def import_preview(
    *, path: Path | str, channel: Channel, mapping: Mapping[str, str], limit: int = 20
) -> tuple[list[str], list[PreviewRow]]:
    """The first rows as the import would see them, with what would happen to each.

    Reads only; the outcome is what a row would get if imported now on its own.
    """
    from leadflow.identity.selectors import match_candidates

    source = RowSource(path)
    headers = source.headers()
    cleaner = RowCleaner(channel, headers, mapping)
    preview: list[PreviewRow] = []
    for number, cells in source.rows():
        if number > limit:
            break
        row = cleaner.clean(number, cells)
        item = PreviewRow(number, row.values, row.fields, row.custom, "")
        if row.result is not None:
            item.outcome, item.reason = row.result.outcome, row.result.reason
        elif reason := spam_reason(row.fields, ""):
            item.outcome, item.reason = REJECTED, reason
        else:
            try:
                lead_check_reachable(row.fields)
            except ValidationError as exc:
                item.outcome, item.reason = INTEREST, _reason(exc)
            else:
                assert row.person is not None
                same = (
                    Lead.objects.filter(external_id=row.external_id).order_by("pk").first()
                    if row.external_id
                    else None
                )
                matches = match_candidates(row.person) if same is None else []
                best = matches[0] if matches else None
                if same is not None:
                    item.outcome, item.lead_id = ATTACHED, same.pk
                elif best is not None and best.level in (MatchLevel.CERTAIN, MatchLevel.PROBABLE):
                    item.outcome, item.lead_id = ATTACHED, best.lead_id
                else:
                    item.outcome = CREATED
        preview.append(item)
    return headers, preview


# --- Imports in the UI -----------------------------------------------------------------


def can_import(user: Any) -> bool:
    """Marketers, heads of sales and admins import lists; sales reps do not."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_admin or user.is_marketer or user.is_head_of_sales)
    )


def import_jobs_visible_to(user: Any) -> Any:
    """The imports a user may see: all of them for those who may import, none otherwise."""
    if not can_import(user):
        return ImportJob.objects.none()
    return ImportJob.objects.select_related("channel", "campaign", "created_by")


def upload_dir() -> Path:
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


@transaction.atomic
def import_job_map(
    *,
    actor: User | None,
    job: ImportJob,
    mapping: Mapping[str, str],
    channel: Channel,
    campaign: Campaign | None = None,
) -> ImportJob:
    """Set the column mapping, channel and campaign of an import that has not started."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportStatus.PENDING or job.rows_done:
        raise ValidationError(_("This import has started; its mapping can no longer change."))
    mapping = {header: name for header, name in mapping.items() if name}
    mapping_check(RowSource(job.file_path).headers(), mapping)
    job.mapping, job.channel, job.campaign = mapping, channel, campaign
    job.save(update_fields=["mapping", "channel", "campaign", "updated_at"])
    return job


@transaction.atomic
def import_job_start(*, actor: User | None, job: ImportJob) -> ImportJob:
    """Queue the import (or an interrupted one again) for ``leadflow worker``."""
    from leadflow.core.services import audit_record
    from leadflow.intake.tasks import import_job_run_task

    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status == ImportStatus.DONE:
        raise ValidationError(_("This import is finished."))
    if job.status == ImportStatus.CANCELLED:
        raise ValidationError(_("This import was cancelled."))
    audit_record(actor=actor, action="import.start", obj=job, after={"rows_done": job.rows_done})
    transaction.on_commit(lambda: import_job_run_task.enqueue(job.pk))
    return job
