"""Routing pages: the rules (heads of sales and admins), a rep's queue, the head of sales' view."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from leadflow.leads.models import FunnelClass, Temperature
from leadflow.routing import selectors, services
from leadflow.routing.forms import MoveForm, RuleEditForm, RuleForm, TargetsForm
from leadflow.routing.models import RoutingRule, Strategy
from leadflow.web.actions import run_form_action
from leadflow.web.shortcuts import (
    LIST_PAGE_SIZE,
    AuthenticatedRequest,
    numbered_page,
    page_links,
)

SECTION = {"section": "routing"}


def _manager_only(request: AuthenticatedRequest) -> None:
    if not services.can_manage_routing(request.user):
        raise PermissionDenied(_("Only the head of sales or an admin can change routing."))


def _rule(request: AuthenticatedRequest, pk: int) -> RoutingRule:
    try:
        return selectors.routing_rule_get(user=request.user, pk=pk)
    except RoutingRule.DoesNotExist:
        raise Http404(_("Not found.")) from None


def _rules_url() -> str:
    return reverse("routing:rules")


def conditions_text(rule: RoutingRule) -> list[str]:
    """The rule's conditions as short phrases for the list ("temperature hot or warm", …)."""
    either = _(" or ")
    parts: list[str] = []
    labels = {**dict(Temperature.choices), **dict(FunnelClass.choices)}
    if rule.temperatures:
        parts.append(
            _("temperature %(v)s") % {"v": either.join(str(labels[t]) for t in rule.temperatures)}
        )
    if rule.funnel_classes:
        parts.append(
            _("funnel %(v)s") % {"v": either.join(str(labels[f]) for f in rule.funnel_classes)}
        )
    if rule.score_min is not None or rule.score_max is not None:
        parts.append(
            _("score %(lo)s–%(hi)s")
            % {
                "lo": rule.score_min if rule.score_min is not None else 0,
                "hi": rule.score_max or 100,
            }
        )
    if channels := [str(c) for c in rule.channels.all()]:
        parts.append(_("channel %(v)s") % {"v": either.join(channels)})
    if campaigns := [str(c) for c in rule.campaigns.all()]:
        parts.append(_("campaign %(v)s") % {"v": either.join(campaigns)})
    for values, label in (
        (rule.countries, _("country %(v)s")),
        (rule.regions, _("region %(v)s")),
        (rule.languages, _("language %(v)s")),
    ):
        if values:
            parts.append(label % {"v": either.join(values)})
    if rule.company_size_min is not None or rule.company_size_max is not None:
        low = rule.company_size_min or 0
        parts.append(
            _("company size %(lo)s–%(hi)s")
            % {"lo": low, "hi": rule.company_size_max if rule.company_size_max is not None else "∞"}
        )
    if rule.custom_attribute:
        parts.append(f"{rule.custom_attribute} = “{rule.custom_value}”")
    return parts


def target_text(rule: RoutingRule) -> str:
    if rule.strategy == Strategy.NAMED_PERSON:
        return str(rule.person or "—")
    pool = [str(user) for user in rule.pool.all()]
    if pool:
        return ", ".join(pool)
    return _("team %(team)s") % {"team": rule.team} if rule.team else "—"


