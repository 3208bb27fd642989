"""``/api/v1/companies``, ``/contacts``, ``/deals`` and ``/pipelines``.

Reads use the selectors' ``*_get(action="view")``, writes
``*_get(action="change")`` (see leadflow/core/api.py for what 403 and 404
mean). Companies, contacts and deals created here belong to the caller unless
the body names an ``owner``; only admins and heads of sales may name someone
else (403). Marketers see deal amounts only on their own deals: ``amount`` is
null on the others, and they may not order deals by amount.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from leadflow.accounts.models import User
from leadflow.core.api import (
    active_user,
    get_for_change,
    get_linked,
    new_record_owner,
    page_out,
    request_user,
)
from leadflow.core.permissions import can_see_deal_amount
from leadflow.core.schemas import (
    CREATE_ERRORS,
    LIST_ERRORS,
    MAX_ID,
    READ_ERRORS,
    WRITE_ERRORS,
    ErrorOut,
    EventList,
    RecordId,
    Slug,
)
from leadflow.leads.selectors import lead_get
from leadflow.sales import selectors, services
from leadflow.sales.models import Company, Contact, Deal, Pipeline, Stage
from leadflow.sales.schemas import (
    CompanyCreate,
    CompanyListQuery,
    CompanyOut,
    CompanyPage,
    CompanyUpdate,
    ContactCreate,
    ContactListQuery,
    ContactOut,
    ContactPage,
    ContactUpdate,
    DealAssign,
    DealCreate,
    DealListQuery,
    DealLose,
    DealMove,
    DealOut,
    DealPage,
    DealUpdate,
    DealWin,
    PipelineList,
    PipelineOut,
)

companies_router = Router(tags=["companies"])
contacts_router = Router(tags=["contacts"])
deals_router = Router(tags=["deals"])
pipelines_router = Router(tags=["pipelines"])


# --- Companies ------------------------------------------------------------------


@companies_router.get("", response={200: CompanyPage, **LIST_ERRORS}, summary="List companies")
def company_list(request: HttpRequest, query: Query[CompanyListQuery]) -> dict[str, Any]:
    return page_out(
        selectors.company_list(
            user=request_user(request),
            q=query.q,
            owner=query.owner,
            ordering=query.ordering,
            cursor=query.cursor,
            limit=query.limit,
        )
    )


@companies_router.post("", response={201: CompanyOut, **CREATE_ERRORS}, summary="Create a company")
def company_create(request: HttpRequest, payload: CompanyCreate) -> Status[Company]:
    user = request_user(request)
    fields = payload.model_dump(exclude_unset=True, exclude={"owner"})
    company = services.company_create(
        actor=user, owner=new_record_owner(user, payload.owner), **fields
    )
    return Status(201, company)


@companies_router.get(
    "/{company_id}", response={200: CompanyOut, **READ_ERRORS}, summary="Read a company"
)
def company_detail(request: HttpRequest, company_id: RecordId) -> Company:
    return selectors.company_get(user=request_user(request), pk=company_id)


@companies_router.patch(
    "/{company_id}", response={200: CompanyOut, **WRITE_ERRORS}, summary="Edit a company"
)
def company_update(request: HttpRequest, company_id: RecordId, payload: CompanyUpdate) -> Company:
    user = request_user(request)
    company = get_for_change(selectors.company_get, user=user, pk=company_id)
    fields = payload.model_dump(exclude_unset=True, exclude={"version"})
    return services.company_update(actor=user, company=company, version=payload.version, **fields)


# --- Contacts -------------------------------------------------------------------


@contacts_router.get("", response={200: ContactPage, **LIST_ERRORS}, summary="List contacts")
def contact_list(request: HttpRequest, query: Query[ContactListQuery]) -> dict[str, Any]:
    return page_out(
        selectors.contact_list(
            user=request_user(request),
            q=query.q,
            owner=query.owner,
            company=query.company,
            ordering=query.ordering,
            cursor=query.cursor,
            limit=query.limit,
        )
    )


@contacts_router.post("", response={201: ContactOut, **CREATE_ERRORS}, summary="Create a contact")
def contact_create(request: HttpRequest, payload: ContactCreate) -> Status[Contact]:
    user = request_user(request)
    fields = payload.model_dump(exclude_unset=True, exclude={"owner", "company", "custom"})
    contact = services.contact_create(
        actor=user,
        owner=new_record_owner(user, payload.owner),
        company=get_linked(selectors.company_get, user=user, pk=payload.company, field="company"),
        custom=payload.custom,
        **fields,
    )
    return Status(201, contact)


@contacts_router.get(
    "/{contact_id}", response={200: ContactOut, **READ_ERRORS}, summary="Read a contact"
)
def contact_detail(request: HttpRequest, contact_id: RecordId) -> Contact:
    return selectors.contact_get(user=request_user(request), pk=contact_id)


@contacts_router.patch(
    "/{contact_id}", response={200: ContactOut, **WRITE_ERRORS}, summary="Edit a contact"
)
def contact_update(request: HttpRequest, contact_id: RecordId, payload: ContactUpdate) -> Contact:
    user = request_user(request)
    contact = get_for_change(selectors.contact_get, user=user, pk=contact_id)
    fields = payload.model_dump(exclude_unset=True, exclude={"version", "company", "custom"})
    if "company" in payload.model_fields_set:
        fields["company"] = get_linked(
            selectors.company_get, user=user, pk=payload.company, field="company"
        )
    if "custom" in payload.model_fields_set:
        fields["custom"] = payload.custom or {}
    return services.contact_update(actor=user, contact=contact, version=payload.version, **fields)


@contacts_router.get(
    "/{contact_id}/events", response={200: EventList, **READ_ERRORS}, summary="A contact's history"
)
def contact_events(request: HttpRequest, contact_id: RecordId) -> dict[str, Any]:
    contact = selectors.contact_get(user=request_user(request), pk=contact_id)
    return {"items": selectors.contact_events(contact=contact)}


# --- Pipelines ------------------------------------------------------------------


@pipelines_router.get(
    "", response={200: PipelineList, 401: ErrorOut}, summary="Active pipelines and their stages"
)
def pipeline_list(request: HttpRequest) -> dict[str, Any]:
    return {"items": selectors.pipeline_list()}


@pipelines_router.get(
    "/{slug}", response={200: PipelineOut, **READ_ERRORS}, summary="A pipeline and its stages"
)
def pipeline_detail(request: HttpRequest, slug: Slug) -> Pipeline:
    return selectors.pipeline_get(slug=slug)


# --- Deals ----------------------------------------------------------------------


def _pipeline(slug: str | None) -> Pipeline | None:
    if not slug:
        return None
    pipeline = Pipeline.objects.filter(slug=slug, is_active=True).first()
    if pipeline is None:
        raise ValidationError(
            {"pipeline": _("There is no active pipeline “%(slug)s”.") % {"slug": slug}}
        )
    return pipeline


def _stage(reference: int | str, pipeline: Pipeline) -> Stage:
    """A stage of ``pipeline`` by id or slug."""
    stages = pipeline.stages.all()
    if isinstance(reference, int) or (reference.isascii() and reference.isdigit()):
        stage = stages.filter(pk=int(reference)).first() if int(reference) < MAX_ID else None
    else:
        stage = stages.filter(slug=reference).first()
    if stage is None:
        raise ValidationError(
            {
                "stage": _("The pipeline “%(pipeline)s” has no stage “%(stage)s”.")
                % {"pipeline": pipeline, "stage": reference}
            }
        )
    return stage


def _deal_change(request: HttpRequest, deal_id: int) -> tuple[User, Deal]:
    user = request_user(request)
    return user, get_for_change(selectors.deal_get, user=user, pk=deal_id)


@deals_router.get("", response={200: DealPage, **LIST_ERRORS}, summary="List deals")
def deal_list(request: HttpRequest, query: Query[DealListQuery]) -> dict[str, Any]:
    user = request_user(request)
    if user.is_marketer and query.ordering.lstrip("-") == "amount":
        # The order (and the page cursor) would tell the amounts we hide.
        raise ValidationError({"ordering": _("Marketers cannot order deals by amount.")})
    filters = selectors.DealFilters(
        status=query.status,
        owner=query.owner,
        pipeline=query.pipeline,
        stage=query.stage,
        q=query.q,
    )
    return page_out(
        selectors.deal_list(
            user=user,
            filters=filters,
            ordering=query.ordering,
            cursor=query.cursor,
            limit=query.limit,
        )
    )


@deals_router.post("", response={201: DealOut, **CREATE_ERRORS}, summary="Create a deal")
def deal_create(request: HttpRequest, payload: DealCreate) -> Status[Deal]:
    user = request_user(request)
    pipeline = _pipeline(payload.pipeline)
    stage = None
    if payload.stage is not None:
        stage = _stage(payload.stage, pipeline or services.default_pipeline())
    deal = services.deal_create(
        actor=user,
        title=payload.title,
        pipeline=pipeline,
        stage=stage,
        owner=new_record_owner(user, payload.owner),
        contact=get_linked(selectors.contact_get, user=user, pk=payload.contact, field="contact"),
        company=get_linked(selectors.company_get, user=user, pk=payload.company, field="company"),
        lead=get_linked(lead_get, user=user, pk=payload.lead, field="lead"),
        amount=payload.amount,
        currency=payload.currency,
        expected_close_on=payload.expected_close_on,
    )
    return Status(201, deal)


@deals_router.get("/{deal_id}", response={200: DealOut, **READ_ERRORS}, summary="Read a deal")
def deal_detail(request: HttpRequest, deal_id: RecordId) -> Deal:
    return selectors.deal_get(user=request_user(request), pk=deal_id)


@deals_router.patch("/{deal_id}", response={200: DealOut, **WRITE_ERRORS}, summary="Edit a deal")
def deal_update(request: HttpRequest, deal_id: RecordId, payload: DealUpdate) -> Deal:
    user, deal = _deal_change(request, deal_id)
    fields = payload.model_dump(exclude_unset=True, exclude={"version", "contact", "company"})
    if "contact" in payload.model_fields_set:
        fields["contact"] = get_linked(
            selectors.contact_get, user=user, pk=payload.contact, field="contact"
        )
    if "company" in payload.model_fields_set:
        fields["company"] = get_linked(
            selectors.company_get, user=user, pk=payload.company, field="company"
        )
    return services.deal_update(actor=user, deal=deal, version=payload.version, **fields)


@deals_router.get(
    "/{deal_id}/events", response={200: EventList, **READ_ERRORS}, summary="A deal's history"
)
def deal_events(request: HttpRequest, deal_id: RecordId) -> dict[str, Any]:
    user = request_user(request)
    deal = selectors.deal_get(user=user, pk=deal_id)
    events = selectors.deal_events(deal=deal)
    if not can_see_deal_amount(user, deal.owner_id):
        for event in events:
            event.data.pop("amount", None)
    return {"items": events}


@deals_router.post(
    "/{deal_id}/move", response={200: DealOut, **WRITE_ERRORS}, summary="Move a deal to a stage"
)
def deal_move(request: HttpRequest, deal_id: RecordId, payload: DealMove) -> Deal:
    user, deal = _deal_change(request, deal_id)
    return services.deal_move_stage(
        actor=user,
        deal=deal,
        stage=_stage(payload.stage, deal.pipeline),
        lost_reason=payload.lost_reason,
        version=payload.version,
    )


@deals_router.post("/{deal_id}/win", response={200: DealOut, **WRITE_ERRORS}, summary="Win a deal")
def deal_win(request: HttpRequest, deal_id: RecordId, payload: DealWin | None = None) -> Deal:
    user, deal = _deal_change(request, deal_id)
    payload = payload or DealWin()
    return services.deal_win(actor=user, deal=deal, amount=payload.amount, version=payload.version)


@deals_router.post(
    "/{deal_id}/lose", response={200: DealOut, **WRITE_ERRORS}, summary="Lose a deal"
)
def deal_lose(request: HttpRequest, deal_id: RecordId, payload: DealLose) -> Deal:
    user, deal = _deal_change(request, deal_id)
    return services.deal_lose(actor=user, deal=deal, reason=payload.reason, version=payload.version)


@deals_router.post(
    "/{deal_id}/assign", response={200: DealOut, **WRITE_ERRORS}, summary="Give a deal an owner"
)
def deal_assign(request: HttpRequest, deal_id: RecordId, payload: DealAssign) -> Deal:
    user, deal = _deal_change(request, deal_id)
    return services.deal_assign(
        actor=user, deal=deal, owner=active_user(payload.owner), version=payload.version
    )
