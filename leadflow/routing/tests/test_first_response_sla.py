"""Every new lead's first task is due by its temperature; late ones escalate. Clock controlled."""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import pytest
from django.core.management import call_command

from leadflow.accounts.models import Team, User
from leadflow.activities.models import Activity, Notification
from leadflow.activities.services import activity_complete
from leadflow.core.models import Event, EventKind
from leadflow.factories import make_lead
from leadflow.leads.models import Lead
from leadflow.leads.services import lead_reject
from leadflow.routing.models import FirstResponse, Strategy
from leadflow.routing.services import response_target_set, routing_rule_create, sla_check
from leadflow.routing.sla import add_business_days
from leadflow.routing.tasks import routing_sla_check
from leadflow.web.timeline import timeline_entries

pytestmark = pytest.mark.django_db

# A Friday morning, UTC (the test settings' time zone).
FRIDAY = datetime.datetime(2026, 3, 6, 10, 0, tzinfo=datetime.UTC)


@contextmanager
def clock(at: datetime.datetime) -> Iterator[None]:
    with mock.patch("django.utils.timezone.now", return_value=at):
        yield


def minutes(n: float) -> datetime.timedelta:
    return datetime.timedelta(minutes=n)


def first_task(lead: Lead) -> Activity:
    return Activity.objects.get(lead=lead, subject="Contact the lead")


def test_the_first_task_is_due_15_minutes_hot_4_hours_warm_2_business_days_cold() -> None:
    with clock(FRIDAY):
        hot = make_lead(purchase_timeframe="now")
        warm = make_lead(purchase_timeframe="1_month")
        cold = make_lead()

    assert first_task(hot).due_at == FRIDAY + minutes(15)
    assert first_task(warm).due_at == FRIDAY + datetime.timedelta(hours=4)
    # Friday 10:00 + two business days = Tuesday 10:00 (the weekend does not count).
    assert first_task(cold).due_at == datetime.datetime(2026, 3, 10, 10, 0, tzinfo=datetime.UTC)
    assert FirstResponse.objects.get(lead=hot).due_at == FRIDAY + minutes(15)


def test_business_days_skip_the_weekend_from_any_day() -> None:
    saturday = FRIDAY + datetime.timedelta(days=1)
    wednesday = FRIDAY + datetime.timedelta(days=5)

    assert add_business_days(saturday, 1).date() == datetime.date(2026, 3, 9)
    assert add_business_days(wednesday, 2).date() == datetime.date(2026, 3, 13)
    assert add_business_days(wednesday, 3).date() == datetime.date(2026, 3, 16)


def test_the_head_of_sales_sets_the_first_response_targets(harriet: User) -> None:
    response_target_set(actor=harriet, temperature="hot", minutes=5, business_days=0)
    response_target_set(actor=harriet, temperature="cold", minutes=60, business_days=1)

    with clock(FRIDAY):
        hot = make_lead(purchase_timeframe="now")
        cold = make_lead()

    assert first_task(hot).due_at == FRIDAY + minutes(5)
    assert first_task(cold).due_at == datetime.datetime(2026, 3, 9, 11, 0, tzinfo=datetime.UTC)


def test_a_first_response_target_needs_some_time(harriet: User) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        response_target_set(actor=harriet, temperature="hot", minutes=0, business_days=0)

    assert "minutes" in refused.value.message_dict


def round_robin_north(north: Team, **fields: object) -> None:
    routing_rule_create(
        actor=None,
        name="North",
        strategy=Strategy.ROUND_ROBIN,
        team=north,
        **fields,  # type: ignore[arg-type]
    )


def test_nothing_happens_before_the_first_task_is_due(north: Team, rhys: User) -> None:
    round_robin_north(north)
    with clock(FRIDAY):
        lead = make_lead(purchase_timeframe="now")

    report = sla_check(now=FRIDAY + minutes(14))

    assert (report.met, report.breached) == (0, 0)
    assert not Event.objects.filter(lead=lead, kind=EventKind.SLA_BREACHED).exists()


