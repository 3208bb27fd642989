"""Customer-side pages: contacts, companies, the deal board and deal cards.

Reads go through ``leadflow.sales.selectors`` (scoped to the user), writes
through ``leadflow.sales.services``.
"""

from __future__ import annotations

from itertools import chain
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from leadflow.activities.selectors import activity_list
from leadflow.core.exceptions import ConflictError
from leadflow.core.pagination import Page
from leadflow.core.permissions import can_see_deal_amount
from leadflow.intake.selectors import inquiries_for_card
from leadflow.leads.selectors import lead_get
from leadflow.sales import selectors
from leadflow.sales.forms import LoseForm, MoveForm, SearchForm, WinForm
from leadflow.sales.models import Deal, DealStatus, Pipeline, Stage, StageKind
from leadflow.sales.services import deal_lose, deal_move_stage, deal_win
from leadflow.web.actions import log_activity_page, run_form_action
from leadflow.web.shortcuts import (
    AuthenticatedRequest,
    get_for_change,
    get_or_404,
    get_with_change_right,
    is_partial,
    page_links,
    safe_next,
    wants_json,
)
from leadflow.web.timeline import timeline_entries

# --- Contacts and companies ---------------------------------------------------------


def _search_page(
    request: AuthenticatedRequest,
    *,
    fetch: Any,
    template: str,
    partial: str,
    section: str,
) -> HttpResponse:
    form = SearchForm(request.GET or None)
    q = str(request.GET.get("q", "")).strip()
    error = ""
    try:
        page = fetch(q=q, cursor=request.GET.get("cursor") or None)
    except ValidationError as exc:
        error = " ".join(exc.messages)
        page = Page([], None, None)
    context = {
        "section": section,
        "form": form,
        "q": q,
        "page": page,
        "error": error,
        "hx_target": "#results",
        **page_links(request, page),
    }
    return render(request, partial if is_partial(request) else template, context)


@login_required
def contact_list(request: AuthenticatedRequest) -> HttpResponse:
    def fetch(**kwargs: Any) -> Page[Any]:
        return selectors.contact_list(user=request.user, **kwargs)

    return _search_page(
        request,
        fetch=fetch,
        template="sales/contact_list.html",
        partial="sales/_contact_results.html",
        section="contacts",
    )


@login_required
def company_list(request: AuthenticatedRequest) -> HttpResponse:
    def fetch(**kwargs: Any) -> Page[Any]:
        return selectors.company_list(user=request.user, **kwargs)

    return _search_page(
        request,
        fetch=fetch,
        template="sales/company_list.html",
        partial="sales/_company_results.html",
        section="companies",
    )


def _deal_rows(
    user: Any, deals: list[Deal], changeable: set[int] | None = None
) -> list[dict[str, Any]]:
    return [
        {
            "deal": deal,
            "show_amount": can_see_deal_amount(user, deal.owner_id),
            "can_change": changeable is not None and deal.pk in changeable,
        }
        for deal in deals
    ]


def _when(item: Any) -> Any:
    return getattr(item, "occurred_at", None) or item.done_at or item.created_at


