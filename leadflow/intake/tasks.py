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
def imported_leads_score(lead_ids: list[int]) -> dict[str, int]:
    """Score, then route, the leads one import batch created.

    Imports queued this after each batch until their new leads were marked
    for the background triage (``leads.services.leads_triage``) instead; it
    stays for the tasks queued before. Routing comes after scoring because
    rules may ask for a score. Each lead
    is routed as a new one would be (``leads_route_waiting``): an owner by
    the first matching rule, and the first task with its due time; one that
    someone took meanwhile, or that no rule finds an owner for, is left as
    it is (in the unassigned queue).
    """
    from leadflow.routing.services import leads_route_waiting
    from leadflow.scoring.services import leads_score_refresh

    scored = leads_score_refresh(lead_ids=lead_ids)
    routed = leads_route_waiting(actor=None, lead_ids=lead_ids, limit=len(lead_ids))
    return {
        "scored": scored,
        "assigned": routed.assigned,
        "waiting": routed.still_waiting,
    }
