"""A lead's score: rule-based points and the predictive model's probability."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from leadflow.leads.models import Lead


def lead_score_refresh(*, lead: Lead) -> Lead:
    """Called whenever a lead is created or changed, inside the same transaction."""
    return lead
