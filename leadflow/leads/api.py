"""``/api/v1/leads``: list, create, read, edit and work leads.

Reads use ``lead_get(action="view")``; writes ``lead_get(action="change")``
(see leadflow/core/api.py for what 403 and 404 mean). A lead created here by
a sales rep is theirs; anyone else's waits unassigned in the queue.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from leadflow.accounts.models import User
from leadflow.core.api import active_user, get_for_change, page_out, request_user
from leadflow.core.schemas import (
    CREATE_ERRORS,
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    EventList,
    RecordId,
    Versioned,
)
from leadflow.intake.selectors import campaign_by_slug, channel_by_slug
from leadflow.leads import selectors, services
from leadflow.leads.models import Lead
from leadflow.leads.schemas import (
    ConversionOut,
    LeadAssign,
    LeadConvert,
    LeadCreate,
    LeadListQuery,
    LeadOut,
    LeadPage,
    LeadPostpone,
    LeadQualify,
    LeadReject,
    LeadUpdate,
)
from leadflow.sales.models import Pipeline
from leadflow.sales.services import lead_convert

router = Router(tags=["leads"])


def _change(request: HttpRequest, lead_id: int) -> tuple[User, Lead]:
    user = request_user(request)
    return user, get_for_change(selectors.lead_get, user=user, pk=lead_id)


@router.get("", response={200: LeadPage, **LIST_ERRORS}, summary="List leads")
def lead_list(request: HttpRequest, query: Query[LeadListQuery]) -> dict[str, Any]:
    filters = selectors.LeadFilters(
        status=query.status,
        owner=query.owner,
        channel=query.channel,
        campaign=query.campaign,
        temperature=query.temperature,
        funnel_class=query.funnel_class,
        q=query.q,
    )
    page = selectors.lead_list(
        user=request_user(request),
        filters=filters,
        ordering=query.ordering,
        cursor=query.cursor,
        limit=query.limit,
    )
    return page_out(page)


@router.post("", response={201: LeadOut, **CREATE_ERRORS}, summary="Create a lead")
def lead_create(request: HttpRequest, payload: LeadCreate) -> Status[Lead]:
    user = request_user(request)
    fields = payload.model_dump(exclude_unset=True, exclude={"channel", "campaign", "custom"})
    lead = services.lead_create(
        actor=user,
        channel=channel_by_slug(payload.channel),
        campaign=campaign_by_slug(payload.campaign),
        custom=payload.custom,
        owner=user if user.is_sales_rep else None,
        **fields,
    )
    return Status(201, lead)


@router.get("/{lead_id}", response={200: LeadOut, **READ_ERRORS}, summary="Read a lead")
def lead_detail(request: HttpRequest, lead_id: RecordId) -> Lead:
    return selectors.lead_get(user=request_user(request), pk=lead_id)


@router.patch("/{lead_id}", response={200: LeadOut, **WRITE_ERRORS}, summary="Edit a lead")
def lead_update(request: HttpRequest, lead_id: RecordId, payload: LeadUpdate) -> Lead:
    user, lead = _change(request, lead_id)
    fields = payload.model_dump(exclude_unset=True, exclude={"version", "campaign", "custom"})
    if "campaign" in payload.model_fields_set:
        fields["campaign"] = campaign_by_slug(payload.campaign)
    if "custom" in payload.model_fields_set:
        fields["custom"] = payload.custom or {}
    return services.lead_update(actor=user, lead=lead, version=payload.version, **fields)


@router.get(
    "/{lead_id}/events", response={200: EventList, **READ_ERRORS}, summary="A lead's history"
)
def lead_events(request: HttpRequest, lead_id: RecordId) -> dict[str, Any]:
    lead = selectors.lead_get(user=request_user(request), pk=lead_id)
    return {"items": selectors.lead_events(lead=lead)}


@router.post(
    "/{lead_id}/assign", response={200: LeadOut, **WRITE_ERRORS}, summary="Give a lead an owner"
)
def lead_assign(request: HttpRequest, lead_id: RecordId, payload: LeadAssign) -> Lead:
    user, lead = _change(request, lead_id)
    return services.lead_assign(
        actor=user,
        lead=lead,
        owner=active_user(payload.owner),
        reason=payload.reason,
        version=payload.version,
    )


@router.post("/{lead_id}/reject", response={200: LeadOut, **WRITE_ERRORS}, summary="Reject a lead")
def lead_reject(request: HttpRequest, lead_id: RecordId, payload: LeadReject) -> Lead:
    user, lead = _change(request, lead_id)
    return services.lead_reject(
        actor=user, lead=lead, reason=payload.reason, version=payload.version
    )


@router.post(
    "/{lead_id}/qualify",
    response={200: LeadOut, **WRITE_ERRORS},
    summary="Set a lead's temperature, funnel class or origin class by hand",
)
def lead_qualify(request: HttpRequest, lead_id: RecordId, payload: LeadQualify) -> Lead:
    user, lead = _change(request, lead_id)
    return services.lead_qualify(
        actor=user,
        lead=lead,
        temperature=payload.temperature,
        funnel_class=payload.funnel_class,
        origin_class=payload.origin_class,
        reason=payload.reason,
        version=payload.version,
    )


@router.post(
    "/{lead_id}/postpone", response={200: LeadOut, **WRITE_ERRORS}, summary="Postpone a lead"
)
def lead_postpone(request: HttpRequest, lead_id: RecordId, payload: LeadPostpone) -> Lead:
    user, lead = _change(request, lead_id)
    return services.lead_postpone(
        actor=user, lead=lead, until=payload.until, reason=payload.reason, version=payload.version
    )


@router.post(
    "/{lead_id}/reopen",
    response={200: LeadOut, **WRITE_ERRORS},
    summary="Bring a rejected or postponed lead back to work",
)
def lead_reopen(request: HttpRequest, lead_id: RecordId, payload: Versioned | None = None) -> Lead:
    user, lead = _change(request, lead_id)
    return services.lead_reopen(actor=user, lead=lead, version=payload.version if payload else None)


@router.post(
    "/{lead_id}/convert",
    response={200: ConversionOut, **WRITE_ERRORS},
    summary="Convert a lead into a contact (+ company, + deal)",
)
def lead_convert_view(
    request: HttpRequest, lead_id: RecordId, payload: LeadConvert | None = None
) -> dict[str, Any]:
    user, lead = _change(request, lead_id)
    payload = payload or LeadConvert()
    pipeline = None
    if payload.pipeline:
        pipeline = Pipeline.objects.filter(slug=payload.pipeline, is_active=True).first()
        if pipeline is None:
            raise ValidationError(
                {
                    "pipeline": _("There is no active pipeline “%(slug)s”.")
                    % {"slug": payload.pipeline}
                }
            )
    conversion = lead_convert(
        actor=user,
        lead=lead,
        owner=active_user(payload.owner),
        create_deal=payload.create_deal,
        deal_title=payload.deal_title,
        amount=payload.amount,
        pipeline=pipeline,
        version=payload.version,
    )
    return {
        "lead_id": conversion.lead.pk,
        "contact_id": conversion.contact.pk,
        "company_id": conversion.company.pk if conversion.company else None,
        "deal_id": conversion.deal.pk if conversion.deal else None,
        "contact_created": conversion.contact_created,
        "company_created": conversion.company_created,
    }
