"""Temperature from the stated purchase timeframe.

Defaults follow the sales documents: buying now is hot, deciding within about
two months is warm, anything later or unstated is cold. The warm threshold is
``LEADFLOW_WARM_WITHIN_DAYS``.
"""

from __future__ import annotations

from django.conf import settings

from leadflow.leads.models import TIMEFRAME_DAYS, Temperature


def temperature_for_timeframe(timeframe: str) -> Temperature:
    days = TIMEFRAME_DAYS.get(timeframe)
    if days is None:
        return Temperature.COLD
    if days == 0:
        return Temperature.HOT
    if days <= settings.LEADFLOW_WARM_WITHIN_DAYS:
        return Temperature.WARM
    return Temperature.COLD


# --- Temperature as activities arrive --------------------------------------------------
#
# The purchase timeframe gives the starting temperature. A done call, meeting
# or proposal whose outcome reads positive warms the lead one step for
# LEADFLOW_WARM_FOR_DAYS (default 30) days; a lead nobody has had a done
# activity with for LEADFLOW_COOL_AFTER_DAYS (default 45) days cools one
# step. A temperature a person set (``temperature_overridden``) is left alone.

WARMING_KINDS = frozenset({"call", "meeting", "proposal"})
DEFAULT_POSITIVE_WORDS = (
    "interested",
    "wants",
    "demo",
    "proposal",
    "shortlisted",
    "agreed",
    "confirmed",
    "needs confirmed",
    "ready",
    "buy",
)
_STEPS = (Temperature.COLD, Temperature.WARM, Temperature.HOT)


def positive_outcome(outcome: str) -> bool:
    """Whether an activity's outcome reads as buying interest (LEADFLOW_POSITIVE_OUTCOME_WORDS)."""
    words = getattr(settings, "LEADFLOW_POSITIVE_OUTCOME_WORDS", DEFAULT_POSITIVE_WORDS)
    text = (outcome or "").lower()
    if any(negation in text for negation in ("not interested", "no interest", "no reply")):
        return False
    return any(word in text for word in words)


def _step(temperature: Temperature, by: int) -> Temperature:
    index = _STEPS.index(temperature) + by
    return _STEPS[max(0, min(index, len(_STEPS) - 1))]


def temperature_for_engagement(
    *,
    timeframe: str,
    positive_activity_days: float | None,
    silent_days: float,
    is_open: bool = True,
) -> tuple[Temperature, str]:
    """The automatic temperature and the rule that set it: timeframe, warmed or cooled."""
    base = temperature_for_timeframe(timeframe)
    warm_for = getattr(settings, "LEADFLOW_WARM_FOR_DAYS", 30)
    cool_after = getattr(settings, "LEADFLOW_COOL_AFTER_DAYS", 45)
    if positive_activity_days is not None and positive_activity_days <= warm_for:
        return _step(base, +1), "positive activity"
    if is_open and silent_days >= cool_after:
        return _step(base, -1), f"no activity for {cool_after} days"
    return base, "purchase timeframe"
