"""Writes of identity resolution: match keys, possible-duplicate pairs, locks."""

from __future__ import annotations

import itertools
import json
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from leadflow.core.bulk import BulkTable
from leadflow.core.models import AuditEvent, EventKind
from leadflow.core.services import audit_record, event_record, snapshot
from leadflow.identity.matching import (
    Person,
    blocking_keys,
    compare,
    key_kind_codes,
    match_level,
    may_match,
    person_from,
    possible_logit,
    text_hash64,
)
from leadflow.identity.models import DuplicatePair, DuplicateStatus, MatchKey

if TYPE_CHECKING:
    from leadflow.accounts.models import User
    from leadflow.leads.models import Lead
    from leadflow.sales.models import Contact

M = TypeVar("M", bound=models.Model)

# The person fields a lead's or contact's match keys are built from, in the order
# ``person_of`` takes them.
KEY_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "company_name",
    "street",
    "postal_code",
    "city",
)


def record_fields(record: Lead | Contact) -> dict[str, Any]:
    fields = {name: getattr(record, name, "") for name in KEY_FIELDS}
    if not fields["company_name"] and getattr(record, "company_id", None):
        fields["company_name"] = record.company.name  # type: ignore[union-attr]
    return fields


def match_keys_build(*, lead: Lead | None = None, contact: Contact | None = None) -> list[MatchKey]:
    record = lead if lead is not None else contact
    assert record is not None
    person = person_from(record_fields(record), record.custom)
    return [
        MatchKey(value=key, lead=lead, contact=contact) for key in sorted(blocking_keys(person))
    ]


@transaction.atomic
def match_keys_refresh(
    *, lead: Lead | None = None, contact: Contact | None = None, new: bool = False
) -> None:
    """Re-file a lead or contact under the keys its current fields give (``new``: it has none)."""
    if not new:
        owned = Q(lead=lead) if lead is not None else Q(contact=contact)
        MatchKey.objects.filter(owned).delete()
    keys = match_keys_build(lead=lead, contact=contact)
    if keys:
        # Runs for every new lead: one prepared INSERT, cheaper than bulk_create's.
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {MatchKey._meta.db_table} (value, lead_id, contact_id) "
                "VALUES (%s, %s, %s)",
                [(key.value, key.lead_id, key.contact_id) for key in keys],
            )


def identity_lock(keys: Iterable[str | int]) -> None:
    """Serialise intake of the same person across processes, until the transaction ends.

    Two inquiries for one new person that arrive together must not both find
    "no match" and both create a lead. On PostgreSQL each exact key (e-mail,
    phone, name + place) takes a transaction-scoped advisory lock, always in
    the same order so that two inquiries cannot deadlock. SQLite needs
    nothing: Leadflow opens every SQLite transaction with BEGIN IMMEDIATE,
    which already admits one writer at a time.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for number in sorted({lock_number(key) for key in keys}):
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [number])


def lock_number(key: str | int) -> int:
    """The advisory lock of a key: a blocking key's code itself, a hash of any other text."""
    if isinstance(key, int):
        return key
    return text_hash64(key) - 2**63


def duplicate_pair_record(
    *, lead_a: Lead, lead_b: Lead, confidence: float, explanation: dict[str, Any]
) -> DuplicatePair | None:
    """Put two leads in the review queue once; a pair already decided stays decided."""
    if lead_a.pk == lead_b.pk:
        return None
    first, second = sorted((lead_a, lead_b), key=lambda lead: lead.pk)
    pair, created = DuplicatePair.objects.get_or_create(
        lead_a=first,
        lead_b=second,
        defaults={"confidence": confidence, "explanation": explanation},
    )
    if not created and pair.status == DuplicateStatus.OPEN and confidence > pair.confidence:
        pair.confidence = confidence
        pair.explanation = explanation
        pair.save(update_fields=["confidence", "explanation", "updated_at"])
    return pair


# -- match keys in bulk ---------------------------------------------------------

# Leads (or contacts) read, keyed and written per transaction by match_keys_rebuild.
REBUILD_BATCH = 5000


