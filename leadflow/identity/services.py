"""Writes of identity resolution: match keys, possible-duplicate pairs, locks."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.utils import timezone

from leadflow.identity.matching import Person, blocking_keys, compare, match_level, person_from
from leadflow.identity.models import DuplicatePair, DuplicateStatus, MatchKey

if TYPE_CHECKING:
    from leadflow.leads.models import Lead
    from leadflow.sales.models import Contact

# The person fields a lead's or contact's match keys are built from.
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
def match_keys_refresh(*, lead: Lead | None = None, contact: Contact | None = None) -> None:
    """Re-file a lead or contact under the keys its current fields give."""
    if lead is not None:
        MatchKey.objects.filter(lead=lead).delete()
    else:
        MatchKey.objects.filter(contact=contact).delete()
    MatchKey.objects.bulk_create(match_keys_build(lead=lead, contact=contact))


def identity_lock(keys: Iterable[str]) -> None:
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
        for key in sorted(set(keys)):
            number = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [number - 2**63])


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


def _key_rows_of(
    rows: Iterable[tuple[Any, ...]], *, contacts: bool
) -> list[tuple[str, int | None, int | None]]:
    """(value, lead_id, contact_id) for rows of ("pk", *KEY_FIELDS, "custom")."""
    out: list[tuple[str, int | None, int | None]] = []
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
    from leadflow.core.bulk import BulkTable
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
            keys = _key_rows_of(rows, contacts=contacts)
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
SCAN_BATCH = 2000
_LEAD_COLUMNS = ("pk", "external_id", *KEY_FIELDS, "custom")
_COMMON_KEYS_TABLE = "identity_scan_common_keys"


@dataclass(frozen=True)
class ScanPair:
    lead_a: int
    lead_b: int
    external_id_a: str
    external_id_b: str
    confidence: float
    explanation: dict[str, Any]


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


def _lead_people(ids: list[int]) -> dict[int, tuple[str, Person]]:
    from leadflow.leads.models import Lead

    people: dict[int, tuple[str, Person]] = {}
    for chunk in _chunks(ids):
        for pk, external_id, *values, custom in Lead.objects.filter(pk__in=chunk).values_list(
            *_LEAD_COLUMNS
        ):
            people[pk] = (
                external_id,
                person_from(dict(zip(KEY_FIELDS, values, strict=True)), custom),
            )
    return people


def duplicates_scan(
    *,
    batch_size: int = SCAN_BATCH,
    on_pair: Callable[[ScanPair], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ScanSummary:
    """Compare every lead with the leads that share a match key; queue the possible duplicates.

    Leads are read in id order, ``batch_size`` at a time. A batch's
    candidates come from a self-join of the match keys on their value (each
    pair once: the partner's id is the higher), never from comparing all
    pairs, and key values shared by more than ``MAX_KEY_GROUP`` leads are left
    out. Each candidate pair is scored with :func:`compare`; a pair at the
    possible threshold or above goes into the review queue as an open
    :class:`DuplicatePair` — or, if the queue has it open already, takes the
    new confidence. A pair someone has decided (dismissed, merged) stays as
    it is and is not reported. ``on_pair`` is called with every reported
    pair; memory stays flat whatever the size of the database.
    """
    from leadflow.leads.models import Lead

    summary = ScanSummary()
    quote = connection.ops.quote_name
    keys = quote(MatchKey._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_COMMON_KEYS_TABLE}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {_COMMON_KEYS_TABLE} (value varchar(160) PRIMARY KEY)"
        )
        cursor.execute(
            f"INSERT INTO {_COMMON_KEYS_TABLE} (value) SELECT value FROM {keys} "
            "WHERE lead_id IS NOT NULL GROUP BY value HAVING COUNT(*) > %s",
            [MAX_KEY_GROUP],
        )
        cursor.execute(f"SELECT COUNT(*) FROM {_COMMON_KEYS_TABLE}")
        summary.common_keys = cursor.fetchone()[0]
    candidates_sql = (
        f"SELECT DISTINCT a.lead_id, b.lead_id FROM {keys} a "
        f"JOIN {keys} b ON b.value = a.value AND b.lead_id > a.lead_id "
        "WHERE a.lead_id > %s AND a.lead_id <= %s AND NOT EXISTS "
        f"(SELECT 1 FROM {_COMMON_KEYS_TABLE} c WHERE c.value = a.value)"
    )
    total = Lead.objects.count()
    last = 0
    try:
        while True:
            ids = list(
                Lead.objects.filter(pk__gt=last)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                break
            with connection.cursor() as cursor:
                cursor.execute(candidates_sql, [last, ids[-1]])
                candidates = cursor.fetchall()
            summary.candidates += len(candidates)
            people = _lead_people(sorted({pk for pair in candidates for pk in pair}))
            found: list[ScanPair] = []
            for a, b in candidates:
                if a not in people or b not in people:
                    continue  # deleted meanwhile
                confidence, explanation = compare(people[a][1], people[b][1])
                if match_level(confidence):
                    found.append(
                        ScanPair(a, b, people[a][0], people[b][0], confidence, explanation)
                    )
            reported = _duplicate_pairs_store(found, first=last, last=ids[-1], summary=summary)
            if on_pair is not None:
                for pair in reported:
                    on_pair(pair)
            summary.leads += len(ids)
            last = ids[-1]
            if progress is not None:
                progress(summary.leads, total)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {_COMMON_KEYS_TABLE}")
    return summary


@transaction.atomic
def _duplicate_pairs_store(
    found: list[ScanPair], *, first: int, last: int, summary: ScanSummary
) -> list[ScanPair]:
    """Queue the pairs one scan batch found (leads ``first`` < lead_a ≤ ``last``); the ones to report."""
    if not found:
        return []
    existing = {
        (a, b): (pk, status, confidence)
        for pk, a, b, status, confidence in DuplicatePair.objects.filter(
            lead_a_id__gt=first, lead_a_id__lte=last
        ).values_list("pk", "lead_a_id", "lead_b_id", "status", "confidence")
    }
    new: list[DuplicatePair] = []
    reported: list[ScanPair] = []
    for pair in found:
        known = existing.get((pair.lead_a, pair.lead_b))
        if known is None:
            new.append(
                DuplicatePair(
                    lead_a_id=pair.lead_a,
                    lead_b_id=pair.lead_b,
                    confidence=pair.confidence,
                    explanation=pair.explanation,
                )
            )
        elif known[1] != DuplicateStatus.OPEN:
            continue
        elif known[2] != pair.confidence:
            DuplicatePair.objects.filter(pk=known[0]).update(
                confidence=pair.confidence, explanation=pair.explanation, updated_at=timezone.now()
            )
        reported.append(pair)
    DuplicatePair.objects.bulk_create(new, batch_size=500)
    summary.pairs += len(reported)
    summary.new_pairs += len(new)
    return reported
