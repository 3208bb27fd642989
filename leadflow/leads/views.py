"""Lead pages: the list, the card and its actions, manual entry.

Every read goes through ``leadflow.leads.selectors`` (scoped to the user) and
every write through ``leadflow.leads.services`` / ``leadflow.sales.services``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from leadflow.core.pagination import Page
from leadflow.intake.selectors import inquiries_for_card
from leadflow.leads import selectors, services
from leadflow.leads.forms import (
    AssignForm,
    ConvertForm,
    LeadCreateForm,
    LeadEditForm,
    LeadFilterForm,
    PostponeForm,
    QualifyForm,
    RejectForm,
)
from leadflow.leads.models import Lead, LeadStatus
from leadflow.sales.services import lead_convert
from leadflow.web.actions import log_activity_page, run_form_action
from leadflow.web.forms import VersionedForm, add_service_error
from leadflow.web.shortcuts import (
    AuthenticatedRequest,
    get_for_change,
    get_or_404,
    get_with_change_right,
    is_partial,
    page_links,
)
from leadflow.web.timeline import timeline_entries

SECTION = {"section": "leads"}


def _card_url(lead: Lead) -> str:
    return reverse("leads:detail", args=[lead.pk])


@login_required
def lead_list(request: AuthenticatedRequest) -> HttpResponse:
    form = LeadFilterForm(request.GET or None)
    filters = selectors.LeadFilters(
        q=form.value("q"),
        status=form.value("status"),
        owner=form.value("owner"),
        channel=form.value("channel"),
        temperature=form.value("temperature"),
    )
    error = ""
    try:
        page = selectors.lead_list(
            user=request.user,
            filters=filters,
            ordering=form.ordering,
            cursor=request.GET.get("cursor") or None,
        )
    except ValidationError as exc:
        error = " ".join(exc.messages)
        page = Page([], None, None)
    filtered = any([filters.q, filters.status, filters.owner, filters.channel, filters.temperature])
    context = {
        **SECTION,
        "form": form,
        "page": page,
        "error": error,
        "filtered": filtered,
        "hx_target": "#lead-results",
        **page_links(request, page),
    }
    if is_partial(request):
        return render(request, "leads/_lead_results.html", context)
    return render(request, "leads/lead_list.html", context)


@login_required
def lead_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    lead, can_change = get_with_change_right(selectors.lead_get, user=request.user, pk=pk)
    user = request.user
    can_take = not can_change and lead.owner_id is None and user.is_sales_rep
    open_for_work = lead.status not in (LeadStatus.CONVERTED, LeadStatus.REJECTED)
    context = {
        **SECTION,
        "lead": lead,
        "can_change": can_change,
        "can_take": can_take,
        "can_assign_others": user.is_admin or user.is_head_of_sales,
        "can_convert": can_change and open_for_work,
        "can_reject": can_change and open_for_work,
        "can_postpone": can_change and open_for_work,
        "can_reopen": can_change and lead.status in (LeadStatus.REJECTED, LeadStatus.POSTPONED),
        "timeline": timeline_entries(selectors.lead_timeline(lead=lead)),
        "inquiries": inquiries_for_card(lead=lead),
        "reopen_form": VersionedForm(initial={"version": lead.version}),
    }
    return render(request, "leads/lead_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def lead_create(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    form = LeadCreateForm(request.POST or None, actor=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        owner = data.get("owner") if "owner" in form.fields else None
        if user.is_sales_rep:
            owner = user
        try:
            lead = services.lead_create(
                actor=user,
                channel=form.channels[data["channel"]],
                owner=owner,
                **form.person_data(),
            )
        except (ValidationError, PermissionDenied) as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Lead “%(lead)s” created.") % {"lead": lead})
            return redirect(_card_url(lead))
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "leads/lead_form.html",
        {**SECTION, "form": form, "title": _("New lead")},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def lead_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    lead = get_for_change(selectors.lead_get, user=user, pk=pk)
    initial = {name: getattr(lead, name) for name in services.PERSON_FIELDS}
    form = LeadEditForm(request.POST or None, initial={**initial, "version": lead.version})

    def perform(data: dict[str, Any]) -> HttpResponse:
        services.lead_update(actor=user, lead=lead, version=data["version"], **form.person_data())
        messages.success(request, _("Changes saved."))
        return redirect(_card_url(lead))

    return run_form_action(
        request,
        form=form,
        perform=perform,
        template="leads/lead_form.html",
        context={**SECTION, "lead": lead, "title": _("Edit %(lead)s") % {"lead": lead}},
    )


def _action_context(lead: Lead, **extra: Any) -> dict[str, Any]:
    return {**SECTION, "lead": lead, "back_url": _card_url(lead), "back_label": str(lead), **extra}


@login_required
@require_http_methods(["GET", "POST"])
def lead_log_activity(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    lead = get_for_change(selectors.lead_get, user=request.user, pk=pk)
    return log_activity_page(
        request,
        about={"lead": lead},
        back_url=_card_url(lead),
        back_label=str(lead),
        section="leads",
    )


@login_required
@require_http_methods(["GET", "POST"])
def lead_assign(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Heads of sales and admins give the lead to someone; a rep takes an unowned one."""
    user = request.user
    if user.is_admin or user.is_head_of_sales:
        lead = get_for_change(selectors.lead_get, user=user, pk=pk)
        form: VersionedForm = AssignForm(
            request.POST or None,
            actor=user,
            initial={"version": lead.version, "owner": lead.owner_id},
        )
        title, submit = _("Assign %(lead)s") % {"lead": lead}, _("Assign")
    else:
        lead = get_or_404(selectors.lead_get, user=user, pk=pk)
        if lead.owner_id is not None or not user.is_sales_rep:
            raise PermissionDenied(_("Only the head of sales can give a lead to someone else."))
        form = VersionedForm(request.POST or None, initial={"version": lead.version})
        title, submit = _("Take %(lead)s") % {"lead": lead}, _("Take it")

    def perform(data: dict[str, Any]) -> HttpResponse:
        owner = data.get("owner", user)
        updated = services.lead_assign(
            actor=user,
            lead=lead,
            owner=owner,
            reason=data.get("reason", ""),
            version=data["version"],
        )
        if updated.owner is None:
            messages.success(request, _("The lead is back in the queue."))
        else:
            messages.success(
                request, _("%(owner)s is now responsible for it.") % {"owner": updated.owner}
            )
        return redirect(_card_url(lead))

    return run_form_action(
        request,
        form=form,
        perform=perform,
        context=_action_context(lead, title=title, submit_label=submit),
    )


