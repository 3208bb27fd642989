"""My tasks and notifications."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from leadflow.activities import selectors
from leadflow.activities.forms import CompleteForm
from leadflow.activities.models import Activity
from leadflow.activities.services import activity_complete, notifications_mark_read
from leadflow.core.exceptions import ConflictError
from leadflow.web.forms import add_service_error
from leadflow.web.shortcuts import AuthenticatedRequest, get_for_change


def _task_item(task: Activity, now: Any, errors: list[str] | None = None) -> dict[str, Any]:
    return {
        "task": task,
        "overdue": task.due_at is not None and task.due_at < now and not task.is_done,
        "form": CompleteForm(initial={"version": task.version}, prefix=f"t{task.pk}"),
        "errors": errors or [],
    }


@login_required
def my_tasks(request: AuthenticatedRequest) -> HttpResponse:
    now = timezone.now()
    items = [_task_item(task, now) for task in selectors.my_tasks(user=request.user)]
    overdue = sum(1 for item in items if item["overdue"])
    return render(
        request,
        "activities/my_tasks.html",
        {"section": "tasks", "items": items, "overdue_count": overdue},
    )


@login_required
@require_POST
def task_complete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Mark a task done with its outcome; HTMX swaps the task's row in the list."""
    user = request.user
    task = get_for_change(selectors.activity_get, user=user, pk=pk)
    form = CompleteForm(request.POST, prefix=f"t{task.pk}")
    if form.is_valid():
        try:
            task = activity_complete(
                actor=user,
                activity=task,
                outcome=form.cleaned_data.get("outcome", ""),
                version=form.cleaned_data["version"],
            )
        except (ValidationError, ConflictError, PermissionDenied) as exc:
            add_service_error(form, exc)
    errors = [str(error) for field_errors in form.errors.values() for error in field_errors]
    if request.htmx:
        # 200 even for a refusal, so that HTMX swaps in the row with the reason. The row
        # shows the task as it is now, with its current version, ready for another try.
        if errors:
            task = selectors.activity_get(user=user, pk=task.pk)
        return render(
            request, "activities/_task.html", {"item": _task_item(task, timezone.now(), errors)}
        )
    for error in errors:
        messages.error(request, error)
    if not errors:
        messages.success(request, _("“%(task)s” is done.") % {"task": task})
    return redirect("activities:tasks")


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request: AuthenticatedRequest) -> HttpResponse:
    if request.method == "POST":
        count = notifications_mark_read(user=request.user)
        if count:
            messages.success(request, _("All notifications are marked as read."))
        return redirect("activities:notifications")
    return render(
        request,
        "activities/notifications.html",
        {
            "section": "notifications",
            "notifications": selectors.unread_notifications(user=request.user, limit=100),
        },
    )
