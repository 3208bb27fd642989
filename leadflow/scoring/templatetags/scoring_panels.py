"""``{% lead_score_panel lead %}``: the lead card's score panel (rules that fired, top factors)."""

from __future__ import annotations

from typing import Any

from django import template

from leadflow.leads.models import Lead
from leadflow.scoring import selectors

register = template.Library()


@register.inclusion_tag("scoring/_lead_score.html")
def lead_score_panel(lead: Lead) -> dict[str, Any]:
    detail = selectors.lead_score_detail(lead=lead)
    return {
        "lead": lead,
        "detail": detail,
        "factors": selectors.lead_factors(lead=lead),
        "probability_percent": (
            round(100 * lead.predicted_probability)
            if lead.predicted_probability is not None
            else None
        ),
    }
