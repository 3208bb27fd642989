"""Reads of leads; every one starts from the permission-scoped queryset."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import QuerySet

from leadflow.core.models import Event
from leadflow.core.pagination import Page, keyset_paginate
from leadflow.core.permissions import Action
from leadflow.core.rows import RowReader
from leadflow.core.selectors import check_ordering, choice_filter, owner_q, person_search_q
from leadflow.leads.models import FunnelClass, Lead, LeadStatus, Temperature

if TYPE_CHECKING:
    from leadflow.accounts.models import User

LEAD_ORDERING_FIELDS = ("created_at", "last_name", "score")

_LEAD_WITH_OWNER = RowReader(Lead, 't."id" = %s', related=["owner"])


def lead_with_owner(pk: int) -> Lead | None:
    """A lead and its owner in one prepared look-up, for system work (triage, intake).

    Not scoped by permission: never show its result to a user as it is.
    """
    return _LEAD_WITH_OWNER.first(pk)


@dataclass(frozen=True)
class LeadFilters:
    status: str = ""
    owner: str = ""
    channel: str = ""
    campaign: str = ""
    temperature: str = ""
    funnel_class: str = ""
    q: str = ""


def lead_get(*, user: User, pk: Any, action: Action = "view") -> Lead:
    """The lead if ``user`` may ``action`` it; ``Lead.DoesNotExist`` (a 404) otherwise."""
    return (
        Lead.objects.visible_to(user, action)
        .select_related("owner", "team", "channel", "campaign", "contact", "deal")
        .get(pk=pk)
    )


def lead_list(
    *,
    user: User,
    filters: LeadFilters = LeadFilters(),
    ordering: str = "-created_at",
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Lead]:
    queryset: QuerySet[Lead] = Lead.objects.visible_to(user).select_related(
        "owner", "channel", "campaign"
    )
    queryset = choice_filter(queryset, "status", filters.status, LeadStatus.values)
    queryset = choice_filter(queryset, "temperature", filters.temperature, Temperature.values)
    queryset = choice_filter(queryset, "funnel_class", filters.funnel_class, FunnelClass.values)
    queryset = queryset.filter(owner_q(filters.owner, user))
    if filters.channel:
        queryset = queryset.filter(channel__slug=filters.channel)
    if filters.campaign:
        queryset = queryset.filter(campaign__slug=filters.campaign)
    if filters.q:
        queryset = queryset.filter(
            person_search_q(filters.q, region=settings.LEADFLOW_DEFAULT_REGION)
        )
    ordering = check_ordering(ordering, LEAD_ORDERING_FIELDS)
    return keyset_paginate(queryset, ordering=ordering, cursor=cursor, limit=limit)


def lead_events(*, lead: Lead) -> list[Event]:
    """The lead's history, oldest first (the caller has checked the lead is visible)."""
    return list(lead.events.select_related("actor").order_by("occurred_at", "pk"))


def lead_timeline(*, lead: Lead) -> list[Any]:
    """Events and activities of a lead, newest first, for the card's timeline."""
    events = lead.events.select_related("actor").order_by("-occurred_at")[:200]
    activities = lead.activities.select_related("owner").order_by("-created_at")[:200]

    def when(item: Any) -> Any:
        return getattr(item, "occurred_at", None) or item.done_at or item.created_at

    return sorted(chain(events, activities), key=when, reverse=True)
