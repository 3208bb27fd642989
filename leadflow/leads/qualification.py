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