@login_required
def contact_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    contact, can_change = get_with_change_right(selectors.contact_get, user=user, pk=pk)
    source_lead = None
    if contact.source_lead_id:
        try:
            source_lead = lead_get(user=user, pk=contact.source_lead_id)
        except ObjectDoesNotExist:
            source_lead = None  # converted from a lead this user may not see
    deals = selectors.deal_list(user=user, filters=selectors.DealFilters(contact=contact.pk))
    activities = activity_list(user=user, contact=contact.pk)
    history = sorted(
        chain(selectors.contact_events(contact=contact), activities.items),
        key=_when,
        reverse=True,
    )
    return render(
        request,
        "sales/contact_detail.html",
        {
            "section": "contacts",
            "contact": contact,
            "can_change": can_change,
            "source_lead": source_lead,
            "deals": _deal_rows(user, deals.items),
            "more_deals": deals.next_cursor is not None,
            "timeline": timeline_entries(history),
            "inquiries": inquiries_for_card(contact=contact),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def contact_log_activity(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    contact = get_for_change(selectors.contact_get, user=request.user, pk=pk)
    return log_activity_page(
        request,
        about={"contact": contact},
        back_url=reverse("sales:contact_detail", args=[contact.pk]),
        back_label=str(contact),
        section="contacts",
    )


@login_required
def company_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    company = get_or_404(selectors.company_get, user=user, pk=pk)
    contacts = selectors.contact_list(user=user, company=company.pk)
    deals = selectors.deal_list(user=user, filters=selectors.DealFilters(company=company.pk))
    return render(
        request,
        "sales/company_detail.html",
        {
            "section": "companies",
            "company": company,
            "contacts": contacts.items,
            "more_contacts": contacts.next_cursor is not None,
            "deals": _deal_rows(user, deals.items),
            "more_deals": deals.next_cursor is not None,
        },
    )


# --- The deal board -------------------------------------------------------------------


def _pipeline_stages(pipelines: list[Pipeline]) -> dict[int, Stage]:
    return {stage.pk: stage for pipeline in pipelines for stage in pipeline.stages.all()}


@login_required
def deal_board(request: AuthenticatedRequest) -> HttpResponse:
    """The kanban of one pipeline: a column per open stage, a card per open deal."""
    user = request.user
    pipelines = selectors.pipeline_list()
    slug = request.GET.get("pipeline", "")
    pipeline = next((p for p in pipelines if p.slug == slug), None) if slug else None
    if slug and pipeline is None:
        raise Http404(_("There is no active pipeline “%(slug)s”.") % {"slug": slug})
    pipeline = pipeline or (pipelines[0] if pipelines else None)
    columns = []
    if pipeline is not None:
        board = selectors.pipeline_board(user=user, pipeline=pipeline)
        changeable = selectors.deals_changeable_by(
            user=user, deal_ids=[deal.pk for _stage, deals in board for deal in deals]
        )
        columns = [
            {"stage": stage, "deals": _deal_rows(user, deals, changeable)} for stage, deals in board
        ]
    return render(
        request,
        "sales/deal_board.html",
        {
            "section": "deals",
            "pipelines": pipelines,
            "pipeline": pipeline,
            "columns": columns,
            "has_deals": any(column["deals"] for column in columns),
            "board_url": (f"{reverse('sales:board')}?pipeline={pipeline.slug}" if pipeline else ""),
        },
    )


# --- Deal cards and their actions -----------------------------------------------------


def _deal_url(deal: Deal) -> str:
    return reverse("sales:deal_detail", args=[deal.pk])


@login_required
def deal_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    deal, can_change = get_with_change_right(selectors.deal_get, user=user, pk=pk)
    stages = list(selectors.pipeline_get(slug=deal.pipeline.slug).stages.all())
    is_open = deal.status == DealStatus.OPEN
    return render(
        request,
        "sales/deal_detail.html",
        {
            "section": "deals",
            "deal": deal,
            "can_change": can_change,
            "can_act": can_change and is_open,
            "show_amount": can_see_deal_amount(user, deal.owner_id),
            "open_stages": [stage for stage in stages if stage.kind == StageKind.OPEN],
            "move_form": MoveForm(initial={"version": deal.version, "stage": deal.stage_id}),
            "timeline": timeline_entries(
                selectors.deal_timeline(deal=deal),
                stages={stage.pk: stage.name for stage in stages},
            ),
        },
    )


def _move_refused(
    request: AuthenticatedRequest, deal: Deal | None, message: str, status: int
) -> HttpResponse:
    if wants_json(request):
        return JsonResponse({"detail": message}, status=status)
    messages.error(request, message)
    default = _deal_url(deal) if deal is not None else reverse("sales:board")
    return redirect(safe_next(request, default))


@login_required
@require_POST
def deal_move(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Move a deal to another stage: the board's drag and drop, or the card's form.

    The server checks every move (the service refuses another pipeline's stage
    and closed deals; the scoped fetch refuses deals the user may not change).
    A JSON caller gets ``{"detail": …}`` with a 4xx status so the board can put
    the card back; a form gets a message and a redirect.
    """
    user = request.user
    try:
        deal = get_for_change(selectors.deal_get, user=user, pk=pk)
    except Http404:
        if wants_json(request):
            return JsonResponse({"detail": _("Not found.")}, status=404)
        raise
    except PermissionDenied as exc:
        return _move_refused(request, None, str(exc), 403)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _move_refused(request, deal, _("Choose a stage to move the deal to."), 400)
    stage = _pipeline_stages(selectors.pipeline_list()).get(form.cleaned_data["stage"])
    if stage is None:
        return _move_refused(request, deal, _("There is no such stage."), 400)
    try:
        deal = deal_move_stage(
            actor=user, deal=deal, stage=stage, version=form.cleaned_data["version"]
        )
    except ConflictError as exc:
        return _move_refused(request, deal, str(exc), 409)
    except (ValidationError, PermissionDenied) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        return _move_refused(request, deal, text, 400 if isinstance(exc, ValidationError) else 403)
    message = _("“%(deal)s” moved to %(stage)s.") % {"deal": deal, "stage": stage.name}
    if wants_json(request):
        return JsonResponse(
            {"id": deal.pk, "stage": deal.stage_id, "version": deal.version, "message": message}
        )
    messages.success(request, message)
    return redirect(safe_next(request, _deal_url(deal)))


def _deal_action_context(request: AuthenticatedRequest, deal: Deal, **extra: Any) -> dict[str, Any]:
    back = safe_next(request, _deal_url(deal))
    return {"section": "deals", "deal": deal, "back_url": back, "back_label": str(deal), **extra}


@login_required
@require_http_methods(["GET", "POST"])
def deal_win_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    deal = get_for_change(selectors.deal_get, user=user, pk=pk)
    form = WinForm(request.POST or None, initial={"version": deal.version, "amount": deal.amount})

    def perform(data: dict[str, Any]) -> HttpResponse:
        won = deal_win(actor=user, deal=deal, amount=data.get("amount"), version=data["version"])
        messages.success(request, _("“%(deal)s” is won. Well done!") % {"deal": won})
        return redirect(safe_next(request, _deal_url(won)))

    return run_form_action(
        request,
        form=form,
        perform=perform,
        context=_deal_action_context(
            request,
            deal,
            title=_("Win %(deal)s") % {"deal": deal},
            submit_label=_("Mark as won"),
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def deal_lose_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    deal = get_for_change(selectors.deal_get, user=user, pk=pk)
    form = LoseForm(request.POST or None, initial={"version": deal.version})

    def perform(data: dict[str, Any]) -> HttpResponse:
        lost = deal_lose(actor=user, deal=deal, reason=data["reason"], version=data["version"])
        messages.success(request, _("“%(deal)s” is marked as lost.") % {"deal": lost})
        return redirect(safe_next(request, _deal_url(lost)))

    return run_form_action(
        request,
        form=form,
        perform=perform,
        context=_deal_action_context(
            request,
            deal,
            title=_("Lose %(deal)s") % {"deal": deal},
            intro=_("The deal is closed as lost and leaves the board. Its history stays."),
            submit_label=_("Mark as lost"),
            danger=True,
            confirm=_("Close this deal as lost?"),
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def deal_log_activity(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    deal = get_for_change(selectors.deal_get, user=request.user, pk=pk)
    return log_activity_page(
        request,
        about={"deal": deal},
        back_url=_deal_url(deal),
        back_label=str(deal),
        section="deals",
    )
