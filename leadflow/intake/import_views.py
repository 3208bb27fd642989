"""Import pages: upload a list, map its columns with a preview, follow the job, download results.

Marketers, heads of sales and admins only. Writes go through
``leadflow.intake.importing`` (the job services); the import itself runs in
``leadflow worker``.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from leadflow.core.pagination import Page
from leadflow.intake.import_forms import ImportMappingForm, ImportUploadForm
from leadflow.intake.import_jobs import (
    IMPORT_STALLED_AFTER,
    import_job_can_cancel,
    import_job_can_resume,
    import_job_cancel,
    import_job_pace,
    import_job_resume,
    import_job_stalled,
    import_jobs_page,
)
from leadflow.intake.importing import (
    RESULTS,
    ImportFileError,
    RowSource,
    can_import,
    detect_preset,
    import_job_create,
    import_job_map,
    import_job_start,
    import_jobs_visible_to,
    import_preview,
    import_results_lines,
    mapping_suggest,
    upload_dir,
)
from leadflow.intake.models import ImportJob, ImportStatus
from leadflow.web.actions import run_form_action
from leadflow.web.forms import add_service_error
from leadflow.web.shortcuts import AuthenticatedRequest, is_partial, page_links

SECTION = {"section": "imports"}
IMPORTS_PER_PAGE = 50


def _check(request: AuthenticatedRequest) -> None:
    if not can_import(request.user):
        raise PermissionDenied


def _job(request: AuthenticatedRequest, pk: int) -> ImportJob:
    _check(request)
    job = import_jobs_visible_to(request.user).filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


def _counts(job: ImportJob) -> list[tuple[str, int]]:
    return [(outcome, getattr(job, outcome)) for outcome in RESULTS]


@login_required
@require_http_methods(["GET", "POST"])
def import_list(request: AuthenticatedRequest) -> HttpResponse:
    """The upload form and the latest imports."""
    _check(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        folder = upload_dir() / uuid.uuid4().hex
        folder.mkdir()
        safe_name = re.sub(r"[^\w.\-]+", "_", upload.name)[-100:] or "upload"
        path = folder / safe_name
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        try:
            headers = RowSource(path).headers()
            job = import_job_create(
                actor=request.user,
                channel=form.cleaned_data["channel"],
                campaign=form.cleaned_data["campaign"],
                path=path,
                file_name=upload.name,
                mapping=mapping_suggest(headers, preset=detect_preset(headers)),
                resume=False,
            )
        except (ImportFileError, ValidationError) as exc:
            form.add_error("file", " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            return redirect("imports:mapping", pk=job.pk)
    q = request.GET.get("q", "").strip()[:100]
    error = ""
    try:
        page = import_jobs_page(
            user=request.user,
            file_name=q,
            cursor=request.GET.get("cursor") or None,
            limit=IMPORTS_PER_PAGE,
        )
    except ValidationError as exc:
        error = " ".join(exc.messages)
        page = Page([], None, None)
    now = timezone.now()
    context = {
        **SECTION,
        "form": form,
        "page": page,
        "stalled": {job.pk for job in page.items if import_job_stalled(job, now=now)},
        "q": q,
        "error": error,
        "hx_target": "#results",
        **page_links(request, page),
    }
    if is_partial(request) and request.method == "GET":
        return render(request, "intake/_import_results.html", context)
    return render(request, "intake/import_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def import_mapping(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Columns to fields (suggested), a preview of the first rows, then start."""
    job = _job(request, pk)
    if job.status != ImportStatus.PENDING or job.rows_done:
        return redirect("imports:detail", pk=job.pk)
    headers = RowSource(job.file_path).headers()
    form = ImportMappingForm(
        request.POST or None, headers=headers, initial_mapping=dict(job.mapping)
    )
    mapping = dict(job.mapping)
    if request.method == "POST" and form.is_valid():
        mapping = form.mapping()
        try:
            job = import_job_map(
                actor=request.user,
                job=job,
                mapping=mapping,
                channel=job.channel,
                campaign=job.campaign,
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            if "start" in request.POST:
                import_job_start(actor=request.user, job=job)
                messages.success(request, _("The import has started."))
                return redirect("imports:detail", pk=job.pk)
    _headers, rows = import_preview(path=job.file_path, channel=job.channel, mapping=mapping)
    return render(
        request,
        "intake/import_mapping.html",
        {
            **SECTION,
            "job": job,
            "form": form,
            "headers": headers,
            "rows": [(row, [row.values.get(h, "") for h in headers]) for row in rows],
            "preset": detect_preset(headers),
        },
    )


@login_required
def import_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The job's progress; HTMX polls the progress part while it runs."""
    job = _job(request, pk)
    stalled = import_job_stalled(job)
    context = {
        **SECTION,
        "job": job,
        "counts": _counts(job),
        "stalled": stalled,
        "pace": None if stalled else import_job_pace(job),
        # From the first start to the end, any pause included.
        "took": (
            job.finished_at - job.started_at
            if job.status == ImportStatus.DONE and job.started_at and job.finished_at
            else None
        ),
        "stalled_minutes": int(IMPORT_STALLED_AFTER.total_seconds() // 60),
        "can_cancel": import_job_can_cancel(job),
        "can_resume": import_job_can_resume(job),
        # Poll while it moves; a stalled job waits for someone to decide.
        "running": job.status in (ImportStatus.PENDING, ImportStatus.RUNNING) and not stalled,
        "percent": (
            100
            if job.status == ImportStatus.DONE
            else min(99, round(100 * job.rows_done / job.rows_estimated))
            if job.rows_estimated
            else 0
        ),
    }
    if is_partial(request):
        return render(request, "intake/_import_progress.html", context)
    return render(request, "intake/import_detail.html", context)


def _confirm_page(
    request: AuthenticatedRequest,
    job: ImportJob,
    *,
    perform: Any,
    title: str,
    intro: str,
    submit_label: str,
    done: str,
    danger: bool = False,
) -> HttpResponse:
    """Ask first (GET), then call the service (POST); a refusal shows on the same page."""
    back_url = reverse("imports:detail", args=[job.pk])
    form = forms.Form(request.POST if request.method == "POST" else None)

    def run(_data: dict[str, Any]) -> HttpResponse:
        perform(actor=request.user, job=job)
        messages.success(request, done)
        return redirect(back_url)

    return run_form_action(
        request,
        form=form,
        perform=run,
        context={
            **SECTION,
            "title": title,
            "intro": intro,
            "submit_label": submit_label,
            "danger": danger,
            "back_url": back_url,
            "back_label": job.file_name,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_resume(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Queue a failed or stalled import again; it carries on from its checkpoint."""
    job = _job(request, pk)
    row = job.rows_done + 1
    if job.status == ImportStatus.RUNNING:
        intro = _(
            "This import has not moved for more than %(minutes)d minutes: the worker running it "
            "has probably stopped. Resuming carries on from row %(row)d; rows already imported "
            "are not imported again."
        ) % {"minutes": int(IMPORT_STALLED_AFTER.total_seconds() // 60), "row": row}
    else:
        intro = _(
            "The import carries on from row %(row)d; rows already imported are not imported again."
        ) % {"row": row}
    return _confirm_page(
        request,
        job,
        perform=import_job_resume,
        title=_("Resume %(file)s?") % {"file": job.file_name},
        intro=intro,
        submit_label=_("Carry on from row %(row)d") % {"row": row},
        done=_("The import will carry on from row %(row)d.") % {"row": row},
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_cancel(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Stop an import for good; the rows already imported stay."""
    job = _job(request, pk)
    return _confirm_page(
        request,
        job,
        perform=import_job_cancel,
        title=_("Cancel %(file)s?") % {"file": job.file_name},
        intro=_(
            "No more rows of this file will be imported. The %(rows)d rows already read stay as "
            "they are, and their results can still be downloaded. This cannot be undone: to "
            "import the rest later, upload the file again."
        )
        % {"rows": job.rows_done},
        submit_label=_("Cancel the import"),
        done=_("The import is cancelled."),
        danger=True,
    )


@login_required
def import_results(request: AuthenticatedRequest, pk: int) -> StreamingHttpResponse:
    """The results file: one line per row read so far (row, external_id, outcome, lead_id, reason)."""
    job = _job(request, pk)
    response = StreamingHttpResponse(
        import_results_lines(job), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-results.csv"'
    return response
