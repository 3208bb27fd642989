"""Reads of identity resolution: who, among known leads and contacts, is this person?"""

from __future__ import annotations

from typing import Any

from leadflow.identity.matching import (
    Match,
    Person,
    blocking_keys,
    compare,
    match_level,
    person_from,
)
from leadflow.identity.models import MatchKey
from leadflow.identity.services import record_fields

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

    keys = blocking_keys(person)
    if not keys:
        return []
    rows = list(
        MatchKey.objects.filter(value__in=keys).values_list("lead_id", "contact_id")[
            :MAX_CANDIDATES_PER_LOOKUP
        ]
    )
    lead_ids = {lead_id for lead_id, _ in rows if lead_id and lead_id != exclude_lead_id}
    contact_ids = {contact_id for _, contact_id in rows if contact_id}
    matches: list[Match] = []
    records: list[Any] = []
    if lead_ids:
        records += list(Lead.objects.filter(pk__in=lead_ids))
    if contact_ids:
        records += list(Contact.objects.filter(pk__in=contact_ids).select_related("company"))
    for record in records:
        confidence, explanation = compare(person, person_from(record_fields(record), record.custom))
        if not match_level(confidence):
            continue
        is_lead = isinstance(record, Lead)
        matches.append(
            Match(
                lead_id=record.pk if is_lead else None,
                contact_id=None if is_lead else record.pk,
                confidence=confidence,
                explanation=explanation,
            )
        )
    matches.sort(key=lambda match: (-match.confidence, match.contact_id is None))
    return matches
