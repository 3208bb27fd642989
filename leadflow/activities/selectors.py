"""Reads of activities and notifications, from the permission-scoped querysets."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import F, QuerySet

from leadflow.activities.models import Activity, ActivityKind, Notification
from leadflow.core.pagination import Page, keyset_paginate
from leadflow.core.permissions import Action
from leadflow.core.selectors import check_ordering, choice_filter, owner_q

if TYPE_CHECKING:
    from leadflow.accounts.models import User

ACTIVITY_ORDERING_FIELDS = ("created_at", "due_at")


def activity_get(*, user: User, pk: Any, action: Action = "view") -> Activity:
    return (
        Activity.objects.visible_to(user, action)
        .select_related("owner", "lead", "contact", "deal")
        .get(pk=pk)
    )


def activity_list(
    *,
    user: User,
    owner: str = "",
    kind: str = "",
    done: bool | None = None,
    lead: int | None = None,
    contact: int | None = None,
    deal: int | None = None,
    ordering: str = "-created_at",
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Activity]:
    queryset: QuerySet[Activity] = Activity.objects.visible_to(user).select_related(
        "owner", "lead", "contact", "deal"
    )
    queryset = choice_filter(queryset, "kind", kind, ActivityKind.values)
    queryset = queryset.filter(owner_q(owner, user))
    if done is not None:
        queryset = queryset.filter(done_at__isnull=not done)
    for field, value in (("lead_id", lead), ("contact_id", contact), ("deal_id", deal)):
        if value is not None:
            queryset = queryset.filter(**{field: value})
    ordering = check_ordering(ordering, ACTIVITY_ORDERING_FIELDS)
    return keyset_paginate(queryset, ordering=ordering, cursor=cursor, limit=limit)


def my_tasks(*, user: User, limit: int = 200) -> list[Activity]:
    """The user's planned, not yet done activities: overdue first, then by due time."""
    return list(
        Activity.objects.visible_to(user)
        .filter(owner=user, done_at__isnull=True)
        .select_related("lead", "contact", "deal")
        .order_by(F("due_at").asc(nulls_last=True), "pk")[:limit]
    )


def unread_notifications(*, user: User, limit: int = 20) -> list[Notification]:
    return list(Notification.objects.filter(user=user, read_at__isnull=True)[:limit])


def unread_notification_count(*, user: User) -> int:
    """How many notifications the user has not read (an index range on (user, read_at))."""
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
