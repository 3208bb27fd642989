"""Who works a lead: routing rules, strategies and the first-response SLA."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from leadflow.accounts.models import User
    from leadflow.leads.models import Lead


def lead_route(*, lead: Lead, actor: User | None) -> Lead:
    """Called for every new lead, inside the transaction that created it."""
    return lead
