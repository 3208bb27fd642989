"""Looking after import jobs from the UI: find them, resume one whose worker died, cancel one.

A job's row is saved with every committed batch, so its ``updated_at`` says
when it last moved. A job still marked running that has not moved for
``IMPORT_STALLED_AFTER`` had its worker stop under it (killed, the machine
restarted): it can be resumed from its checkpoint or cancelled. Resuming is
safe even if the first worker were alive after all: each batch commits only
if the checkpoint is where that run expects it, so one of the two runs stops.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from leadflow.accounts.models import User
from leadflow.core.pagination import Page, keyset_paginate
from leadflow.core.services import audit_record
from leadflow.intake.importing import can_import, import_job_start, import_jobs_visible_to
from leadflow.intake.models import ImportJob, ImportStatus

# A batch commits within seconds; this long without one means nobody is running the job.
IMPORT_STALLED_AFTER = datetime.timedelta(minutes=5)


def _check_allowed(actor: User | None) -> None:
    # None is the system (the command line); people need the right to import.
    if actor is not None and not can_import(actor):
        raise PermissionDenied(_("Only marketers, heads of sales and admins manage imports."))


def import_job_stalled(job: ImportJob, *, now: datetime.datetime | None = None) -> bool:
    """Marked running, but no batch committed for ``IMPORT_STALLED_AFTER``."""
    now = now or timezone.now()
    return job.status == ImportStatus.RUNNING and job.updated_at < now - IMPORT_STALLED_AFTER


@dataclass(frozen=True)
class Pace:
    """How fast a running import goes, and about how long it has left."""

    rows_per_second: float
    at: datetime.datetime  # when it was worked out
    left: datetime.timedelta | None  # None: the file's size gave no estimate of its rows

    @property
    def done_at(self) -> datetime.datetime | None:
        return None if self.left is None else self.at + self.left


# Rows and seconds a run needs behind it before its pace means something.
PACE_AFTER_ROWS = 1000
PACE_AFTER = datetime.timedelta(seconds=3)


def import_job_pace(job: ImportJob, *, now: datetime.datetime | None = None) -> Pace | None:
    """The pace of the job's latest run so far; None unless it runs and has done enough to tell."""
    now = now or timezone.now()
    if job.status != ImportStatus.RUNNING or job.run_started_at is None:
        return None
    rows = job.rows_done - job.run_first_row
    elapsed = now - job.run_started_at
    if rows < PACE_AFTER_ROWS or elapsed < PACE_AFTER:
        return None
    rate = rows / elapsed.total_seconds()
    left = None
    if job.rows_estimated:
        left = datetime.timedelta(seconds=max(job.rows_estimated - job.rows_done, 0) / rate)
    return Pace(rows_per_second=rate, at=now, left=left)


def import_job_can_cancel(job: ImportJob) -> bool:
    return job.status in (ImportStatus.PENDING, ImportStatus.RUNNING, ImportStatus.FAILED)


def import_job_can_resume(job: ImportJob, *, now: datetime.datetime | None = None) -> bool:
    return job.status == ImportStatus.FAILED or import_job_stalled(job, now=now)


def import_jobs_page(
    *, user: Any, file_name: str = "", cursor: str | None = None, limit: int = 50
) -> Page[ImportJob]:
    """One keyset page of the imports ``user`` may see, newest first, by part of the file name."""
    queryset = import_jobs_visible_to(user)
    if file_name.strip():
        queryset = queryset.filter(file_name__icontains=file_name.strip())
    return keyset_paginate(queryset, ordering="-created_at", cursor=cursor, limit=limit)


@transaction.atomic
def import_job_resume(*, actor: User | None, job: ImportJob) -> ImportJob:
    """Queue a failed or stalled import again; it carries on from its checkpoint.

    A job that is running and still moving is refused: its worker is alive.
    """
    _check_allowed(actor)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if not import_job_can_resume(job):
        if job.status == ImportStatus.RUNNING:
            raise ValidationError(
                _("This import is still running: it committed rows in the last few minutes.")
            )
        raise ValidationError(_("Only a failed or stalled import can be resumed."))
    return import_job_start(actor=actor, job=job)


@transaction.atomic
def import_job_cancel(*, actor: User | None, job: ImportJob) -> ImportJob:
    """Stop an import for good: rows already committed stay, no more are read.

    A worker still running it stops before its next batch. Importing the same
    file again starts a new job (rows already imported are recognised and
    attached, not duplicated).
    """
    _check_allowed(actor)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if not import_job_can_cancel(job):
        raise ValidationError(_("This import is over; there is nothing to cancel."))
    before = {"status": job.status, "rows_done": job.rows_done}
    job.status = ImportStatus.CANCELLED
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "finished_at", "updated_at"])
    audit_record(
        actor=actor, action="import.cancel", obj=job, before=before, after={"status": job.status}
    )
    return job
