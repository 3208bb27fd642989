from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from leadflow.accounts.models import User
from leadflow.activities.models import Notification
from leadflow.activities.selectors import my_tasks
from leadflow.activities.services import activity_complete, activity_create, notification_send
from leadflow.core.models import Event, EventKind
from leadflow.factories import make_activity, make_lead
from leadflow.leads.models import Lead, LeadStatus
from leadflow.leads.services import lead_update

pytestmark = pytest.mark.django_db


def test_logging_a_done_call_starts_work_on_a_new_lead(rhys: User) -> None:
    lead = make_lead(actor=rhys)
    activity_create(
        actor=rhys,
        kind="call",
        subject="First call",
        lead=lead,
        done_at=timezone.now(),
        outcome="Interested",
    )
    lead.refresh_from_db()
    assert lead.status == LeadStatus.WORKING
    assert (
        Event.objects.filter(lead=lead, kind=EventKind.ACTIVITY_LOGGED, to_value="call").count()
        == 1
    )
    assert Event.objects.filter(
        lead=lead, kind=EventKind.STATUS_CHANGED, to_value="working"
    ).exists()


def test_an_activity_must_belong_to_something_and_have_a_subject(rhys: User) -> None:
    with pytest.raises(ValidationError) as exc:
        activity_create(actor=rhys, kind="call", subject=" ")
    assert {"subject", "lead"} <= set(exc.value.message_dict)


def test_an_unknown_kind_is_refused(rhys: User) -> None:
    with pytest.raises(ValidationError):
        activity_create(actor=rhys, kind="telegram", subject="Hi", lead=make_lead(actor=rhys))


def test_the_head_of_sales_sets_a_task_for_a_rep_and_the_rep_is_told(
    harriet: User, rhys: User
) -> None:
    lead = make_lead(actor=harriet)
    due = timezone.now() + datetime.timedelta(days=1)
    task = activity_create(
        actor=harriet,
        kind="proposal",
        subject="Write and send a proposal",
        lead=lead,
        owner=rhys,
        due_at=due,
    )
    assert task.owner == rhys and task.team == rhys.team
    assert Notification.objects.filter(
        user=rhys, text__contains="Write and send a proposal"
    ).exists()
    assert my_tasks(user=rhys) == [task]


def test_my_tasks_lists_open_tasks_soonest_first(rhys: User) -> None:
    lead = make_lead(actor=rhys)
    now = timezone.now()
    later = make_activity(
        owner=rhys, lead=lead, subject="later", due_at=now + datetime.timedelta(days=2)
    )
    overdue = make_activity(
        owner=rhys, lead=lead, subject="overdue", due_at=now - datetime.timedelta(hours=1)
    )
    undated = make_activity(owner=rhys, lead=lead, subject="whenever")
    done = make_activity(owner=rhys, lead=lead, subject="done", due_at=now)
    activity_complete(actor=rhys, activity=done, outcome="ok")
    assert my_tasks(user=rhys) == [overdue, later, undated]


def test_completing_twice_is_refused(rhys: User) -> None:
    activity = make_activity(owner=rhys, lead=make_lead(actor=rhys))
    activity_complete(actor=rhys, activity=activity, outcome="Reached them")
    with pytest.raises(ValidationError):
        activity_complete(actor=rhys, activity=activity)


def test_logging_on_a_stale_copy_of_a_lead_does_not_turn_its_version_back(rhys: User) -> None:
    lead = make_lead(actor=rhys)
    stale = Lead.objects.get(pk=lead.pk)
    lead_update(actor=rhys, lead=lead, version=1, job_title="CTO")
    lead_update(actor=rhys, lead=lead, version=2, job_title="CEO")
    activity_create(actor=rhys, kind="call", subject="Call", lead=stale, done_at=timezone.now())
    lead.refresh_from_db()
    assert lead.version == 4 and lead.status == LeadStatus.WORKING and lead.job_title == "CEO"


def test_an_email_notification_is_mailed_after_commit(
    rhys: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(user=rhys, text="A hot lead for you", url="/leads/1/", email=True)
        assert mail.outbox == []
    [message] = mail.outbox
    assert message.to == [rhys.email] and "/leads/1/" in message.body
    assert Notification.objects.filter(user=rhys, text="A hot lead for you").exists()
