"""Writes to activities (calls, meetings, tasks, …) and in-app notifications."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from leadflow.activities.models import Activity, ActivityKind, Notification
from leadflow.activities.tasks import notification_email_send
from leadflow.core.models import EventKind
from leadflow.core.rows import row_insert
from leadflow.core.services import (
    audit_record,
    changed_fields,
    event_record,
    lock_for_edit,
    snapshot,
)
from leadflow.leads.services import lead_mark_working
from leadflow.scoring.services import lead_score_refresh

if TYPE_CHECKING:
    from leadflow.accounts.models import User
    from leadflow.leads.models import Lead
    from leadflow.sales.models import Contact, Deal

ACTIVITY_FIELDS = ("kind", "subject", "body", "due_at", "done_at", "outcome")


def _check(activity: Activity) -> None:
    errors: dict[str, str] = {}
    if activity.kind not in ActivityKind.values:
        errors["kind"] = _("Choose one of: %(choices)s.") % {
            "choices": ", ".join(ActivityKind.values)
        }
    if not activity.subject.strip():
        errors["subject"] = _("Give the activity a subject.")
    if not (activity.lead_id or activity.contact_id or activity.deal_id):
        errors["lead"] = _("An activity belongs to a lead, a contact or a deal.")
    if activity.done_at and activity.due_at is None and activity.kind == ActivityKind.TASK:
        activity.due_at = activity.done_at
    if errors:
        raise ValidationError(errors)
    activity.full_clean(exclude=["owner", "team", "lead", "contact", "deal", "created_by"])


def _subjects(activity: Activity) -> dict[str, Any]:
    return {"lead": activity.lead, "contact": activity.contact, "deal": activity.deal}


@transaction.atomic
def activity_create(
    *,
    actor: User | None,
    kind: str,
    subject: str,
    body: str = "",
    lead: Lead | None = None,
    contact: Contact | None = None,
    deal: Deal | None = None,
    owner: User | None = None,
    due_at: datetime.datetime | None = None,
    done_at: datetime.datetime | None = None,
    outcome: str = "",
) -> Activity:
    """Plan (``due_at``) or log (``done_at``) an activity. Owner defaults to the actor."""
    owner = owner or actor
    activity = Activity(
        kind=kind,
        subject=(subject or "").strip(),
        body=body,
        lead=lead,
        contact=contact,
        deal=deal,
        owner=owner,
        team=owner.team if owner else None,
        due_at=due_at,
        done_at=done_at,
        outcome=outcome,
        created_by=actor,
    )
    _check(activity)
    row_insert(activity)
    event_record(
        kind=EventKind.ACTIVITY_LOGGED,
        actor=actor,
        to_value=activity.kind,
        data={"activity_id": activity.pk, "done": activity.is_done},
        **_subjects(activity),
    )
    if lead is not None and activity.is_done:
        lead_mark_working(actor=actor, lead=lead)
        # Engagement changes the score and may warm the lead or qualify it.
        lead_score_refresh(lead=lead)
    audit_record(actor=actor, action="activity.create", obj=activity, after=snapshot(activity))
    if owner is not None and actor is not None and owner.pk != actor.pk:
        notification_send(
            user=owner,
            text=_("%(actor)s gave you: %(subject)s")
            % {"actor": actor, "subject": activity.subject},
            url=f"/tasks/#activity-{activity.pk}",
        )
    return activity


@transaction.atomic
def activity_update(
    *, actor: User | None, activity: Activity, version: int | None, **fields: Any
) -> Activity:
    activity = lock_for_edit(Activity.objects.all(), activity.pk, version)
    before = snapshot(activity)
    for name, value in fields.items():
        if name not in ACTIVITY_FIELDS:
            raise ValidationError(_("Unknown field “%(name)s”.") % {"name": name})
        setattr(activity, name, value)
    _check(activity)
    old, new = changed_fields(before, snapshot(activity))
    if new:
        activity.version += 1
        activity.save()
        audit_record(actor=actor, action="activity.update", obj=activity, before=old, after=new)
    return activity


@transaction.atomic
def activity_complete(
    *, actor: User | None, activity: Activity, outcome: str = "", version: int | None = None
) -> Activity:
    """Mark a planned activity done, with what came of it."""
    activity = lock_for_edit(Activity.objects.select_related("lead"), activity.pk, version)
    if activity.is_done:
        raise ValidationError(_("This activity is already done."))
    activity.done_at = timezone.now()
    activity.outcome = outcome.strip()[:255]
    activity.version += 1
    activity.save(update_fields=["done_at", "outcome", "version", "updated_at"])
    if activity.lead is not None:
        lead_mark_working(actor=actor, lead=activity.lead)
        lead_score_refresh(lead=activity.lead)
    audit_record(
        actor=actor,
        action="activity.complete",
        obj=activity,
        before={"done_at": None},
        after={"done_at": activity.done_at.isoformat(), "outcome": activity.outcome},
    )
    return activity


@transaction.atomic
def activity_delete(*, actor: User | None, activity: Activity) -> None:
    audit_record(actor=actor, action="activity.delete", obj=activity, before=snapshot(activity))
    activity.delete()


def notification_send(*, user: User, text: str, url: str = "", email: bool = False) -> Notification:
    """Tell someone in the app and, when asked, by e-mail from a background task."""
    notification = Notification.objects.create(user=user, text=text[:500], url=url)
    if email and user.email:
        # Queued after commit: the worker must find the row, and a slow mail
        # server must not hold up the request.
        transaction.on_commit(lambda: notification_email_send.enqueue(notification.pk))
    return notification


def notifications_mark_read(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