def test_a_late_first_response_is_recorded_and_the_owner_and_head_of_sales_are_told(
    north: Team, harriet: User, rhys: User
) -> None:
    round_robin_north(north)
    with clock(FRIDAY):
        lead = make_lead(purchase_timeframe="now")
    assert lead.owner == rhys

    report = sla_check(now=FRIDAY + minutes(20))

    assert (report.breached, report.reassigned, report.lead_ids) == (1, 0, [lead.pk])
    event = Event.objects.get(lead=lead, kind=EventKind.SLA_BREACHED)
    assert event.data["late_minutes"] == 5 and event.data["owner"] == "rhys"
    assert event.occurred_at is not None
    assert Notification.objects.filter(user=rhys, text__startswith="Nobody has contacted").exists()
    assert Notification.objects.filter(
        user=harriet, text__startswith="Nobody has contacted"
    ).exists()
    lead.refresh_from_db()
    assert lead.owner == rhys
    assert FirstResponse.objects.get(lead=lead).breached_at == FRIDAY + minutes(20)

    again = sla_check(now=FRIDAY + minutes(40))

    assert again.breached == 0
    assert Event.objects.filter(lead=lead, kind=EventKind.SLA_BREACHED).count() == 1


def test_a_first_task_done_in_time_meets_the_target(north: Team, rhys: User) -> None:
    round_robin_north(north)
    with clock(FRIDAY):
        lead = make_lead(purchase_timeframe="now")
    with clock(FRIDAY + minutes(10)):
        activity_complete(actor=rhys, activity=first_task(lead), outcome="Called, keen")

    report = sla_check(now=FRIDAY + minutes(30))

    assert (report.met, report.breached) == (1, 0)
    assert FirstResponse.objects.get(lead=lead).met_at == FRIDAY + minutes(10)
    assert not Event.objects.filter(lead=lead, kind=EventKind.SLA_BREACHED).exists()


def test_a_lead_closed_before_its_first_contact_does_not_breach(harriet: User) -> None:
    with clock(FRIDAY):
        lead = make_lead(purchase_timeframe="now")
        lead_reject(actor=harriet, lead=lead, reason="Spam")

    assert sla_check(now=FRIDAY + minutes(30)).breached == 0


def test_an_unassigned_lead_running_late_tells_every_head_of_sales(harriet: User) -> None:
    with clock(FRIDAY):
        lead = make_lead(purchase_timeframe="now")

    sla_check(now=FRIDAY + minutes(16))

    assert Notification.objects.get(user=harriet).url == f"/leads/{lead.pk}/"


def test_a_rule_can_hand_a_late_lead_to_the_next_person(
    north: Team, harriet: User, rhys: User, rosa: User
) -> None:
    round_robin_north(north, reassign_on_breach=True)
    with clock(FRIDAY):
        lead = make_lead(purchase_timeframe="now")
    assert lead.owner == rhys
    late = FRIDAY + minutes(20)

    with clock(late):
        report = sla_check(now=late)

    assert report.reassigned == 1
    lead.refresh_from_db()
    assert lead.owner == rosa
    handover = Event.objects.filter(lead=lead, kind=EventKind.OWNER_CHANGED).latest("pk")
    assert handover.from_value == str(rhys.pk) and handover.to_value == str(rosa.pk)
    assert handover.data["why"].startswith("first response late; round robin")
    assert handover.data["first_response_late"] is True
    history = timeline_entries([handover])
    assert "· first response late; round robin: next in turn is rosa" in history[0].because
    task = first_task(lead)
    assert task.owner == rosa and task.due_at == late + minutes(15)
    response = FirstResponse.objects.get(lead=lead)
    assert (response.breached_at, response.reassignments) == (None, 1)
    assert Notification.objects.filter(user=rosa, text__contains="new hot lead").exists()


def test_sla_check_command_settles_what_came_due(north: Team, rhys: User) -> None:
    round_robin_north(north)
    with clock(FRIDAY):
        make_lead(purchase_timeframe="now")
        make_lead(purchase_timeframe="now")
    out = io.StringIO()

    call_command("routing", "sla-check", "--now", "2026-03-06T10:30:00+00:00", stdout=out)

    assert "0 met, 2 breached, 0 reassigned" in out.getvalue()


def test_the_periodic_task_runs_the_check(north: Team, rhys: User) -> None:
    round_robin_north(north)
    with clock(FRIDAY):
        make_lead(purchase_timeframe="now")

    with clock(FRIDAY + minutes(16)):
        result = routing_sla_check.enqueue()

    assert result.return_value == {"met": 0, "breached": 1, "reassigned": 0}


def test_route_waiting_command_routes_the_unowned_leads(north: Team, rhys: User) -> None:
    lead = make_lead()
    round_robin_north(north)
    out = io.StringIO()

    call_command("routing", "route-waiting", stdout=out)

    lead.refresh_from_db()
    assert lead.owner == rhys
    assert "1 given an owner, 0 still waiting; 0 first tasks added." in out.getvalue()
