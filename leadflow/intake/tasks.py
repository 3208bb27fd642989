"""Background work of intake: running imports, scoring what they created."""

from __future__ import annotations

from leadflow.core.tasks import background_task


@background_task()
def import_job_run_task(job_id: int) -> int:
    """Run (or resume) an import in ``leadflow worker``; returns the rows done."""
    from leadflow.intake.importing import import_job_run
    from leadflow.intake.models import ImportJob

    job = ImportJob.objects.get(pk=job_id)
    return import_job_run(job=job).rows_done


@background_task()
def imported_leads_score(lead_ids: list[int]) -> int:
    """Score the leads one import batch created (queued when the batch commits)."""
    from leadflow.scoring.services import leads_score_refresh

    return leads_score_refresh(lead_ids=lead_ids)
