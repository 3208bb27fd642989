"""A record's history as people read it: events and activities in one list.

Events store changed values as text ids (a user id, a stage id, a status);
this turns them into names, with one query for the users named and one for
the scoring rules named. Automatic changes also say why (``because``): the
routing rule and strategy that chose an owner, the scoring rules behind a new
score, the funnel rule that lifted a lead, what moved the temperature.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from leadflow.accounts.selectors import users_by_id
from leadflow.activities.models import Activity
from leadflow.core.models import Event, EventKind
from leadflow.leads.models import FunnelClass, LeadStatus, Temperature
from leadflow.routing.models import Strategy
from leadflow.routing.strategies import why_text
from leadflow.sales.models import DealStatus
from leadflow.scoring.models import ScoringRule

if TYPE_CHECKING:
    from leadflow.accounts.models import User


@dataclass(frozen=True)
class TimelineEntry:
    when: datetime.datetime
    title: str
    detail: str
    actor: Any
    activity: Activity | None = None
    # Why it happened, when the event says: the rule, strategy or reason.
    because: str = ""

    @property
    def is_activity(self) -> bool:
        return self.activity is not None


def _label(value: str, *choices: Any) -> str:
    for choice in choices:
        if value in choice.values:
            return str(choice(value).label)
    return value


def _user_name(value: str, users: dict[int, User]) -> str:
    if not value:
        return _("nobody")
    user = users.get(int(value)) if value.isdigit() else None
    return str(user) if user else _("user #%(id)s") % {"id": value}


def _describe(event: Event, users: dict[int, User], stages: dict[int, str]) -> str:
    data = event.data or {}
    kind = event.kind
    if kind == EventKind.OWNER_CHANGED:
        return _("%(old)s → %(new)s") % {
            "old": _user_name(event.from_value, users),
            "new": _user_name(event.to_value, users),
        }
    if kind == EventKind.STAGE_CHANGED:

        def stage(value: str) -> str:
            return stages.get(int(value), value) if value.isdigit() else value

        if not event.from_value:
            return stage(event.to_value)
        return _("%(old)s → %(new)s") % {
            "old": stage(event.from_value),
            "new": stage(event.to_value),
        }
    if kind == EventKind.UPDATED:
        return ", ".join(str(name).replace("_", " ") for name in data.get("fields", []))
    if kind == EventKind.REJECTED:
        return str(data.get("reason", ""))
    if kind == EventKind.POSTPONED:
        until = _("until %(date)s") % {"date": data.get("until", "")}
        reason = data.get("reason")
        return f"{until} — {reason}" if reason else until
    if kind == EventKind.LOST:
        return str(data.get("reason", ""))
    if kind == EventKind.WON:
        return str(data.get("amount") or "")
    if kind in (
        EventKind.STATUS_CHANGED,
        EventKind.TEMPERATURE_CHANGED,
        EventKind.FUNNEL_CLASS_CHANGED,
        EventKind.CONVERTED,
    ):
        old = _label(event.from_value, LeadStatus, DealStatus, Temperature, FunnelClass)
        new = _label(event.to_value, LeadStatus, DealStatus, Temperature, FunnelClass)
        return _("%(old)s → %(new)s") % {"old": old, "new": new} if old else new
    if kind == EventKind.INQUIRY_ATTACHED:
        matched = ", ".join(str(name).replace("_", " ") for name in data.get("matched_on", []))
        text = _("through %(channel)s, matched on %(fields)s (confidence %(confidence)s)") % {
            "channel": data.get("channel", ""),
            "fields": matched or "—",
            "confidence": data.get("confidence", ""),
        }
        if data.get("needs_review"):
            text += " — " + _("please check it is the same person")
        return text
    if kind == EventKind.SCORE_CHANGED:
        return _("%(old)s → %(new)s") % {"old": event.from_value, "new": event.to_value}
    return ""


def _skip_text(reason: str) -> str:
    """Why routing passed someone over, as stored by the strategy, in the reader's language."""
    if reason == "inactive":
        return _("inactive")
    if reason == "unavailable":
        return _("unavailable")
    if reason.startswith("at capacity "):
        return _("at capacity %(load)s") % {"load": reason.removeprefix("at capacity ")}
    return reason


def _temperature_rule_text(rule: str) -> str:
    """The automatic temperature rule an event names (``qualification.temperature_for_engagement``)."""
    if rule == "purchase timeframe":
        return _("set by the purchase timeframe")
    if rule == "positive activity":
        return _("warmed by a call, meeting or proposal that went well")
    if rule.startswith("no activity for ") and rule.endswith(" days"):
        days = rule.removeprefix("no activity for ").removesuffix(" days")
        return _("cooled: nothing done with the lead for %(days)s days") % {"days": days}
    return rule


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f"“{name}”" for name in names)


