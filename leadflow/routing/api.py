"""``/api/v1/routing``: rules and first-response targets (heads of sales and admins), queues.

Rules and targets are the organisation's settings: anyone else gets 403.
``/routing/queue`` is the caller's own open leads, first contacts due soonest
first; ``/routing/unassigned``, ``/routing/breaches`` and ``/routing/load``
are the head of sales' view (scoped as every lead read is).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from leadflow.accounts.models import Team, User
from leadflow.core.api import active_user, page_out, request_user
from leadflow.core.schemas import (
    CREATE_ERRORS,
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    ErrorOut,
    RecordId,
)
from leadflow.intake.models import Campaign, Channel
from leadflow.routing import selectors, services
from leadflow.routing.models import RoutingRule
from leadflow.routing.schemas import (
    BreachList,
    LoadList,
    QueuePage,
    QueueQuery,
    RouteWaiting,
    RouteWaitingOut,
    RuleCreate,
    RuleList,
    RuleMove,
    RuleOut,
    RuleUpdate,
    TargetList,
    TargetOut,
    TargetSet,
)

router = Router(tags=["routing"])

RELATION_FIELDS = {"team", "person", "pool", "channels", "campaigns"}

MANAGE_ERRORS: dict[int, Any] = {**LIST_ERRORS, 403: ErrorOut}


def _team(pk: int | None) -> Team | None:
    if pk is None:
        return None
    team = Team.objects.filter(pk=pk).first()
    if team is None:
        raise ValidationError({"team": _("There is no team with id %(id)s.") % {"id": pk}})
    return team


def _users(ids: list[int], field: str) -> list[User]:
    users = [active_user(pk, field=field) for pk in ids]
    return [user for user in users if user is not None]


def _by_slug(model: type[Channel] | type[Campaign], slugs: list[str], field: str) -> list[Any]:
    found = {row.slug: row for row in model.objects.filter(slug__in=slugs)}
    missing = [slug for slug in slugs if slug not in found]
    if missing:
        raise ValidationError({field: _("Unknown: %(slugs)s.") % {"slugs": ", ".join(missing)}})
    return [found[slug] for slug in dict.fromkeys(slugs)]


def _relations(payload: RuleCreate | RuleUpdate, sent: set[str]) -> dict[str, Any]:
    """The body's ids and slugs as rows, for the fields that were sent."""
    fields: dict[str, Any] = {}
    if "team" in sent:
        fields["team"] = _team(payload.team)
    if "person" in sent:
        fields["person"] = active_user(payload.person, field="person")
    if "pool" in sent:
        fields["pool"] = _users(payload.pool, "pool")
    if "channels" in sent:
        fields["channels"] = _by_slug(Channel, payload.channels, "channels")
    if "campaigns" in sent:
        fields["campaigns"] = _by_slug(Campaign, payload.campaigns, "campaigns")
    return fields


@router.get("/rules", response={200: RuleList, **MANAGE_ERRORS}, summary="Routing rules, in order")
def rule_list(request: HttpRequest) -> dict[str, Any]:
    return {"items": selectors.routing_rule_list(user=request_user(request))}


@router.post("/rules", response={201: RuleOut, **CREATE_ERRORS}, summary="Add a routing rule")
def rule_create(request: HttpRequest, payload: RuleCreate) -> Status[RoutingRule]:
    services.routing_manager_check(request_user(request))
    fields = _relations(payload, RELATION_FIELDS)
    conditions = payload.model_dump(exclude={"name", "strategy", *RELATION_FIELDS})
    rule = services.routing_rule_create(
        actor=request_user(request),
        name=payload.name,
        strategy=payload.strategy,
        **fields,
        **conditions,
    )
    return Status(201, selectors.routing_rule_get(user=request_user(request), pk=rule.pk))


@router.get("/rules/{rule_id}", response={200: RuleOut, **READ_ERRORS, 403: ErrorOut})
def rule_detail(request: HttpRequest, rule_id: RecordId) -> RoutingRule:
    """One routing rule."""
    return selectors.routing_rule_get(user=request_user(request), pk=rule_id)


@router.patch("/rules/{rule_id}", response={200: RuleOut, **WRITE_ERRORS}, summary="Edit a rule")
def rule_update(request: HttpRequest, rule_id: RecordId, payload: RuleUpdate) -> RoutingRule:
    user = request_user(request)
    rule = selectors.routing_rule_get(user=user, pk=rule_id)
    sent = set(payload.model_fields_set) - {"version"}
    fields = _relations(payload, sent)
    fields.update({name: getattr(payload, name) for name in sent - RELATION_FIELDS})
    services.routing_rule_update(actor=user, rule=rule, version=payload.version, **fields)
    return selectors.routing_rule_get(user=user, pk=rule_id)


