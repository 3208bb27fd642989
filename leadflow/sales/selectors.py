"""Reads of companies, contacts, deals and pipelines, from the permission-scoped querysets."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet

from leadflow.core.models import Event
from leadflow.core.pagination import Page, keyset_paginate
from leadflow.core.permissions import Action
from leadflow.core.selectors import check_ordering, choice_filter, owner_q, person_search_q
from leadflow.sales.models import Company, Contact, Deal, DealStatus, Pipeline, Stage

if TYPE_CHECKING:
    from leadflow.accounts.models import User

CONTACT_ORDERING_FIELDS = ("created_at", "last_name")
COMPANY_ORDERING_FIELDS = ("created_at", "name")
DEAL_ORDERING_FIELDS = ("created_at", "amount", "expected_close_on")


def company_get(*, user: User, pk: Any, action: Action = "view") -> Company:
    return Company.objects.visible_to(user, action).select_related("owner").get(pk=pk)


def company_list(
    *,
    user: User,
    q: str = "",
    owner: str = "",
    ordering: str = "name",
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Company]:
    queryset: QuerySet[Company] = Company.objects.visible_to(user).select_related("owner")
    queryset = queryset.filter(owner_q(owner, user))
    if q.strip():
        queryset = queryset.filter(Q(name__icontains=q.strip()) | Q(domain__icontains=q.strip()))
    ordering = check_ordering(ordering, COMPANY_ORDERING_FIELDS)
    return keyset_paginate(queryset, ordering=ordering, cursor=cursor, limit=limit)


def contact_get(*, user: User, pk: Any, action: Action = "view") -> Contact:
    return (
        Contact.objects.visible_to(user, action)
        .select_related("owner", "company", "source_lead")
        .get(pk=pk)
    )


def contact_list(
    *,
    user: User,
    q: str = "",
    owner: str = "",
    company: int | None = None,
    ordering: str = "last_name",
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Contact]:
    queryset: QuerySet[Contact] = Contact.objects.visible_to(user).select_related(
        "owner", "company"
    )
    queryset = queryset.filter(owner_q(owner, user))
    if company is not None:
        queryset = queryset.filter(company_id=company)
    if q:
        queryset = queryset.filter(
            person_search_q(
                q, region=settings.LEADFLOW_DEFAULT_REGION, company_field="company__name"
            )
        )
    ordering = check_ordering(ordering, CONTACT_ORDERING_FIELDS)
    return keyset_paginate(queryset, ordering=ordering, cursor=cursor, limit=limit)


@dataclass(frozen=True)
class DealFilters:
    status: str = ""
    owner: str = ""
    pipeline: str = ""
    stage: str = ""
    q: str = ""
    contact: int | None = None
    company: int | None = None


def deal_get(*, user: User, pk: Any, action: Action = "view") -> Deal:
    return (
        Deal.objects.visible_to(user, action)
        .select_related("owner", "pipeline", "stage", "contact", "company", "lead")
        .get(pk=pk)
    )


def deal_list(
    *,
    user: User,
    filters: DealFilters = DealFilters(),
    ordering: str = "-created_at",
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Deal]:
    queryset: QuerySet[Deal] = Deal.objects.visible_to(user).select_related(
        "owner", "pipeline", "stage", "contact", "company"
    )
    queryset = choice_filter(queryset, "status", filters.status, DealStatus.values)
    queryset = queryset.filter(owner_q(filters.owner, user))
    if filters.pipeline:
        queryset = queryset.filter(pipeline__slug=filters.pipeline)
    if filters.stage:
        stage_q = Q(stage__slug=filters.stage)
        if filters.stage.isascii() and filters.stage.isdigit() and len(filters.stage) <= 18:
            stage_q |= Q(stage_id=int(filters.stage))
        queryset = queryset.filter(stage_q)
    if filters.q:
        queryset = queryset.filter(
            Q(title__icontains=filters.q) | Q(company__name__icontains=filters.q)
        )
    if filters.contact is not None:
        queryset = queryset.filter(contact_id=filters.contact)
    if filters.company is not None:
        queryset = queryset.filter(company_id=filters.company)
    ordering = check_ordering(ordering, DEAL_ORDERING_FIELDS)
    return keyset_paginate(queryset, ordering=ordering, cursor=cursor, limit=limit)


def pipeline_list() -> list[Pipeline]:
    """Pipelines with their stages in order (shared configuration, visible to every user)."""
    return list(
        Pipeline.objects.filter(is_active=True).prefetch_related(
            Prefetch("stages", queryset=Stage.objects.order_by("order"))
        )
    )


def pipeline_board(
    *, user: User, pipeline: Pipeline, per_stage: int = 100
) -> list[tuple[Stage, list[Deal]]]:
    """The kanban: each open stage with the open deals the user may see, oldest in stage first."""
    stages = list(pipeline.stages.filter(kind="open").order_by("order"))
    deals = (
        Deal.objects.visible_to(user)
        .filter(pipeline=pipeline, status=DealStatus.OPEN)
        .select_related("owner", "company", "contact")
        .order_by("stage_entered_at", "pk")
    )
    by_stage: dict[int, list[Deal]] = {stage.pk: [] for stage in stages}
    for deal in deals[: per_stage * max(len(stages), 1)]:
        column = by_stage.get(deal.stage_id)
        if column is not None and len(column) < per_stage:
            column.append(deal)
    return [(stage, by_stage[stage.pk]) for stage in stages]


def pipeline_get(*, slug: str) -> Pipeline:
    """One pipeline by slug, with its stages in order; ``Pipeline.DoesNotExist`` if none."""
    return Pipeline.objects.prefetch_related(
        Prefetch("stages", queryset=Stage.objects.order_by("order"))
    ).get(slug=slug)


def contact_events(*, contact: Contact) -> list[Event]:
    """The contact's history, oldest first (the caller has checked the contact is visible)."""
    return list(contact.events.select_related("actor").order_by("occurred_at", "pk"))


def deal_events(*, deal: Deal) -> list[Event]:
    """The deal's history, oldest first (the caller has checked the deal is visible)."""
    return list(deal.events.select_related("actor").order_by("occurred_at", "pk"))


def deal_timeline(*, deal: Deal) -> list[Any]:
    """Events and activities of a deal, newest first (the caller has checked it is visible)."""
    events = deal.events.select_related("actor").order_by("-occurred_at")[:200]
    activities = deal.activities.select_related("owner").order_by("-created_at")[:200]

    def when(item: Any) -> Any:
        return getattr(item, "occurred_at", None) or item.done_at or item.created_at

    return sorted(chain(events, activities), key=when, reverse=True)


def deals_changeable_by(*, user: User, deal_ids: list[int]) -> set[int]:
    """Which of these deals ``user`` may change (one query, the same rule as every write)."""
    if not deal_ids:
        return set()
    return set(
        Deal.objects.visible_to(user, "change").filter(pk__in=deal_ids).values_list("pk", flat=True)
    )
