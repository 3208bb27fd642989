"""Scoring pages: the rules (everyone reads, heads of sales/marketers/admins edit) and the model."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from leadflow.scoring import selectors, services
from leadflow.scoring.forms import (
    FunnelRuleEditForm,
    FunnelRuleForm,
    ScoringRuleEditForm,
    ScoringRuleForm,
)
from leadflow.scoring.models import MIN_PER_CLASS, QualificationRule, ScoringRule
from leadflow.web.actions import run_form_action
from leadflow.web.forms import VersionedForm
from leadflow.web.shortcuts import AuthenticatedRequest, numbered_page

SECTION = {"section": "scoring"}


def _require_manager(request: AuthenticatedRequest) -> None:
    if not selectors.can_manage_scoring(request.user):
        raise PermissionDenied(_("Only the head of sales, a marketer or an admin can do this."))


def _rules_url() -> str:
    return reverse("scoring:rules")


def _context(**extra: Any) -> dict[str, Any]:
    return {**SECTION, "back_url": _rules_url(), "back_label": _("Scoring rules"), **extra}


@login_required
def rules(request: AuthenticatedRequest) -> HttpResponse:
    # Two lists on one page, each paged on its own (?page=, ?funnel_page=).
    scoring_page, scoring_links = numbered_page(request, selectors.scoring_rule_list())
    funnel_page, funnel_links = numbered_page(
        request, selectors.qualification_rule_list(), param="funnel_page"
    )
    return render(
        request,
        "scoring/rules.html",
        {
            **SECTION,
            "scoring_rules": scoring_page,
            "scoring_links": scoring_links,
            "funnel_rules": funnel_page,
            "funnel_links": funnel_links,
            "can_manage": selectors.can_manage_scoring(request.user),
        },
    )


def _get(model: type[ScoringRule] | type[QualificationRule], pk: int) -> Any:
    found = model.objects.filter(pk=pk).first()
    if found is None:
        raise Http404(_("Not found."))
    return found


@login_required
@require_http_methods(["GET", "POST"])
def scoring_rule_create(request: AuthenticatedRequest) -> HttpResponse:
    _require_manager(request)
    form = ScoringRuleForm(request.POST or None)

    def perform(data: dict[str, Any]) -> HttpResponse:
        rule = services.scoring_rule_create(actor=request.user, **form.service_fields())
        messages.success(
            request, _("Rule “%(rule)s” saved; leads are being rescored.") % {"rule": rule}
        )
        return redirect(_rules_url())

    return run_form_action(
        request,
        form=form,
        perform=perform,
        context=_context(title=_("New scoring rule"), submit_label=_("Save")),
    )


@login_required
@require_http_methods(["GET", "POST"])
def scoring_rule_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    rule = _get(ScoringRule, pk)
    initial = {name: getattr(rule, name) for name in services.SCORING_RULE_FIELDS} | {
        "version": rule.version
    }
    form = ScoringRuleEditForm(request.POST or None, initial=initial)

    def perform(data: dict[str, Any]) -> HttpResponse:
        services.scoring_rule_update(
            actor=request.user, rule=rule, version=data["version"], **form.service_fields()
        )
        messages.success(request, _("Changes saved; leads are being rescored."))
        return redirect(_rules_url())

    return run_form_action(
        request,
        form=form,
        perform=perform,
        context=_context(title=_("Edit “%(rule)s”") % {"rule": rule}, submit_label=_("Save")),
    )


@login_required
@require_http_methods(["GET", "POST"])
def scoring_rule_delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    rule = _get(ScoringRule, pk)
    form = VersionedForm(request.POST or None, initial={"version": rule.version})

    def perform(data: dict[str, Any]) -> HttpResponse:
        services.scoring_rule_delete(actor=request.user, rule=rule)
        messages.success(request, _("Rule “%(rule)s” deleted.") % {"rule": rule})
        return redirect(_rules_url())

    return run_form_action(
        request,
        form=form,
        perform=perform,
        context=_context(
            title=_("Delete “%(rule)s”") % {"rule": rule},
            intro=_("Leads lose the points this rule gave them."),
            submit_label=_("Delete the rule"),
            danger=True,
            confirm=_("Delete this rule?"),
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def funnel_rule_create(request: AuthenticatedRequest) -> HttpResponse:
    _require_manager(request)
    form = FunnelRuleForm(request.POST or None)

    def perform(data: dict[str, Any]) -> HttpResponse:
        rule = services.qualification_rule_create(actor=request.user, **form.service_fields())
        messages.success(request, _("Funnel rule “%(rule)s” saved.") % {"rule": rule})
        return redirect(_rules_url())

    return run_form_action(
        request,
        form=form,
        perform=perform,
        context=_context(title=_("New funnel rule"), submit_label=_("Save")),
    )


@login_required
@require_http_methods(["GET", "POST"])
def funnel_rule_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    rule = _get(QualificationRule, pk)
    initial = {name: getattr(rule, name) for name in services.FUNNEL_RULE_FIELDS} | {
        "version": rule.version
    }
    form = FunnelRuleEditForm(request.POST or None, initial=initial)

    def perform(data: dict[str, Any]) -> HttpResponse:
        services.qualification_rule_update(
            actor=request.user, rule=rule, version=data["version"], **form.service_fields()
        )
        messages.success(request, _("Changes saved."))
        return redirect(_rules_url())

    return run_form_action(
        request,
        form=form,
        perform=perform,
        context=_context(title=_("Edit “%(rule)s”") % {"rule": rule}, submit_label=_("Save")),
    )


@login_required
@require_http_methods(["GET", "POST"])
def funnel_rule_delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    rule = _get(QualificationRule, pk)
    form = VersionedForm(request.POST or None, initial={"version": rule.version})

    def perform(data: dict[str, Any]) -> HttpResponse:
        services.qualification_rule_delete(actor=request.user, rule=rule)
        messages.success(request, _("Funnel rule “%(rule)s” deleted.") % {"rule": rule})
        return redirect(_rules_url())

    return run_form_action(
        request,
        form=form,
        perform=perform,
        context=_context(
            title=_("Delete “%(rule)s”") % {"rule": rule},
            intro=_("Leads it qualified keep their funnel class."),
            submit_label=_("Delete the rule"),
            danger=True,
            confirm=_("Delete this rule?"),
        ),
    )


MODEL_LABELS = (
    ("model", "Score model (trees + logistic, calibrated)"),
    ("logistic", "Logistic regression"),
    ("naive_bayes", "Naive Bayes frequency baseline"),
)


@login_required
def model_page(request: AuthenticatedRequest) -> HttpResponse:
    row = selectors.current_model_row()
    won, lost = selectors.history_counts()
    comparison = []
    charts: dict[str, Any] = {}
    lift_rows: list[tuple[int, list[float]]] = []
    if row is not None:
        for key, label in MODEL_LABELS:
            figures = row.metrics.get(key, {})
            comparison.append({"key": key, "label": _(label), **figures})
        lifts = [row.metrics.get(key, {}).get("lift") or [0.0] * 10 for key, _l in MODEL_LABELS]
        lift_rows = [(decile + 1, [lift[decile] for lift in lifts]) for decile in range(10)]
        charts = {
            "labels": {key: str(_(label)) for key, label in MODEL_LABELS},
            "calibration": {
                k: row.metrics.get(k, {}).get("calibration", []) for k, _l in MODEL_LABELS
            },
            "lift": {k: row.metrics.get(k, {}).get("lift", []) for k, _l in MODEL_LABELS},
            "axis": {
                "predicted": str(_("Predicted probability")),
                "observed": str(_("Share won")),
                "decile": str(_("Tenth of leads, highest scores first")),
                "lift": str(_("Lift over the average")),
                "perfect": str(_("Perfectly calibrated")),
            },
        }
    return render(
        request,
        "scoring/model.html",
        {
            **SECTION,
            "model": row,
            "comparison": comparison,
            "charts": charts,
            "lift_rows": lift_rows,
            "history_won": won,
            "history_lost": lost,
            "min_per_class": MIN_PER_CLASS,
            "enough_history": won >= MIN_PER_CLASS and lost >= MIN_PER_CLASS,
            "can_manage": selectors.can_manage_scoring(request.user),
            "surprises": selectors.score_surprises(user=request.user),
        },
    )


@login_required
@require_POST
def model_train(request: AuthenticatedRequest) -> HttpResponse:
    _require_manager(request)
    from leadflow.scoring.tasks import scoring_model_train_for

    won, lost = selectors.history_counts()
    if won < MIN_PER_CLASS or lost < MIN_PER_CLASS:
        messages.error(
            request,
            _(
                "Not enough closed history to learn from: %(won)d won and %(lost)d lost "
                "leads, and training needs at least %(needed)d of each. Until then the "
                "score is the rule points alone."
            )
            % {"won": won, "lost": lost, "needed": MIN_PER_CLASS},
        )
    else:
        scoring_model_train_for.enqueue(request.user.pk)
        messages.success(
            request,
            _("Training started. The new figures appear here when it is done, in a minute or so."),
        )
    return redirect("scoring:model")