def _because(event: Event, rule_names: dict[int, str]) -> str:
    """Why an event happened, in words: the rule, strategy or a person's reason."""
    data = event.data or {}
    kind = event.kind
    parts: list[str] = []
    if kind == EventKind.OWNER_CHANGED and data.get("rule"):
        strategy = _label(str(data.get("strategy", "")), Strategy)
        parts.append(
            _("Routing rule “%(rule)s”, strategy %(strategy)s")
            % {
                "rule": data["rule"],
                "strategy": strategy.lower() if strategy else "—",
            }
        )
        # Events since the reason was stored as parts are said in the reader's
        # language; older ones in the words they were written with.
        why = why_text(data["why_parts"]) if isinstance(data.get("why_parts"), dict) else ""
        if why and data.get("first_response_late"):
            why = f"{_('first response late;')} {why}"
        why = why or str(data.get("why") or "")
        if why:
            parts.append(why)
        skipped = data.get("skipped") or {}
        if skipped:
            parts.append(
                _("passed over: %(people)s")
                % {
                    "people": ", ".join(
                        f"{name} ({_skip_text(str(reason))})" for name, reason in skipped.items()
                    )
                }
            )
    elif kind == EventKind.SCORE_CHANGED:
        rule_ids = [int(pk) for pk in data.get("rules", []) if str(pk).isdigit()]
        names = [rule_names.get(pk, _("rule #%(id)s (deleted)") % {"id": pk}) for pk in rule_ids]
        if names and data.get("model"):
            parts.append(
                _("Scoring rules that hold: %(rules)s; plus the trained model")
                % {"rules": _quoted(names)}
            )
        elif names:
            parts.append(_("Scoring rules that hold: %(rules)s") % {"rules": _quoted(names)})
        elif data.get("model"):
            parts.append(_("The trained model; no scoring rule holds"))
        elif "rules" in data:
            parts.append(_("No scoring rule holds any more"))
    elif kind == EventKind.FUNNEL_CLASS_CHANGED and data.get("rule"):
        parts.append(_("Funnel rule “%(rule)s”") % {"rule": data["rule"]})
    elif kind == EventKind.TEMPERATURE_CHANGED:
        if data.get("rule"):
            parts.append(_temperature_rule_text(str(data["rule"])))
        elif data.get("overridden") is True:
            parts.append(_("set by hand; stays until handed back to the automatic temperature"))
        elif data.get("overridden") is False:
            parts.append(_("handed back to the automatic temperature"))
    if data.get("reason") and kind in (
        EventKind.OWNER_CHANGED,
        EventKind.FUNNEL_CLASS_CHANGED,
        EventKind.TEMPERATURE_CHANGED,
    ):
        parts.append(_("Reason: %(reason)s") % {"reason": data["reason"]})
    return " · ".join(parts)


def _scoring_rule_names(items: Sequence[Any]) -> dict[int, str]:
    ids = {
        int(pk)
        for item in items
        if isinstance(item, Event) and item.kind == EventKind.SCORE_CHANGED
        for pk in (item.data or {}).get("rules", [])
        if str(pk).isdigit()
    }
    if not ids:
        return {}
    return dict(ScoringRule.objects.filter(pk__in=ids).values_list("pk", "name"))


def timeline_entries(items: Iterable[Any], *, stages: dict[int, str] | None = None) -> list[Any]:
    """Entries for a mixed, already ordered list of events and activities.

    "Activity logged" events are left out: the activity itself is in the list.
    """
    items = [
        item
        for item in items
        if not (isinstance(item, Event) and item.kind == EventKind.ACTIVITY_LOGGED)
    ]
    user_ids = [
        int(value)
        for item in items
        if isinstance(item, Event) and item.kind == EventKind.OWNER_CHANGED
        for value in (item.from_value, item.to_value)
        if value.isdigit()
    ]
    users = users_by_id(user_ids)
    rule_names = _scoring_rule_names(items)
    entries: list[TimelineEntry] = []
    for item in items:
        if isinstance(item, Event):
            entries.append(
                TimelineEntry(
                    when=item.occurred_at,
                    title=item.get_kind_display(),
                    detail=_describe(item, users, stages or {}),
                    actor=item.actor,
                    because=_because(item, rule_names),
                )
            )
        else:
            entries.append(
                TimelineEntry(
                    when=item.done_at or item.created_at,
                    title=item.get_kind_display(),
                    detail=item.subject,
                    actor=item.owner,
                    activity=item,
                )
            )
    return entries
