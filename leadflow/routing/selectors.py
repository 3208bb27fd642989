"""Reads for routing: the rules, a rep's queue, and the head of sales' view.

The queue and the head of sales' lists start from the permission-scoped lead
queryset, so each person sees exactly the leads they may see anywhere else.
Rules are organisation settings: only heads of sales and admins read them.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, Count, DateTimeField, F, Q, QuerySet, Value, When
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from leadflow.accounts.models import Role, User
from leadflow.core.pagination import Page, keyset_paginate
from leadflow.leads.models import OPEN_LEAD_STATUSES, Lead
from leadflow.routing.models import FirstResponse, ResponseTarget, RoutingRule
from leadflow.routing.services import can_manage_routing
from leadflow.routing.sla import default_targets

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser


def _check_manager(user: User | AnonymousUser) -> None:
    if not user.is_authenticated or not can_manage_routing(user):
        raise PermissionDenied(_("Only the head of sales or an admin can see the routing rules."))


def routing_rules_in_order(*, user: User) -> QuerySet[RoutingRule]:
    """Every rule in the order they are tried (inactive ones too), for paging."""
    _check_manager(user)
    return (
        RoutingRule.objects.select_related("team", "person")
        .prefetch_related("channels", "campaigns", "pool")
        .order_by("position", "id")
    )


def routing_rule_list(*, user: User) -> list[RoutingRule]:
    """Every rule in the order they are tried (inactive ones too)."""
    return list(routing_rules_in_order(user=user))


def routing_rule_place(*, rule: RoutingRule) -> int:
    """How many rules are tried before this one (its 0-based place in the order)."""
    return RoutingRule.objects.filter(
        Q(position__lt=rule.position) | Q(position=rule.position, id__lt=rule.pk)
    ).count()


def routing_rule_get(*, user: User, pk: Any) -> RoutingRule:
    """One rule; 403 for those who may not manage routing, ``DoesNotExist`` if there is none."""
    _check_manager(user)
    return (
        RoutingRule.objects.select_related("team", "person")
        .prefetch_related("channels", "campaigns", "pool")
        .get(pk=pk)
    )


def response_targets() -> list[dict[str, Any]]:
    """The first-response target of each temperature, as set or by default."""
    set_rows = {row.temperature: row for row in ResponseTarget.objects.all()}
    out = []
    for temperature, default in default_targets().items():
        row = set_rows.get(temperature)
        out.append(
            {
                "temperature": temperature,
                "minutes": row.minutes if row else default.minutes,
                "business_days": row.business_days if row else default.business_days,
            }
        )
    return out


# --- A rep's queue ---------------------------------------------------------------


def _response_due() -> Case:
    """The first task's due time while it is still open, else null."""
    return Case(
        When(
            first_response__isnull=False,
            first_response__met_at__isnull=True,
            first_response__task__isnull=False,
            first_response__task__done_at__isnull=True,
            then=F("first_response__due_at"),
        ),
        default=Value(None),
        output_field=DateTimeField(),
    )