@login_required
def rule_list(request: AuthenticatedRequest) -> HttpResponse:
    _manager_only(request)
    page, links = numbered_page(request, selectors.routing_rules_in_order(user=request.user))
    total = page.paginator.count
    rows = [
        {
            "rule": rule,
            # The place in the whole order, so moving across a page break reads right.
            "number": place + 1,
            "conditions": conditions_text(rule),
            "target": target_text(rule),
            "first": place == 0,
            "last": place == total - 1,
        }
        for place, rule in enumerate(page.object_list, start=page.start_index() - 1)
    ]
    return render(
        request,
        "routing/rules.html",
        {
            **SECTION,
            "rows": rows,
            "page": page,
            **links,
            "targets": selectors.response_targets(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def rule_create(request: AuthenticatedRequest) -> HttpResponse:
    _manager_only(request)
    form = RuleForm(request.POST or None)

    def perform(data: dict[str, Any]) -> HttpResponse:
        fields = form.service_fields()
        rule = services.routing_rule_create(
            actor=request.user, name=fields.pop("name"), strategy=fields.pop("strategy"), **fields
        )
        messages.success(request, _("Rule “%(rule)s” added at the end.") % {"rule": rule})
        return redirect(_rules_url())

    return run_form_action(
        request,
        form=form,
        perform=perform,
        template="routing/rule_form.html",
        context={**SECTION, "title": _("New routing rule"), "submit_label": _("Add the rule")},
    )


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _manager_only(request)
    rule = _rule(request, pk)
    form = RuleEditForm(request.POST or None, initial=RuleForm.initial_for(rule))

    def perform(data: dict[str, Any]) -> HttpResponse:
        services.routing_rule_update(
            actor=request.user, rule=rule, version=data["version"], **form.service_fields()
        )
        messages.success(request, _("Rule “%(rule)s” saved.") % {"rule": data["name"]})
        return redirect(_rules_url())

    return run_form_action(
        request,
        form=form,
        perform=perform,
        template="routing/rule_form.html",
        context={
            **SECTION,
            "rule": rule,
            "title": _("Edit “%(rule)s”") % {"rule": rule},
            "submit_label": _("Save"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def rule_delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _manager_only(request)
    rule = _rule(request, pk)
    form = forms.Form(request.POST if request.method == "POST" else None)

    def perform(data: dict[str, Any]) -> HttpResponse:
        services.routing_rule_delete(actor=request.user, rule=rule)
        messages.success(request, _("Rule “%(rule)s” deleted.") % {"rule": rule})
        return redirect(_rules_url())

    return run_form_action(
        request,
        form=form,
        perform=perform,
        context={
            **SECTION,
            "title": _("Delete the rule “%(rule)s”?") % {"rule": rule},
            "intro": _(
                "New leads will no longer be routed by it. Leads it routed keep their "
                "owners, and their history keeps the rule's name."
            ),
            "submit_label": _("Delete the rule"),
            "danger": True,
            "confirm": _("Delete this rule?"),
            "back_url": _rules_url(),
            "back_label": _("Routing rules"),
        },
    )


@login_required
@require_POST
def rule_move(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _manager_only(request)
    rule = _rule(request, pk)
    form = MoveForm(request.POST)
    if form.is_valid():
        rule = services.routing_rule_move(
            actor=request.user, rule=rule, direction=form.cleaned_data["direction"]
        )
    # Back to the page the rule is on now (a move can cross a page break).
    page = selectors.routing_rule_place(rule=rule) // LIST_PAGE_SIZE + 1
    query = f"?page={page}" if page > 1 else ""
    return redirect(f"{_rules_url()}{query}#rule-{rule.pk}")


@login_required
@require_http_methods(["GET", "POST"])
def targets_edit(request: AuthenticatedRequest) -> HttpResponse:
    _manager_only(request)
    form = TargetsForm(request.POST or None, targets=selectors.response_targets())

    def perform(data: dict[str, Any]) -> HttpResponse:
        for temperature, minutes, business_days in form.targets():
            services.response_target_set(
                actor=request.user,
                temperature=temperature,
                minutes=minutes,
                business_days=business_days,
            )
        messages.success(request, _("First-response targets saved."))
        return redirect(_rules_url())

    return run_form_action(
        request,
        form=form,
        perform=perform,
        context={
            **SECTION,
            "title": _("First-response targets"),
            "intro": _(
                "Every new lead gets the task “Contact the lead”, due this long after it "
                "arrives: business days (Monday to Friday) plus minutes."
            ),
            "submit_label": _("Save"),
            "back_url": _rules_url(),
            "back_label": _("Routing rules"),
        },
    )


@login_required
def queue(request: AuthenticatedRequest) -> HttpResponse:
    """My open leads: first contacts due soonest first, then by score."""
    try:
        page = selectors.rep_queue(user=request.user, cursor=request.GET.get("cursor") or None)
    except ValidationError:  # a cursor that was tampered with: start again
        return redirect("routing:queue")
    return render(
        request,
        "routing/queue.html",
        {
            "section": "queue",
            "page": page,
            "now": timezone.now(),
            "first_page_url": reverse("routing:queue") if request.GET.get("cursor") else None,
            **page_links(request, page),
        },
    )


@login_required
def overview(request: AuthenticatedRequest) -> HttpResponse:
    """The head of sales' view: unassigned leads, late first contacts, each rep's load."""
    _manager_only(request)
    try:
        unassigned = selectors.unassigned_leads(
            user=request.user, cursor=request.GET.get("cursor") or None
        )
    except ValidationError:
        return redirect("routing:overview")
    return render(
        request,
        "routing/overview.html",
        {
            **SECTION,
            "unassigned": unassigned,
            "breaches": selectors.sla_breaches(user=request.user),
            "loads": selectors.rep_loads(user=request.user),
            "now": timezone.now(),
            **page_links(request, unassigned),
        },
    )


@login_required
@require_POST
def route_waiting(request: AuthenticatedRequest) -> HttpResponse:
    """Route the waiting leads again (after someone came back, or a rule was added)."""
    _manager_only(request)
    report = services.leads_route_waiting(actor=request.user)
    given = ngettext(
        "%(assigned)d lead given an owner", "%(assigned)d leads given an owner", report.assigned
    ) % {"assigned": report.assigned}
    messages.success(
        request,
        _("%(given)s; %(waiting)d still waiting.")
        % {"given": given, "waiting": report.still_waiting},
    )
    return redirect("routing:overview")
