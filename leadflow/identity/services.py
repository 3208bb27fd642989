"""Writes of identity resolution: match keys, possible-duplicate pairs, locks."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction

from leadflow.identity.matching import blocking_keys, person_from
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