def match_key_rows(
    rows: Iterable[tuple[Any, ...]], *, contacts: bool = False
) -> list[tuple[int, int | None, int | None]]:
    """MatchKey rows (value, lead_id, contact_id) for records as ("pk", *KEY_FIELDS, "custom")."""
    out: list[tuple[int, int | None, int | None]] = []
    for pk, *values, custom in rows:
        person = person_from(dict(zip(KEY_FIELDS, values, strict=True)), custom)
        for key in blocking_keys(person):
            out.append((key, None, pk) if contacts else (key, pk, None))
    return out


def match_keys_rebuild(
    *,
    batch_size: int = REBUILD_BATCH,
    progress: Callable[[str, int, int], None] | None = None,
) -> int:
    """File every lead and contact again under the keys its fields give; returns the keys written.

    For data written without the services (``seed_demo``'s bulk inserts, a
    restore) and after a change to how keys are made (``leadflow dedupe
    reindex``). It streams over the records in id order, ``batch_size`` at a
    time, reading only the columns keys are made of, and writes each batch's
    keys with one prepared INSERT in the same transaction that deletes the
    batch's old keys — a lookup running meanwhile sees a record under its old
    keys or its new ones, never under none. Memory stays flat whatever the
    size of the database.
    """
    from leadflow.leads.models import Lead
    from leadflow.sales.models import Contact

    table = BulkTable(MatchKey, ["value", "lead_id", "contact_id"])
    written = 0
    contact_fields = ("company__name" if name == "company_name" else name for name in KEY_FIELDS)
    sources: list[tuple[str, Any, list[str], bool]] = [
        ("leads", Lead, ["pk", *KEY_FIELDS, "custom"], False),
        ("contacts", Contact, ["pk", *contact_fields, "custom"], True),
    ]
    for label, model, columns, contacts in sources:
        total = model._default_manager.count()
        done = 0
        last = 0
        while True:
            rows = list(
                model._default_manager.filter(pk__gt=last)
                .order_by("pk")
                .values_list(*columns)[:batch_size]
            )
            if not rows:
                break
            last_pk = rows[-1][0]
            keys = match_key_rows(rows, contacts=contacts)
            with transaction.atomic():
                owner = "contact_id" if contacts else "lead_id"
                MatchKey.objects.filter(**{f"{owner}__gt": last, f"{owner}__lte": last_pk}).delete()
                written += table.insert(keys)
            last = last_pk
            done += len(rows)
            if progress is not None:
                progress(label, done, total)
    return written


# -- scanning the whole database for duplicates ----------------------------------

# A key value shared by more leads than this ("l:daniel", a big company with
# the same name everywhere) says too little to compare everyone under it with
# everyone else; the same cap bounds an inquiry's look-up (selectors).
MAX_KEY_GROUP = 200
# Smaller caps for the scan, by kind of key (``KEY_KINDS``). A mailbox name (``l``) is
# there to find one person writing from two domains; shared by more than a handful
# of leads it is a name pattern ("john.smith") of many people, and it gave
# the most candidate pairs of any key while the name keys find the same
# people. (Capping the address key ``a:`` at 50 as well saved a fifth of a
# scan's CPU but lost real duplicates: a typo in the surname of someone at
# a big office changes every other key they share.)
SCAN_KEY_GROUP_CAPS = {"l": 10}
SCAN_BATCH = 2000
_LEAD_COLUMNS = ("pk", "external_id", *KEY_FIELDS, "custom")
_COMMON_KEYS_TABLE = "identity_scan_common_keys"


@dataclass(frozen=True, slots=True)
class ScanPair:
    """A possible-duplicate pair a scan reports (its explanation is in the review queue)."""

    lead_a: int
    lead_b: int
    external_id_a: str
    external_id_b: str
    confidence: float


# The DuplicatePair columns a scan writes, in the order of a scan batch's rows.
_PAIR_COLUMNS = (
    "lead_a_id",
    "lead_b_id",
    "confidence",
    "explanation",
    "status",
    "created_at",
    "updated_at",
)


@dataclass
class _BatchResult:
    """What a worker sends back for one batch: small, because it crosses processes.

    ``rows`` are DuplicatePair rows (``_PAIR_COLUMNS``) with the
    explanation already converted for the database where that pickles (on
    SQLite its JSON text), so the storing process only writes them.
    """

    candidates: int
    rows: list[list[Any]]
    external_ids: list[tuple[str, str]]
    prepared: bool


