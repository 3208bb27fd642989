"""A record's history as people read it: events and activities in one list.

Events store changed values as text ids (a user id, a stage id, a status);
this turns them into names, with one query for the users named.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from leadflow.accounts.selectors import users_by_id
from leadflow.activities.models import Activity
from leadflow.core.models import Event, EventKind
from leadflow.leads.models import LeadStatus, Temperature
from leadflow.sales.models import DealStatus

if TYPE_CHECKING:
    from leadflow.accounts.models import User


@dataclass(frozen=True)
class TimelineEntry:
    when: datetime.datetime
    title: str
    detail: str
    actor: Any
    activity: Activity | None = None

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
    if kind in (EventKind.STATUS_CHANGED, EventKind.TEMPERATURE_CHANGED, EventKind.CONVERTED):
        old = _label(event.from_value, LeadStatus, DealStatus, Temperature)
        new = _label(event.to_value, LeadStatus, DealStatus, Temperature)
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
    entries: list[TimelineEntry] = []
    for item in items:
        if isinstance(item, Event):
            entries.append(
                TimelineEntry(
                    when=item.occurred_at,
                    title=item.get_kind_display(),
                    detail=_describe(item, users, stages or {}),
                    actor=item.actor,
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
