"""``/api/v1/activities``: calls, meetings, tasks and the rest.

Reads use ``activity_get(action="view")``, writes ``action="change"`` (see
leadflow/core/api.py for what 403 and 404 mean). The lead, contact or deal an
activity is about must be one the caller may view (else 404). A new activity
belongs to the caller unless an admin or head of sales names an ``owner``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from leadflow.activities import selectors, services
from leadflow.activities.models import Activity
from leadflow.activities.schemas import (
    ActivityComplete,
    ActivityCreate,
    ActivityListQuery,
    ActivityOut,
    ActivityPage,
    ActivityUpdate,
)
from leadflow.core.api import get_for_change, get_linked, new_record_owner, page_out, request_user
from leadflow.core.schemas import CREATE_ERRORS, LIST_ERRORS, READ_ERRORS, WRITE_ERRORS, RecordId
from leadflow.leads.selectors import lead_get
from leadflow.sales.selectors import contact_get, deal_get

router = Router(tags=["activities"])


@router.get("", response={200: ActivityPage, **LIST_ERRORS}, summary="List activities")
def activity_list(request: HttpRequest, query: Query[ActivityListQuery]) -> dict[str, Any]:
    return page_out(
        selectors.activity_list(
            user=request_user(request),
            owner=query.owner,
            kind=query.kind,
            done=query.done,
            lead=query.lead,
            contact=query.contact,
            deal=query.deal,
            ordering=query.ordering,
            cursor=query.cursor,
            limit=query.limit,
        )
    )


@router.post("", response={201: ActivityOut, **CREATE_ERRORS}, summary="Plan or log an activity")
def activity_create(request: HttpRequest, payload: ActivityCreate) -> Status[Activity]:
    user = request_user(request)
    activity = services.activity_create(
        actor=user,
        kind=payload.kind,
        subject=payload.subject,
        body=payload.body,
        lead=get_linked(lead_get, user=user, pk=payload.lead, field="lead"),
        contact=get_linked(contact_get, user=user, pk=payload.contact, field="contact"),
        deal=get_linked(deal_get, user=user, pk=payload.deal, field="deal"),
        owner=new_record_owner(user, payload.owner),
        due_at=payload.due_at,
        done_at=payload.done_at,
        outcome=payload.outcome,
    )
    return Status(201, activity)


@router.get(
    "/{activity_id}", response={200: ActivityOut, **READ_ERRORS}, summary="Read an activity"
)
def activity_detail(request: HttpRequest, activity_id: RecordId) -> Activity:
    return selectors.activity_get(user=request_user(request), pk=activity_id)


@router.patch(
    "/{activity_id}", response={200: ActivityOut, **WRITE_ERRORS}, summary="Edit an activity"
)
def activity_update(
    request: HttpRequest, activity_id: RecordId, payload: ActivityUpdate
) -> Activity:
    user = request_user(request)
    activity = get_for_change(selectors.activity_get, user=user, pk=activity_id)
    fields = payload.model_dump(exclude_unset=True, exclude={"version"})
    return services.activity_update(
        actor=user, activity=activity, version=payload.version, **fields
    )


@router.post(
    "/{activity_id}/complete",
    response={200: ActivityOut, **WRITE_ERRORS},
    summary="Mark a planned activity done",
)
def activity_complete(
    request: HttpRequest, activity_id: RecordId, payload: ActivityComplete | None = None
) -> Activity:
    user = request_user(request)
    payload = payload or ActivityComplete()
    activity = get_for_change(selectors.activity_get, user=user, pk=activity_id)
    return services.activity_complete(
        actor=user, activity=activity, outcome=payload.outcome, version=payload.version
    )


@router.delete("/{activity_id}", response={204: None, **WRITE_ERRORS}, summary="Delete an activity")
def activity_delete(request: HttpRequest, activity_id: RecordId) -> Status[None]:
    user = request_user(request)
    activity = get_for_change(selectors.activity_get, user=user, pk=activity_id)
    services.activity_delete(actor=user, activity=activity)
    return Status(204, None)
