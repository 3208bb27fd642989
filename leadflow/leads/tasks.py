"""Background work on leads: scoring and routing the leads intake recorded."""

from __future__ import annotations

from leadflow.core.tasks import background_task


@background_task()
def leads_triage_pending() -> int:
    """Score and route every lead waiting for it; queued when intake records one."""
    from leadflow.leads.services import leads_triage

    return leads_triage()