@router.delete(
    "/rules/{rule_id}", response={204: None, **WRITE_ERRORS}, summary="Delete a routing rule"
)
def rule_delete(request: HttpRequest, rule_id: RecordId) -> Status[None]:
    user = request_user(request)
    services.routing_rule_delete(actor=user, rule=selectors.routing_rule_get(user=user, pk=rule_id))
    return Status(204, None)


@router.post(
    "/rules/{rule_id}/move",
    response={200: RuleList, **WRITE_ERRORS},
    summary="Move a rule up (tried earlier) or down",
)
def rule_move(request: HttpRequest, rule_id: RecordId, payload: RuleMove) -> dict[str, Any]:
    user = request_user(request)
    rule = selectors.routing_rule_get(user=user, pk=rule_id)
    services.routing_rule_move(actor=user, rule=rule, direction=payload.direction)
    return {"items": selectors.routing_rule_list(user=user)}


@router.get("/targets", response={200: TargetList, **LIST_ERRORS}, summary="First-response targets")
def target_list(request: HttpRequest) -> dict[str, Any]:
    return {"items": selectors.response_targets()}


@router.patch(
    "/targets/{temperature}",
    response={200: TargetOut, **WRITE_ERRORS},
    summary="Set the first-response target of a temperature",
)
def target_set(request: HttpRequest, temperature: str, payload: TargetSet) -> dict[str, Any]:
    current = {item["temperature"]: item for item in selectors.response_targets()}.get(
        temperature, {"minutes": 0, "business_days": 0}
    )
    target = services.response_target_set(
        actor=request_user(request),
        temperature=temperature,
        minutes=current["minutes"] if payload.minutes is None else payload.minutes,
        business_days=(
            current["business_days"] if payload.business_days is None else payload.business_days
        ),
    )
    return {
        "temperature": target.temperature,
        "minutes": target.minutes,
        "business_days": target.business_days,
    }


@router.get(
    "/queue",
    response={200: QueuePage, **LIST_ERRORS},
    summary="My open leads: first contacts due soonest first, then by score",
)
def queue(request: HttpRequest, query: Query[QueueQuery]) -> dict[str, Any]:
    page = selectors.rep_queue(user=request_user(request), cursor=query.cursor, limit=query.limit)
    return page_out(page)


@router.get(
    "/unassigned",
    response={200: QueuePage, **LIST_ERRORS},
    summary="Open leads nobody owns that I may see, oldest first",
)
def unassigned(request: HttpRequest, query: Query[QueueQuery]) -> dict[str, Any]:
    page = selectors.unassigned_leads(
        user=request_user(request), cursor=query.cursor, limit=query.limit
    )
    return page_out(page)


@router.post(
    "/unassigned/route",
    response={200: RouteWaitingOut, **CREATE_ERRORS},
    summary="Route the waiting leads again by the rules (heads of sales and admins)",
)
def unassigned_route(request: HttpRequest, payload: RouteWaiting) -> dict[str, Any]:
    report = services.leads_route_waiting(actor=request_user(request), lead_ids=payload.lead_ids)
    return {
        "assigned": report.assigned,
        "still_waiting": report.still_waiting,
        "first_tasks": report.first_tasks,
    }


@router.get(
    "/breaches",
    response={200: BreachList, **LIST_ERRORS},
    summary="Late first contacts not yet made, longest overdue first",
)
def breaches(request: HttpRequest) -> dict[str, Any]:
    return {"items": selectors.sla_breaches(user=request_user(request))}


@router.get(
    "/load",
    response={200: LoadList, **MANAGE_ERRORS},
    summary="Each rep's open leads against capacity (head of sales: their team)",
)
def load(request: HttpRequest) -> dict[str, Any]:
    return {
        "items": [
            {
                "user": row.user.pk,
                "username": row.user.username,
                "name": str(row.user),
                "team": row.user.team.name if row.user.team else None,
                "tier": row.user.tier,
                "available": row.user.is_available,
                "open_leads": row.open_leads,
                "capacity": row.capacity,
                "first_contacts_due": row.first_contacts_due,
                "breached": row.breached,
            }
            for row in selectors.rep_loads(user=request_user(request))
        ]
    }
