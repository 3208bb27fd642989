"""Writes of identity resolution: match keys, possible-duplicate pairs, locks."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
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