@dataclass
class ScanSummary:
    leads: int = 0
    candidates: int = 0
    pairs: int = 0
    new_pairs: int = 0
    common_keys: int = 0


def _chunks(values: list[int], size: int = 500) -> Iterator[list[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# People the scan keeps between batches: a lead is the partner of many older
# leads, and building its comparable form again each time was most of a
# scan's work. About 1 KB each.
SCAN_PEOPLE_CACHE = 600_000


def _lead_people(
    ids: list[int], cache: dict[int, tuple[str, Person]] | None = None
) -> dict[int, tuple[str, Person]]:
    """(external id, Person) of the leads ``ids``; read from and added to ``cache`` if given."""
    from leadflow.leads.models import Lead

    people: dict[int, tuple[str, Person]] = {}
    missing: list[int] = []
    if cache is None:
        missing = ids
    else:
        for pk in ids:
            known = cache.get(pk)
            if known is None:
                missing.append(pk)
            else:
                people[pk] = known
    table = connection.ops.quote_name(Lead._meta.db_table)
    # The lead's fields are stored under their own names.
    columns = ", ".join(connection.ops.quote_name(name) for name in ("id", *_LEAD_COLUMNS[1:]))
    with connection.cursor() as cursor:
        for chunk in _chunks(missing):
            # Plain SQL: for the many people a scan reads, the ORM's per-row work counted.
            cursor.execute(
                f"SELECT {columns} FROM {table} WHERE id IN ({', '.join(['%s'] * len(chunk))})",
                chunk,
            )
            for pk, external_id, *values, custom in cursor.fetchall():
                if isinstance(custom, str):
                    custom = json.loads(custom) if custom not in ("", "{}") else {}
                people[pk] = (
                    external_id,
                    person_from(dict(zip(KEY_FIELDS, values, strict=True)), custom),
                )
                if cache is not None:
                    cache[pk] = people[pk]
    return people


def _people_cache_trim(cache: dict[int, tuple[str, Person]], *, done: int, size: int) -> None:
    """Keep ``cache`` within ``size``: first forget leads already scanned, then the farthest ahead."""
    if len(cache) <= size:
        return
    ahead = sorted(pk for pk in cache if pk > done)
    keep = set(ahead[: size * 3 // 4])
    for pk in [pk for pk in cache if pk not in keep]:
        del cache[pk]


# Processes comparing candidate pairs in a scan of a big database (forked;
# the scanning process stores what they find, in lead order). Below
# SCAN_PARALLEL_FROM leads, or inside a transaction the workers could not
# see, the scan runs in one process.
SCAN_WORKERS = 2
SCAN_PARALLEL_FROM = 20_000


@dataclass
class _ScanState:
    """What one scanning process keeps between batches."""

    common_keys: list[int]
    cache_size: int
    needed: float
    cache: dict[int, tuple[str, Person]]


_scan_state: _ScanState | None = None

_CANDIDATES_SQL = (
    "SELECT DISTINCT a.lead_id, b.lead_id FROM {keys} a "
    "JOIN {keys} b ON b.value = a.value AND b.lead_id > a.lead_id "
    "WHERE a.lead_id > %s AND a.lead_id <= %s AND NOT EXISTS "
    "(SELECT 1 FROM {common} c WHERE c.value = a.value)"
)


def _scan_start(common_keys: list[int], cache_size: int, needed: float) -> None:
    """Prepare this process (the scanning one, or a forked worker) to scan batches."""
    global _scan_state
    _scan_state = _ScanState(common_keys, cache_size, needed, {})
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_COMMON_KEYS_TABLE}")
        cursor.execute(f"CREATE TEMPORARY TABLE {_COMMON_KEYS_TABLE} (value bigint PRIMARY KEY)")
        for chunk in range(0, len(common_keys), 500):
            values = common_keys[chunk : chunk + 500]
            cursor.execute(
                f"INSERT INTO {_COMMON_KEYS_TABLE} (value) VALUES "
                + ", ".join(["(%s)"] * len(values)),
                values,
            )


def _scan_worker_start(common_keys: list[int], cache_size: int, needed: float) -> None:
    """``_scan_start`` in a forked worker, which ``SIGTERM`` ends whatever its parent set.

    ``Pool`` stops its workers with ``SIGTERM`` and waits for them: one that
    inherited a handler that does not exit (a server's graceful stop) would
    be waited for forever.
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _scan_start(common_keys, cache_size, needed)


def _scan_end() -> None:
    global _scan_state
    _scan_state = None
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_COMMON_KEYS_TABLE}")


def _scan_batch(bounds: tuple[int, int, int]) -> _BatchResult:
    """Candidates compared and possible duplicates found among leads ``first`` < id ≤ ``last``."""

    first, last, _count = bounds
    state = _scan_state
    assert state is not None, "_scan_start first"
    keys = connection.ops.quote_name(MatchKey._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(_CANDIDATES_SQL.format(keys=keys, common=_COMMON_KEYS_TABLE), [first, last])
        candidates = cursor.fetchall()
    # Pairs someone has decided (dismissed, or merged and undone) stay decided: not compared.
    decided = set(
        DuplicatePair.objects.filter(lead_a_id__gt=first, lead_a_id__lte=last)
        .exclude(status=DuplicateStatus.OPEN)
        .values_list("lead_a_id", "lead_b_id")
    )
    people = _lead_people(sorted({pk for pair in candidates for pk in pair}), state.cache)
    needed = state.needed
    now = timezone.now()
    rows: list[list[Any]] = []
    external_ids: list[tuple[str, str]] = []
    for a, b in candidates:
        known_a, known_b = people.get(a), people.get(b)
        if known_a is None or known_b is None:
            continue  # deleted meanwhile
        if not may_match(known_a[1], known_b[1], needed) or (a, b) in decided:
            continue
        confidence, explanation = compare(known_a[1], known_b[1])
        if match_level(confidence):
            rows.append([a, b, confidence, explanation, DuplicateStatus.OPEN.value, now, now])
            external_ids.append((known_a[0], known_b[0]))
    _people_cache_trim(state.cache, done=last, size=state.cache_size)
    # psycopg's JSON wrappers do not pickle: on PostgreSQL the storing process converts.
    prepared = connection.vendor == "sqlite"
    if prepared and rows:
        rows = BulkTable(DuplicatePair, _PAIR_COLUMNS).prepare(rows)  # type: ignore[assignment]
    return _BatchResult(len(candidates), rows, external_ids, prepared)


def _scan_batches(batch_size: int) -> list[tuple[int, int, int]]:
    """(after id, up to id, leads) of each batch, in id order; the last one open-ended."""
    from leadflow.leads.models import Lead

    bounds: list[tuple[int, int, int]] = []
    first = previous = 0
    count = 0
    for pk in Lead.objects.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=20000):
        count += 1
        previous = pk
        if count == batch_size:
            bounds.append((first, pk, count))
            first, count = pk, 0
    if count:
        bounds.append((first, previous, count))
    if bounds:
        # Leads added while the scan runs are scanned in the last batch.
        bounds[-1] = (bounds[-1][0], 2**62, bounds[-1][2])
    return bounds


def duplicates_scan(
    *,
    batch_size: int = SCAN_BATCH,
    on_pair: Callable[[ScanPair], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
    cache_size: int = SCAN_PEOPLE_CACHE,
    workers: int | None = None,
) -> ScanSummary:
    """Compare every lead with the leads that share a match key; queue the possible duplicates.

    Leads are read in id order, ``batch_size`` at a time. A batch's
    candidates come from a self-join of the match keys on their value (each
    pair once: the partner's id is the higher), never from comparing all
    pairs, and key values shared by more than ``MAX_KEY_GROUP`` leads are left
    out. Each candidate pair is scored with :func:`compare` (most of them
    only as far as :func:`may_match` needs to rule them out); a pair at the
    possible threshold or above goes into the review queue as an open
    :class:`DuplicatePair` — or, if the queue has it open already, takes the
    new confidence. A pair someone has decided (dismissed, merged) stays as
    it is and is not reported. ``on_pair`` is called with every reported
    pair, in lead order.

    ``workers`` processes (default ``SCAN_WORKERS`` for a big database, else
    one) score the batches, each keeping up to ``cache_size / workers``
    people between batches; this process stores the pairs. Memory stays
    bounded whatever the size of the database.
    """
    summary = ScanSummary()
    common_keys = _common_keys()
    summary.common_keys = len(common_keys)
    bounds = _scan_batches(batch_size)
    total = sum(count for _first, _last, count in bounds)
    if workers is None:
        workers = SCAN_WORKERS if total >= SCAN_PARALLEL_FROM else 1
    if connection.in_atomic_block:
        workers = 1  # forked workers would not see this transaction's leads

    # A hair below the threshold: compare rounds its confidence.
    needed = possible_logit() - 0.01

    table = BulkTable(DuplicatePair, _PAIR_COLUMNS)

    def collect(results: Iterable[_BatchResult]) -> None:
        for (first, last, count), result in zip(bounds, results, strict=True):
            summary.candidates += result.candidates
            reported = _duplicate_pairs_store(
                table, result, first=first, last=last, summary=summary
            )
            if on_pair is not None:
                for pair in reported:
                    on_pair(pair)
            summary.leads += count
            if progress is not None:
                progress(summary.leads, total)

    if workers <= 1:
        _scan_start(common_keys, cache_size, needed)
        try:
            collect(map(_scan_batch, bounds))
        finally:
            _scan_end()
        return summary
    import multiprocessing

    # Each worker opens its own connection.
    connection.close()
    context = multiprocessing.get_context("fork")
    with context.Pool(
        workers,
        initializer=_scan_worker_start,
        initargs=(common_keys, cache_size // workers, needed),
    ) as pool:
        collect(_in_order(pool, bounds, ahead=workers * 2))
    return summary


def _common_keys() -> list[int]:
    """Key values shared by too many leads for the scan (``MAX_KEY_GROUP``, ``SCAN_KEY_GROUP_CAPS``)."""
    keys = connection.ops.quote_name(MatchKey._meta.db_table)
    caps = " ".join(
        "WHEN value BETWEEN {:d} AND {:d} THEN {:d}".format(*key_kind_codes(kind), cap)
        for kind, cap in SCAN_KEY_GROUP_CAPS.items()
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT value FROM {keys} WHERE lead_id IS NOT NULL GROUP BY value "
            f"HAVING COUNT(*) > CASE {caps} ELSE %s END",
            [MAX_KEY_GROUP],
        )
        return [row[0] for row in cursor.fetchall()]


def _in_order(
    pool: Any, bounds: list[tuple[int, int, int]], *, ahead: int
) -> Iterator[_BatchResult]:
    """The workers' results batch by batch, with at most ``ahead`` batches handed out.

    Handing out every batch at once would let results the storing process
    has not caught up with pile up in its memory.
    """
    waiting = iter(bounds)
    running: deque[Any] = deque(
        pool.apply_async(_scan_batch, (batch,)) for batch in itertools.islice(waiting, ahead)
    )
    while running:
        result = running.popleft().get()
        following = next(waiting, None)
        if following is not None:
            running.append(pool.apply_async(_scan_batch, (following,)))
        yield result


@transaction.atomic
def _duplicate_pairs_store(
    table: BulkTable, result: _BatchResult, *, first: int, last: int, summary: ScanSummary
) -> list[ScanPair]:
    """Queue the pairs one scan batch found (leads ``first`` < lead_a ≤ ``last``); the ones to report.

    New pairs are written with one prepared INSERT; an open pair already in
    the queue takes the new confidence; a decided one is left alone.
    """
    if not result.rows:
        return []
    rows = result.rows if result.prepared else table.prepare(result.rows)
    existing = {
        (a, b): (pk, status, confidence)
        for pk, a, b, status, confidence in DuplicatePair.objects.filter(
            lead_a_id__gt=first, lead_a_id__lte=last
        ).values_list("pk", "lead_a_id", "lead_b_id", "status", "confidence")
    }
    new: list[Sequence[Any]] = []
    changed: list[tuple[Any, ...]] = []
    reported: list[ScanPair] = []
    for row, (external_a, external_b) in zip(rows, result.external_ids, strict=True):
        lead_a, lead_b, confidence, explanation, _status, _created, updated = row
        known = existing.get((lead_a, lead_b))
        if known is None:
            new.append(row)
        elif known[1] != DuplicateStatus.OPEN:
            continue
        elif known[2] != confidence:
            changed.append((confidence, explanation, updated, known[0]))
        reported.append(ScanPair(lead_a, lead_b, external_a, external_b, confidence))
    table.insert(new, prepared=True)
    if changed:
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {quote(DuplicatePair._meta.db_table)} SET confidence = %s, "
                "explanation = %s, updated_at = %s WHERE id = %s",
                changed,
            )
    summary.pairs += len(reported)
    summary.new_pairs += len(new)
    return reported


# -- merging two leads, and undoing it -------------------------------------------

# Person fields a merge chooses between, one by one.
MERGE_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "company_name",
    "job_title",
    "street",
    "city",
    "postal_code",
    "region",
    "country",
    "language",
    "purchase_timeframe",
    "external_id",
)
MERGE_AUDIT_ACTION = "lead.merge"
UNMERGE_AUDIT_ACTION = "lead.unmerge"
# Relations whose rows are not history to keep but derived from the lead:
# match keys and score details are recomputed, possible-duplicate pairs are
# saved in the audit record and deleted with the merged lead.
_DERIVED_RELATIONS = {"identity.matchkey", "identity.duplicatepair", "scoring.leadscore"}


def _lead_relations() -> list[tuple[type[models.Model], str]]:
    """(model, foreign key name) of every row that points at a lead and is its history."""
    from leadflow.leads.models import Lead

    relations: list[tuple[type[models.Model], str]] = []
    # Hidden ones too: a contact's ``source_lead`` has no reverse accessor.
    for relation in Lead._meta.get_fields(include_hidden=True):
        if not (relation.auto_created and not relation.concrete):
            continue
        model = relation.related_model
        if not isinstance(model, type) or not issubclass(model, models.Model):
            continue
        if model._meta.label_lower in _DERIVED_RELATIONS:
            continue
        if relation.one_to_many or relation.one_to_one:
            relations.append((model, relation.field.name))  # type: ignore[union-attr]
    return relations


def merge_default_choices(survivor: Lead, other: Lead) -> dict[str, str]:
    """Per differing field, which lead's value a merge keeps unless told otherwise.

    A value beats a blank; between two values the lead changed more recently wins.
    """
    newer = "other" if other.updated_at > survivor.updated_at else "survivor"
    choices = {}
    for name in MERGE_FIELDS:
        mine, theirs = getattr(survivor, name), getattr(other, name)
        if mine == theirs:
            continue
        choices[name] = "other" if not mine else "survivor" if not theirs else newer
    return choices


def _lock_both(actor: User | None, first_pk: int, second_pk: int) -> dict[int, Lead]:
    """Both leads, locked in id order; PermissionDenied unless ``actor`` may change both."""
    from leadflow.leads.models import Lead

    queryset = Lead.objects.all() if actor is None else Lead.objects.visible_to(actor, "change")
    locked = {
        lead.pk: lead
        for lead in queryset.select_for_update(of=("self",))
        .filter(pk__in=[first_pk, second_pk])
        .order_by("pk")
    }
    if len(locked) != 2:
        raise PermissionDenied(_("You may merge only leads you may change."))
    return locked


@transaction.atomic
def leads_merge(
    *, actor: User | None, survivor: Lead, other: Lead, choices: dict[str, str]
) -> Lead:
    """Merge ``other`` into ``survivor``: one card for one person, nothing lost.

    ``choices`` names, per person field, whose value the survivor keeps
    ("survivor" or "other"); fields not named keep the survivor's value.
    Custom attributes are united (the survivor's value wins a conflict).
    Every inquiry, activity, event, deal and other row that pointed at
    ``other`` now points at the survivor. The other lead is then deleted;
    the audit record (action ``lead.merge``) holds both leads as they were,
    the ids of the rows moved and the possible-duplicate pairs deleted with
    it, which is all :func:`leads_unmerge` needs to bring it back with its
    own id. The actor must be allowed to change both leads.
    """
    from leadflow.leads.models import LeadStatus
    from leadflow.leads.services import lead_check_reachable
    from leadflow.scoring.services import lead_score_refresh

    if survivor.pk == other.pk:
        raise ValidationError(_("A lead cannot be merged with itself."))
    locked = _lock_both(actor, survivor.pk, other.pk)
    survivor, other = locked[survivor.pk], locked[other.pk]
    errors = {
        name: _("Choose “survivor” or “other”.")
        for name, side in choices.items()
        if side not in ("survivor", "other")
    }
    errors |= {
        name: _("Not a field a merge chooses.") for name in choices if name not in MERGE_FIELDS
    }
    if errors:
        raise ValidationError(errors)
    if other.status == LeadStatus.CONVERTED:
        raise ValidationError(
            _("The other lead was converted; merge the other way round, into the converted lead.")
        )

    before: dict[str, Any] = {
        "survivor": {"id": survivor.pk, **snapshot(survivor)},
        "other": {"id": other.pk, **snapshot(other)},
    }
    taken = sorted(name for name, side in choices.items() if side == "other")
    for name in taken:
        setattr(survivor, name, getattr(other, name))
    survivor.custom = {**other.custom, **survivor.custom}
    lead_check_reachable({name: getattr(survivor, name) for name in MERGE_FIELDS})

    moved: dict[str, list[int]] = {}
    # One-to-one rows (a first-response deadline) the survivor has already:
    # the other lead's are kept in the audit record and deleted with it.
    kept_rows: dict[str, list[dict[str, Any]]] = {}
    for model, field_name in _lead_relations():
        label = f"{model._meta.label_lower}.{field_name}"
        rows = model._base_manager.filter(**{field_name: other.pk})
        if (
            model._meta.get_field(field_name).one_to_one
            and model._base_manager.filter(**{field_name: survivor.pk}).exists()
        ):
            kept_rows[label] = [{"id": row.pk, **snapshot(row)} for row in rows]
            continue
        ids = list(rows.values_list("pk", flat=True))
        if ids:
            moved[label] = ids
            model._base_manager.filter(pk__in=ids).update(**{field_name: survivor.pk})
    pairs = [
        {
            "id": pair.pk,
            "lead_a": pair.lead_a_id,
            "lead_b": pair.lead_b_id,
            "confidence": pair.confidence,
            "explanation": pair.explanation,
            "status": pair.status,
            "created_at": pair.created_at.isoformat(),
        }
        for pair in DuplicatePair.objects.filter(
            models.Q(lead_a_id=other.pk) | models.Q(lead_b_id=other.pk)
        )
    ]
    before["moved"] = moved
    before["kept_rows"] = kept_rows
    before["pairs"] = pairs
    other_repr = str(other)
    other.delete()

    survivor.version += 1
    survivor.save()
    audit = audit_record(
        actor=actor,
        action=MERGE_AUDIT_ACTION,
        obj=survivor,
        before=before,
        after=snapshot(survivor),
    )
    event_record(
        kind=EventKind.MERGED,
        actor=actor,
        lead=survivor,
        from_value=before["other"]["id"],
        to_value=survivor.pk,
        data={
            "other": before["other"]["id"],
            "other_name": other_repr,
            "fields_from_other": taken,
            "rows_moved": {name: len(ids) for name, ids in moved.items()},
            "audit": audit.pk,
        },
    )
    match_keys_refresh(lead=survivor)
    return lead_score_refresh(lead=survivor)


def _restored_row(model: type[M], state: dict[str, Any]) -> M:
    """An unsaved row with the id and field values of an audit snapshot."""
    row = model(pk=state["id"])
    for field in model._meta.concrete_fields:
        if field.attname in state and not field.primary_key:
            setattr(row, field.attname, field.to_python(state[field.attname]))
    return row


def _restored_lead(state: dict[str, Any]) -> Lead:
    from leadflow.leads.models import Lead

    return _restored_row(Lead, state)


@transaction.atomic
def leads_unmerge(*, actor: User | None, audit_event: AuditEvent) -> tuple[Lead, Lead]:
    """Undo a merge from its audit record; returns (survivor, the lead brought back).

    The merged-away lead comes back with its own id and every field it had;
    the rows that were moved from it (inquiries, activities, events, …) go
    back to it — those still pointing at the survivor; rows written since
    the merge stay with the survivor. Fields the survivor took from it return
    to the survivor's old value unless someone has changed them since. Its
    possible-duplicate pairs return too, except the pair of the two leads,
    which is now dismissed: someone has decided they are two people.
    """
    from leadflow.leads.models import Lead
    from leadflow.scoring.services import lead_score_refresh

    if audit_event.action != MERGE_AUDIT_ACTION or not isinstance(audit_event.before, dict):
        raise ValidationError(_("This audit record is not a merge."))
    before = audit_event.before
    kept, gone = before["survivor"], before["other"]
    if Lead.objects.filter(pk=gone["id"]).exists():
        raise ValidationError(_("This merge has been undone already."))
    queryset = Lead.objects.all() if actor is None else Lead.objects.visible_to(actor, "change")
    try:
        survivor = queryset.select_for_update(of=("self",)).get(pk=kept["id"])
    except Lead.DoesNotExist:
        raise PermissionDenied(_("You may undo only merges into a lead you may change.")) from None

    other = _restored_lead(gone)
    created_at, updated_at = other.created_at, other.updated_at
    other.save(force_insert=True)
    # auto_now(_add) stamped the re-inserted row with "now"; it keeps its own dates.
    Lead.objects.filter(pk=other.pk).update(created_at=created_at, updated_at=updated_at)
    other.created_at, other.updated_at = created_at, updated_at
    relations = {
        f"{model._meta.label_lower}.{name}": (model, name) for model, name in _lead_relations()
    }
    for key, ids in before.get("moved", {}).items():
        if key not in relations:
            continue
        model, field_name = relations[key]
        model._base_manager.filter(pk__in=ids, **{field_name: survivor.pk}).update(
            **{field_name: other.pk}
        )

    for key, states in before.get("kept_rows", {}).items():
        if key in relations:
            for state in states:
                _restored_row(relations[key][0], state).save(force_insert=True)

    merged_state = audit_event.after or {}
    restored = []
    for name in MERGE_FIELDS:
        if kept.get(name) != merged_state.get(name) and getattr(survivor, name) == merged_state.get(
            name
        ):
            setattr(survivor, name, kept.get(name))
            restored.append(name)
    if survivor.custom == merged_state.get("custom"):
        survivor.custom = kept.get("custom", {})
    survivor.version += 1
    survivor.save()

    for pair in before.get("pairs", []):
        if Lead.objects.filter(pk__in=[pair["lead_a"], pair["lead_b"]]).count() != 2:
            continue
        status = pair["status"]
        if {pair["lead_a"], pair["lead_b"]} == {survivor.pk, other.pk}:
            status = DuplicateStatus.DISMISSED
        DuplicatePair.objects.update_or_create(
            lead_a_id=pair["lead_a"],
            lead_b_id=pair["lead_b"],
            defaults={
                "confidence": pair["confidence"],
                "explanation": pair["explanation"],
                "status": status,
            },
        )
    pair = DuplicatePair.objects.filter(
        lead_a_id=min(survivor.pk, other.pk), lead_b_id=max(survivor.pk, other.pk)
    ).first()
    if pair is None:
        DuplicatePair.objects.create(
            lead_a_id=min(survivor.pk, other.pk),
            lead_b_id=max(survivor.pk, other.pk),
            confidence=0.0,
            status=DuplicateStatus.DISMISSED,
        )

    audit_record(
        actor=actor,
        action=UNMERGE_AUDIT_ACTION,
        obj=survivor,
        before={"merge_audit": audit_event.pk},
        after={"restored": other.pk, "fields_restored": restored},
    )
    data = {"merge_audit": audit_event.pk, "survivor": survivor.pk, "restored": other.pk}
    event_record(kind=EventKind.UNMERGED, actor=actor, lead=survivor, to_value=other.pk, data=data)
    event_record(kind=EventKind.UNMERGED, actor=actor, lead=other, to_value=other.pk, data=data)
    match_keys_refresh(lead=survivor)
    match_keys_refresh(lead=other)
    return lead_score_refresh(lead=survivor), lead_score_refresh(lead=other)


@transaction.atomic
def duplicate_pair_dismiss(*, actor: User | None, pair: DuplicatePair) -> DuplicatePair:
    """“Not the same person”: the pair leaves the queue, and later scans leave it out."""
    _lock_both(actor, pair.lead_a_id, pair.lead_b_id)
    pair = DuplicatePair.objects.select_for_update().get(pk=pair.pk)
    if pair.status != DuplicateStatus.OPEN:
        raise ValidationError(_("This pair has been decided already."))
    pair.status = DuplicateStatus.DISMISSED
    pair.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="duplicatepair.dismiss",
        obj=pair,
        before={"status": DuplicateStatus.OPEN},
        after={"status": pair.status},
    )
    return pair
