"""The shape every action page shares: show a form, call one service, report refusals.

GET shows the form (on its own page, or loaded into a record's card by HTMX);
a valid POST calls the service. What the service refuses — a ValidationError,
a stale version (ConflictError) or a PermissionDenied — comes back as errors on
the same form with a 4xx status, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from leadflow.activities.forms import ActivityForm
from leadflow.activities.services import activity_create
from leadflow.core.exceptions import ConflictError
from leadflow.web.forms import add_service_error
from leadflow.web.shortcuts import AuthenticatedRequest

ACTION_TEMPLATE = "web/action_form.html"


def run_form_action(
    request: HttpRequest,
    *,
    form: forms.Form,
    perform: Callable[[dict[str, Any]], HttpResponse],
    context: dict[str, Any],
    template: str = ACTION_TEMPLATE,
) -> HttpResponse:
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                return perform(form.cleaned_data)
            except ConflictError as exc:
                add_service_error(form, exc)
                context = {**context, "conflict": True}
                status = 409
            except (ValidationError, PermissionDenied) as exc:
                add_service_error(form, exc)
                status = 400
        else:
            status = 400
    # Where to go afterwards (the board, say), carried through a failed POST.
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    return render(request, template, {"next": next_url, **context, "form": form}, status=status)


def log_activity_page(
    request: AuthenticatedRequest,
    *,
    about: dict[str, Any],
    back_url: str,
    back_label: str,
    section: str,
) -> HttpResponse:
    """Log or plan an activity ``about`` a lead, contact or deal the caller may change."""
    form = ActivityForm(request.POST or None)

    def perform(data: dict[str, Any]) -> HttpResponse:
        activity_create(actor=request.user, **about, **form.service_fields())
        messages.success(request, _("Activity saved."))
        return redirect(back_url)

    return run_form_action(
        request,
        form=form,
        perform=perform,
        context={
            "section": section,
            "back_url": back_url,
            "back_label": back_label,
            "title": _("Log an activity"),
            "submit_label": _("Save activity"),
        },
    )
