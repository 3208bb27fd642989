"""``/api/v1/duplicates``: the possible-duplicates review queue, merge and dismiss.

The queue holds open pairs whose two leads the caller may both view (else
404); merging or dismissing needs the right to change both (else 403).
"""

from __future__ import annotations

from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from leadflow.core.api import page_out, request_user
from leadflow.core.schemas import (
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    InputSchema,
    QuerySchema,
    RecordId,
    RecordRef,
)
from leadflow.identity import selectors, services
from leadflow.identity.matching import match_level
from leadflow.identity.models import DuplicatePair
from leadflow.leads.models import Lead

router = Router(tags=["duplicates"])


class PairLeadOut(Schema):
    id: int
    first_name: str
    last_name: str
    email: str
    phone: str
    company_name: str
    city: str
    postal_code: str
    external_id: str
    owner: int | None
    version: int

    @staticmethod
    def resolve_owner(obj: Lead) -> int | None:
        return obj.owner_id


class PairOut(Schema):
    id: int
    lead_a: PairLeadOut
    lead_b: PairLeadOut
    confidence: float
    level: str
    matched_on: list[str]
    explanation: dict[str, Any]
    status: str

    @staticmethod
    def resolve_level(obj: DuplicatePair) -> str:
        return match_level(obj.confidence)

    @staticmethod
    def resolve_matched_on(obj: DuplicatePair) -> list[str]:
        return sorted(name for name, item in obj.explanation.items() if item.get("weight", 0) > 0)


class PairPage(Schema):
    items: list[PairOut]
    next_cursor: str | None
    previous_cursor: str | None


class PairListQuery(QuerySchema):
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=200)


class MergeIn(InputSchema):
    survivor: RecordRef | None = Field(
        None, description="The lead that stays (one of the pair); the older one by default."
    )
    choices: dict[str, Literal["survivor", "other"]] | None = Field(
        None,
        description=(
            "Per person field, whose value to keep. Fields left out keep the default: "
            "a value beats a blank, and otherwise the more recently changed lead wins."
        ),
    )


class MergeOut(Schema):
    survivor: int
    merged: int
    audit: int


class UnmergeOut(Schema):
    survivor: int
    restored: int


@router.get("", response={200: PairPage, **LIST_ERRORS}, summary="List possible duplicates")
def duplicate_list(request: HttpRequest, query: Query[PairListQuery]) -> dict[str, Any]:
    page = selectors.duplicate_pair_list(
        user=request_user(request), cursor=query.cursor, limit=query.limit
    )
    return page_out(page)


@router.get("/{pair_id}", response={200: PairOut, **READ_ERRORS}, summary="Read a pair")
def duplicate_read(request: HttpRequest, pair_id: RecordId) -> DuplicatePair:
    return selectors.duplicate_pair_get(user=request_user(request), pk=pair_id)


@router.post(
    "/{pair_id}/merge", response={200: MergeOut, **WRITE_ERRORS}, summary="Merge the two leads"
)
def duplicate_merge(request: HttpRequest, pair_id: RecordId, payload: MergeIn) -> dict[str, Any]:
    user = request_user(request)
    pair = selectors.duplicate_pair_get(user=user, pk=pair_id)
    survivor_id = payload.survivor or pair.lead_a_id
    if survivor_id not in (pair.lead_a_id, pair.lead_b_id):
        raise ValidationError({"survivor": _("Name one of the two leads of the pair.")})
    survivor, other = (
        (pair.lead_a, pair.lead_b) if survivor_id == pair.lead_a_id else (pair.lead_b, pair.lead_a)
    )
    choices = {**services.merge_default_choices(survivor, other), **(payload.choices or {})}
    merged_id = other.pk
    lead = services.leads_merge(actor=user, survivor=survivor, other=other, choices=choices)
    audit = selectors.merge_audit_latest(survivor=lead)
    return {"survivor": lead.pk, "merged": merged_id, "audit": audit.pk}


@router.post(
    "/{pair_id}/dismiss",
    response={200: PairOut, **WRITE_ERRORS},
    summary="Not the same person",
)
def duplicate_dismiss(request: HttpRequest, pair_id: RecordId) -> DuplicatePair:
    user = request_user(request)
    pair = selectors.duplicate_pair_get(user=user, pk=pair_id)
    dismissed = services.duplicate_pair_dismiss(actor=user, pair=pair)
    dismissed.lead_a, dismissed.lead_b = pair.lead_a, pair.lead_b
    return dismissed


@router.post(
    "/merges/{audit_id}/unmerge",
    response={200: UnmergeOut, **WRITE_ERRORS},
    summary="Undo a merge from its audit record",
)
def duplicate_unmerge(request: HttpRequest, audit_id: RecordId) -> dict[str, Any]:
    user = request_user(request)
    audit = selectors.merge_audit_get(user=user, pk=audit_id)
    survivor, restored = services.leads_unmerge(actor=user, audit_event=audit)
    return {"survivor": survivor.pk, "restored": restored.pk}
