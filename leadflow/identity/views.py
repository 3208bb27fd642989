"""The possible-duplicates review queue: merge with a field-by-field choice, or dismiss.

A pair is shown to whoever may view both leads (another team's pair is a
404); merging or dismissing needs the right to change both (else 403).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from leadflow.core.models import AuditEvent
from leadflow.identity import selectors, services
from leadflow.identity.matching import match_level
from leadflow.identity.models import DuplicatePair
from leadflow.leads.models import Lead
from leadflow.web.shortcuts import AuthenticatedRequest, page_links

SECTION = {"section": "duplicates"}


def _pair_or_404(request: AuthenticatedRequest, pk: int) -> DuplicatePair:
    try:
        return selectors.duplicate_pair_get(user=request.user, pk=pk)
    except DuplicatePair.DoesNotExist:
        raise Http404 from None


def _field_label(name: str) -> str:
    return str(getattr(Lead._meta.get_field(name), "verbose_name", name))


def _matched_on(pair: DuplicatePair) -> list[tuple[str, bool]]:
    """(field, agreed) for every field compared, agreeing ones first."""
    labels = {"name": _("name")}
    items = []
    for name, item in pair.explanation.items():
        label = labels.get(name) or (
            _field_label(name) if name in services.MERGE_FIELDS else name.replace("_", " ")
        )
        items.append((label, item.get("weight", 0) > 0))
    return sorted(items, key=lambda entry: not entry[1])


@login_required
def duplicate_list(request: AuthenticatedRequest) -> HttpResponse:
    try:
        page = selectors.duplicate_pair_list(user=request.user, cursor=request.GET.get("cursor"))
    except ValidationError:
        page = selectors.duplicate_pair_list(user=request.user)
    rows = [
        {"pair": pair, "level": match_level(pair.confidence), "matched_on": _matched_on(pair)}
        for pair in page.items
    ]
    merges = selectors.merge_audit_list(user=request.user, limit=10)
    return render(
        request,
        "identity/duplicate_list.html",
        {**SECTION, "page": page, "rows": rows, "merges": merges, **page_links(request, page)},
    )


@login_required
def duplicate_merge(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    pair = _pair_or_404(request, pk)
    keep = request.POST.get("survivor") or request.GET.get("survivor")
    survivor, other = (
        (pair.lead_b, pair.lead_a) if keep == str(pair.lead_b_id) else (pair.lead_a, pair.lead_b)
    )
    defaults = services.merge_default_choices(survivor, other)
    fields = [
        {
            "name": name,
            "label": _field_label(name),
            "survivor": getattr(survivor, name),
            "other": getattr(other, name),
            "choice": request.POST.get(f"choice_{name}", defaults[name]),
        }
        for name in services.MERGE_FIELDS
        if name in defaults
    ]
    error = ""
    if request.method == "POST":
        choices = {
            name: request.POST.get(f"choice_{name}", side) for name, side in defaults.items()
        }
        try:
            lead = services.leads_merge(
                actor=request.user, survivor=survivor, other=other, choices=choices
            )
        except PermissionDenied:
            raise
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(
                request,
                _("Merged into %(lead)s. Every inquiry, activity and event was kept.")
                % {"lead": lead},
            )
            return redirect("leads:detail", pk=lead.pk)
    return render(
        request,
        "identity/duplicate_merge.html",
        {
            **SECTION,
            "pair": pair,
            "survivor": survivor,
            "other": other,
            "fields": fields,
            "error": error,
            "matched_on": _matched_on(pair),
        },
        status=422 if error else 200,
    )


@login_required
@require_POST
def duplicate_dismiss(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    pair = _pair_or_404(request, pk)
    try:
        services.duplicate_pair_dismiss(actor=request.user, pair=pair)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(a)s and %(b)s are marked as two different people.")
            % {"a": pair.lead_a, "b": pair.lead_b},
        )
    return redirect(reverse("identity:duplicates"))


@login_required
@require_POST
def merge_undo(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    try:
        audit = selectors.merge_audit_get(user=request.user, pk=pk)
    except AuditEvent.DoesNotExist:
        raise Http404 from None
    try:
        _survivor, restored = services.leads_unmerge(actor=request.user, audit_event=audit)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(reverse("identity:duplicates"))
    messages.success(request, _("%(lead)s is a card of its own again.") % {"lead": restored})
    return redirect("leads:detail", pk=restored.pk)