@login_required
@require_http_methods(["GET", "POST"])
def lead_convert_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    lead = get_for_change(selectors.lead_get, user=user, pk=pk)
    form = ConvertForm(request.POST or None, actor=user, initial={"version": lead.version})

    def perform(data: dict[str, Any]) -> HttpResponse:
        conversion = lead_convert(
            actor=user,
            lead=lead,
            owner=data.get("owner"),
            create_deal=bool(data.get("create_deal")),
            deal_title=data.get("deal_title", ""),
            amount=data.get("amount"),
            pipeline=form.pipelines.get(data.get("pipeline") or ""),
            version=data["version"],
        )
        if conversion.deal is not None:
            messages.success(
                request,
                _("Converted: the customer is %(contact)s and the deal “%(deal)s” is open.")
                % {"contact": conversion.contact, "deal": conversion.deal},
            )
            return redirect("sales:deal_detail", pk=conversion.deal.pk)
        messages.success(
            request, _("Converted: the customer is %(contact)s.") % {"contact": conversion.contact}
        )
        return redirect("sales:contact_detail", pk=conversion.contact.pk)

    return run_form_action(
        request,
        form=form,
        perform=perform,
        context=_action_context(
            lead,
            title=_("Convert %(lead)s into a customer") % {"lead": lead},
            intro=_(
                "This creates a contact card (and a company, if the lead names one) or links "
                "to the existing card of the same person. The lead and its history stay."
            ),
            submit_label=_("Convert"),
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def lead_reject(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    lead = get_for_change(selectors.lead_get, user=user, pk=pk)
    form = RejectForm(request.POST or None, initial={"version": lead.version})

    def perform(data: dict[str, Any]) -> HttpResponse:
        services.lead_reject(actor=user, lead=lead, reason=data["reason"], version=data["version"])
        messages.success(request, _("The lead is rejected. You can reopen it later."))
        return redirect(_card_url(lead))

    return run_form_action(
        request,
        form=form,
        perform=perform,
        context=_action_context(
            lead,
            title=_("Reject %(lead)s") % {"lead": lead},
            submit_label=_("Reject the lead"),
            danger=True,
            confirm=_("Reject this lead?"),
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def lead_qualify(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    lead = get_for_change(selectors.lead_get, user=user, pk=pk)
    form = QualifyForm(request.POST or None, initial={"version": lead.version})

    def perform(data: dict[str, Any]) -> HttpResponse:
        services.lead_qualify(
            actor=user,
            lead=lead,
            temperature=data["temperature"],
            funnel_class=data["funnel_class"],
            origin_class=data["origin_class"],
            reason=data["reason"],
            version=data["version"],
        )
        messages.success(request, _("The lead's classification is saved."))
        return redirect(_card_url(lead))

    return run_form_action(
        request,
        form=form,
        perform=perform,
        context=_action_context(
            lead,
            title=_("Qualify %(lead)s") % {"lead": lead},
            submit_label=_("Save"),
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def lead_postpone(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    lead = get_for_change(selectors.lead_get, user=user, pk=pk)
    form = PostponeForm(request.POST or None, initial={"version": lead.version})

    def perform(data: dict[str, Any]) -> HttpResponse:
        services.lead_postpone(
            actor=user,
            lead=lead,
            until=data["until"],
            reason=data.get("reason", ""),
            version=data["version"],
        )
        messages.success(
            request, _("Postponed until %(date)s.") % {"date": data["until"].isoformat()}
        )
        return redirect(_card_url(lead))

    return run_form_action(
        request,
        form=form,
        perform=perform,
        context=_action_context(
            lead,
            title=_("Postpone %(lead)s") % {"lead": lead},
            intro=_("The lead comes back to its owner on that date."),
            submit_label=_("Postpone"),
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def lead_reopen(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    user = request.user
    lead = get_for_change(selectors.lead_get, user=user, pk=pk)
    form = VersionedForm(request.POST or None, initial={"version": lead.version})

    def perform(data: dict[str, Any]) -> HttpResponse:
        services.lead_reopen(actor=user, lead=lead, version=data["version"])
        messages.success(request, _("The lead is open again."))
        return redirect(_card_url(lead))

    return run_form_action(
        request,
        form=form,
        perform=perform,
        context=_action_context(
            lead,
            title=_("Reopen %(lead)s") % {"lead": lead},
            intro=_("The lead goes back to work with status “working”."),
            submit_label=_("Reopen"),
        ),
    )