def _queue_cursor(row: Lead) -> str:
    due = row.response_due_at  # type: ignore[attr-defined]
    raw = json.dumps(
        {"d": due.isoformat() if due else None, "s": row.score, "id": row.pk},
        separators=(",", ":"),
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _queue_after(cursor: str) -> Q:
    """The rows after the cursor in (due time, nulls last; score, high first; id) order."""
    try:
        data = json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
        due_text, score, pk = data["d"], data["s"], data["id"]
        if type(score) is not int or type(pk) is not int or not 0 < pk < 2**63:
            raise ValueError
        due = parse_datetime(due_text) if due_text is not None else None
        if due_text is not None and due is None:
            raise ValueError
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise ValidationError(
            {"cursor": _("This page cursor is not valid; start from the first page.")}
        ) from exc
    same_score_later = Q(score__lt=score) | Q(score=score, pk__gt=pk)
    if due is None:
        return Q(response_due_at__isnull=True) & same_score_later
    return (
        Q(response_due_at__gt=due)
        | (Q(response_due_at=due) & same_score_later)
        | Q(response_due_at__isnull=True)
    )


def rep_queue(*, user: User, cursor: str | None = None, limit: int = 50) -> Page[Lead]:
    """The user's open leads: first contacts due soonest first, then by score.

    Leads whose first task is done (or that have none) follow, best score
    first. Pages go forward from a cursor; a rep's open leads are bounded by
    their capacity, so the first pages are what matters.
    """
    queryset: QuerySet[Lead] = (
        Lead.objects.visible_to(user)
        .filter(owner_id=user.pk, status__in=OPEN_LEAD_STATUSES)
        .select_related("channel", "first_response")
        .annotate(response_due_at=_response_due())
    )
    if cursor:
        queryset = queryset.filter(_queue_after(cursor))
    rows = list(
        queryset.order_by(F("response_due_at").asc(nulls_last=True), "-score", "pk")[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, _queue_cursor(rows[-1]) if more and rows else None, None)


# --- The head of sales' view ----------------------------------------------------------


def unassigned_leads(*, user: User, cursor: str | None = None, limit: int = 50) -> Page[Lead]:
    """Open leads nobody owns that the user may see (the queue and their team's pool), oldest first."""
    queryset = (
        Lead.objects.visible_to(user)
        .filter(owner__isnull=True, status__in=OPEN_LEAD_STATUSES)
        .select_related("channel", "team", "first_response")
        .annotate(response_due_at=_response_due())
    )
    return keyset_paginate(queryset, ordering="created_at", cursor=cursor, limit=limit)


def sla_breaches(*, user: User, limit: int = 100) -> list[FirstResponse]:
    """Late first contacts still not made, on leads the user may see, longest overdue first."""
    visible = Lead.objects.visible_to(user).filter(status__in=OPEN_LEAD_STATUSES)
    return list(
        FirstResponse.objects.filter(
            breached_at__isnull=False,
            met_at__isnull=True,
            task__done_at__isnull=True,
            lead__in=visible.values("pk"),
        )
        .select_related("lead", "lead__owner", "lead__team", "task", "rule")
        .order_by("due_at", "pk")[:limit]
    )


@dataclass(frozen=True)
class RepLoad:
    user: User
    open_leads: int
    first_contacts_due: int
    breached: int

    @property
    def capacity(self) -> int:
        return int(self.user.capacity)

    @property
    def percent(self) -> int:
        return round(100 * self.open_leads / self.capacity) if self.capacity else 100

    @property
    def at_capacity(self) -> bool:
        return self.open_leads >= self.capacity


def rep_loads(*, user: User) -> list[RepLoad]:
    """Each rep's open leads against capacity (their team's for a head of sales, all for admin)."""
    if not (user.is_admin or user.is_head_of_sales):
        raise PermissionDenied(_("Only the head of sales or an admin can see everyone's load."))
    reps = User.objects.filter(role=Role.SALES_REP, is_active=True).select_related("team")
    if not user.is_admin:
        reps = reps.filter(team_id=user.team_id) if user.team_id else reps.none()
    reps_list = list(reps.order_by("team__name", "first_name", "username"))
    ids = [rep.pk for rep in reps_list]
    open_counts = dict(
        Lead.objects.filter(owner_id__in=ids, status__in=OPEN_LEAD_STATUSES)
        .order_by()
        .values_list("owner_id")
        .annotate(n=Count("id"))
        .values_list("owner_id", "n")
    )
    pending = (
        FirstResponse.objects.filter(
            lead__owner_id__in=ids,
            met_at__isnull=True,
            task__done_at__isnull=True,
            lead__status__in=OPEN_LEAD_STATUSES,
        )
        .order_by()
        .values("lead__owner_id")
        .annotate(
            due=Count("id", filter=Q(breached_at__isnull=True)),
            breached=Count("id", filter=Q(breached_at__isnull=False)),
        )
    )
    by_owner = {row["lead__owner_id"]: row for row in pending}
    return [
        RepLoad(
            rep,
            open_counts.get(rep.pk, 0),
            by_owner.get(rep.pk, {}).get("due", 0),
            by_owner.get(rep.pk, {}).get("breached", 0),
        )
        for rep in reps_list
    ]
