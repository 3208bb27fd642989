"""Whether a lead meets a routing rule's conditions."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leadflow.leads.models import Lead
    from leadflow.routing.models import RoutingRule

# Custom attributes that carry a company's size (employees), in the order they are read.
COMPANY_SIZE_ATTRIBUTES = ("company_size", "employees", "employee_count")

_NUMBER = re.compile(r"\d[\d,. ]*")


def company_size(lead: Lead) -> int | None:
    """The lead's company size from its custom attributes, or None if it has none.

    Imports bring sizes as written by people: ``250``, ``"1,200"``, ``"51-200"``
    (a band: its lower bound counts) or ``"500+"``.
    """
    custom = lead.custom or {}
    for name in COMPANY_SIZE_ATTRIBUTES:
        value = custom.get(name)
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            return int(value)
        match = _NUMBER.search(str(value))
        if match:
            digits = re.sub(r"[^\d]", "", match.group().split(".")[0])
            if digits:
                return int(digits)
    return None


def _in(value: str, allowed: list[Any]) -> bool:
    return not allowed or value.casefold() in {str(item).casefold() for item in allowed}


def rule_matches(rule: RoutingRule, lead: Lead) -> bool:
    """Every condition the rule sets holds for the lead (an unset condition always holds).

    The rule's channels and campaigns should be prefetched; they are read as
    id sets so that checking many rules costs no queries.
    """
    if not _in(lead.temperature, rule.temperatures):
        return False
    if not _in(lead.funnel_class, rule.funnel_classes):
        return False
    if rule.score_min is not None and lead.score < rule.score_min:
        return False
    if rule.score_max is not None and lead.score > rule.score_max:
        return False
    channel_ids = {channel.pk for channel in rule.channels.all()}
    if channel_ids and lead.channel_id not in channel_ids:
        return False
    campaign_ids = {campaign.pk for campaign in rule.campaigns.all()}
    if campaign_ids and lead.campaign_id not in campaign_ids:
        return False
    if not _in(lead.country, rule.countries):
        return False
    if not _in(lead.region, rule.regions):
        return False
    if not _in(lead.language, rule.languages):
        return False
    if rule.company_size_min is not None or rule.company_size_max is not None:
        size = company_size(lead)
        if size is None:
            return False
        if rule.company_size_min is not None and size < rule.company_size_min:
            return False
        if rule.company_size_max is not None and size > rule.company_size_max:
            return False
    if rule.custom_attribute:
        value = (lead.custom or {}).get(rule.custom_attribute)
        if value is None or str(value).strip().casefold() != rule.custom_value.strip().casefold():
            return False
    return True
