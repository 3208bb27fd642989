"""Leads from the API are scored and routed by the background worker, once each."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.management import call_command
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from leadflow.accounts.models import Team, User
from leadflow.core.models import Event, EventKind
from leadflow.core.tests.api_client import PREFIX, ApiClient
from leadflow.leads.models import Lead
from leadflow.leads.services import leads_triage
from leadflow.leads.tasks import leads_triage_pending
from leadflow.routing.models import FirstResponse, Strategy
from leadflow.routing.services import routing_rule_create
from leadflow.scoring.services import scoring_rule_create

pytestmark = pytest.mark.django_db

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def send(client: ApiClient, n: int, **extra: str) -> Lead:
    body = {
        "first_name": f"Person{n}",
        "last_name": "Example",
        "email": f"person{n}@example.com",
        "channel": "api",
        **extra,
    }
    response = client.client.post(
        PREFIX + "/inquiries", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 201, response.json()
    return Lead.objects.get(pk=response.json()["lead_id"])


def queued() -> int:
    return DBTaskResult.objects.filter(
        task_path=leads_triage_pending.module_path, status="READY"
    ).count()


@pytest.fixture
def setup(north: Team, rhys: User, rosa: User, harriet: User) -> ApiClient:
    routing_rule_create(actor=None, name="North", strategy=Strategy.ROUND_ROBIN, team=north)
    scoring_rule_create(
        actor=harriet, name="Hot", points=30, field="temperature", operator="eq", value="hot"
    )
    return ApiClient(harriet)


def test_an_api_lead_waits_for_triage_which_scores_and_routes_each_lead_once(
    setup: ApiClient, rhys: User, rosa: User
) -> None:
    leads = [send(setup, n, purchase_timeframe="now") for n in range(3)]

    assert all(lead.triage_pending and lead.owner is None for lead in leads)
    assert not FirstResponse.objects.filter(lead__in=leads).exists()

    assert leads_triage() == 3

    owners = []
    for lead in leads:
        lead.refresh_from_db()
        owners.append(lead.owner)
        assert not lead.triage_pending
        assert lead.score >= 30  # the rule for hot leads counted
        first = FirstResponse.objects.get(lead=lead)
        # The first-contact clock started when the inquiry arrived, not when triage ran.
        assert first.due_at == lead.created_at + datetime.timedelta(minutes=15)
        assert Event.objects.filter(lead=lead, kind=EventKind.OWNER_CHANGED).count() == 1
    assert owners == [rhys, rosa, rhys]
    assert leads_triage() == 0  # nothing is routed twice


# The worker closes and reopens its connection between tasks, which a test
# wrapped in a transaction cannot survive.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@override_settings(TASKS=DATABASE_QUEUE)
def test_one_queued_run_of_leadflow_worker_triages_every_waiting_lead(
    setup: ApiClient, rhys: User, rosa: User
) -> None:
    leads = [send(setup, n) for n in range(3)]
    assert queued() == 1  # the later inquiries found a run already waiting

    call_command("worker", "--batch", "--no-startup-delay", verbosity=0)

    assert [Lead.objects.get(pk=lead.pk).owner for lead in leads] == [rhys, rosa, rhys]
    assert not Lead.objects.filter(triage_pending=True).exists()
    assert DBTaskResult.objects.get(task_path=leads_triage_pending.module_path).status == (
        "SUCCESSFUL"
    )


def test_a_lead_made_in_the_ui_is_routed_at_once(setup: ApiClient, rhys: User) -> None:
    from leadflow.factories import make_lead

    lead = make_lead()

    assert lead.owner == rhys and not lead.triage_pending
    assert queued() == 0


def test_triage_takes_the_oldest_first_and_stops_at_the_limit(setup: ApiClient) -> None:
    leads = [send(setup, n) for n in range(4)]

    assert leads_triage(limit=3) == 3

    waiting = list(Lead.objects.filter(triage_pending=True))
    assert waiting == [leads[-1]]
