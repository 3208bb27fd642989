"""Reads of identity resolution: who, among known leads and contacts, is this person?"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import QuerySet

from leadflow.core.models import AuditEvent
from leadflow.core.pagination import Page, keyset_paginate
from leadflow.identity.matching import (
    Match,
    Person,
    blocking_keys,
    compare,
    match_level,
    person_from,
)
from leadflow.identity.models import DuplicatePair, DuplicateStatus, MatchKey
from leadflow.identity.services import KEY_FIELDS, MERGE_AUDIT_ACTION, record_fields

if TYPE_CHECKING:
    from leadflow.accounts.models import User
    from leadflow.leads.models import Lead

# A key shared by more records than this (a very common name in one big
# city) is too vague to compare everyone under it; the other keys still work.
MAX_CANDIDATES_PER_LOOKUP = 200


def match_candidates(person: Person, *, exclude_lead_id: int | None = None) -> list[Match]:
    """Known leads and contacts that may be ``person``, best first, above the possible threshold.

    Not scoped by permission: intake must recognise a person whoever owns
    their card. Callers show results to users only through scoped querysets.
    """
    from leadflow.leads.models import Lead
    from leadflow.sales.models import Contact

    keys = sorted(blocking_keys(person))
    if not keys:
        return []
    # Runs for every inquiry: plain SQL, cheaper than building the two querysets.
    quote = connection.ops.quote_name
    in_list = ", ".join(["%s"] * len(keys))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT lead_id, contact_id FROM {MatchKey._meta.db_table} "
            f"WHERE value IN ({in_list}) LIMIT {MAX_CANDIDATES_PER_LOOKUP}",
            keys,
        )
        rows = cursor.fetchall()
        lead_ids = sorted(
            {lead_id for lead_id, _ in rows if lead_id and lead_id != exclude_lead_id}
        )
        persons: list[tuple[Person, int | None, int | None]] = []
        if lead_ids:
            cursor.execute(
                "SELECT id, custom, {} FROM {} WHERE id IN ({}) ORDER BY id".format(
                    ", ".join(quote(name) for name in KEY_FIELDS),
                    Lead._meta.db_table,
                    ", ".join(["%s"] * len(lead_ids)),
                ),
                lead_ids,
            )
            for pk, custom, *values in cursor.fetchall():
                if isinstance(custom, str | bytes):  # text on SQLite, decoded on PostgreSQL
                    custom = json.loads(custom)
                persons.append(
                    (person_from(dict(zip(KEY_FIELDS, values, strict=True)), custom), pk, None)
                )
    contact_ids = {contact_id for _, contact_id in rows if contact_id}
    if contact_ids:
        for contact in Contact.objects.filter(pk__in=contact_ids).select_related("company"):
            persons.append((person_from(record_fields(contact), contact.custom), None, contact.pk))
    matches: list[Match] = []
    for candidate, lead_id, contact_id in persons:
        confidence, explanation = compare(person, candidate)
        if not match_level(confidence):
            continue
        matches.append(
            Match(
                lead_id=lead_id,
                contact_id=contact_id,
                confidence=confidence,
                explanation=explanation,
            )
        )
    matches.sort(key=lambda match: (-match.confidence, match.contact_id is None))
    return matches


# The two look-ups below run on every inquiry: plain SQL, cheaper than building the query.


def match_key_mark() -> int:
    """The newest match key's id: ``match_keys_added`` tells later what came since."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {MatchKey._meta.db_table}")
        (mark,) = cursor.fetchone()
    return mark or 0


def match_keys_added(keys: Iterable[int], *, since: int) -> bool:
    """Whether a record gained one of ``keys`` after ``match_key_mark()`` returned ``since``."""
    keys = list(keys)
    if not keys:
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {MatchKey._meta.db_table} WHERE id > %s "
            f"AND value IN ({', '.join(['%s'] * len(keys))}) LIMIT 1",
            [since, *keys],
        )
        return cursor.fetchone() is not None


def duplicate_pairs_visible(user: User) -> QuerySet[DuplicatePair]:
    """Open pairs of the review queue whose two leads ``user`` may both see."""
    from leadflow.leads.models import Lead

    visible = Lead.objects.visible_to(user, "view").values("pk")
    return DuplicatePair.objects.filter(
        status=DuplicateStatus.OPEN, lead_a__in=visible, lead_b__in=visible
    ).select_related("lead_a", "lead_b", "lead_a__owner", "lead_b__owner")


def duplicate_pair_list(
    *, user: User, cursor: str | None = None, limit: int = 50
) -> Page[DuplicatePair]:
    """The review queue, most likely duplicates first (keyset pages)."""
    return keyset_paginate(
        duplicate_pairs_visible(user), ordering="-confidence", cursor=cursor, limit=limit
    )


def duplicate_pair_get(*, user: User, pk: Any) -> DuplicatePair:
    """An open pair whose leads ``user`` may both see; ``DuplicatePair.DoesNotExist`` (404) otherwise."""
    return duplicate_pairs_visible(user).get(pk=pk)


def merge_audit_list(*, user: User, limit: int = 20) -> list[AuditEvent]:
    """Recent merges into leads ``user`` may change whose other lead is still merged away."""
    from leadflow.leads.models import Lead

    audits = AuditEvent.objects.filter(
        action=MERGE_AUDIT_ACTION, object_type="leads.lead"
    ).order_by("-occurred_at", "-pk")
    result: list[AuditEvent] = []
    scope = Lead.objects.visible_to(user, "change")
    for audit in audits[: limit * 5]:
        before = audit.before or {}
        gone = before.get("other", {}).get("id")
        if gone is None or Lead.objects.filter(pk=gone).exists():
            continue
        if scope.filter(pk=audit.object_id).exists():
            result.append(audit)
        if len(result) >= limit:
            break
    return result


def merge_audit_get(*, user: User, pk: Any) -> AuditEvent:
    """A merge's audit record if ``user`` may change the surviving lead; DoesNotExist otherwise."""
    from leadflow.leads.models import Lead

    audit = AuditEvent.objects.get(pk=pk, action=MERGE_AUDIT_ACTION, object_type="leads.lead")
    if not Lead.objects.visible_to(user, "view").filter(pk=audit.object_id).exists():
        raise AuditEvent.DoesNotExist
    return audit


def merge_audit_latest(*, survivor: Lead) -> AuditEvent:
    """The audit record of the latest merge into ``survivor``."""
    return AuditEvent.objects.filter(
        action=MERGE_AUDIT_ACTION, object_type="leads.lead", object_id=str(survivor.pk)
    ).latest("pk")
