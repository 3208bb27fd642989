"""Import pages: upload a list, map its columns with a preview, follow the job, download results.

Marketers, heads of sales and admins only. Writes go through
``leadflow.intake.importing`` (the job services); the import itself runs in
``leadflow worker``.
"""

from __future__ import annotations

import re
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from leadflow.intake.import_forms import ImportMappingForm, ImportUploadForm
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
from leadflow.web.forms import add_service_error
from leadflow.web.shortcuts import AuthenticatedRequest, is_partial

SECTION = {"section": "imports"}
RECENT_IMPORTS = 50


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
    jobs = import_jobs_visible_to(request.user).order_by("-pk")[:RECENT_IMPORTS]
    return render(
        request,
        "intake/import_list.html",
        {**SECTION, "form": form, "jobs": jobs, "recent": RECENT_IMPORTS},
    )


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
    context = {
        **SECTION,
        "job": job,
        "counts": _counts(job),
        "running": job.status in (ImportStatus.PENDING, ImportStatus.RUNNING),
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


@login_required
@require_POST
def import_resume(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Queue an interrupted import again; it carries on from its checkpoint."""
    job = _job(request, pk)
    try:
        import_job_start(actor=request.user, job=job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("The import will carry on from row %(row)d.") % {"row": job.rows_done + 1}
        )
    return redirect("imports:detail", pk=job.pk)


@login_required
def import_results(request: AuthenticatedRequest, pk: int) -> StreamingHttpResponse:
    """The results file: one line per row read so far (row, external_id, outcome, lead_id, reason)."""
    job = _job(request, pk)
    response = StreamingHttpResponse(
        import_results_lines(job), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-results.csv"'
    return response
