"""Leads arriving at once under round robin: one owner each, turns shared out evenly.

Runs on SQLite (writers queue for the database lock) and, with
LEADFLOW_DATABASE_URL pointing at PostgreSQL, on PostgreSQL, where the
rule row's FOR UPDATE lock is what keeps round robin's place consistent.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from leadflow.accounts.models import Role, Team
from leadflow.core.models import Event, EventKind
from leadflow.factories import channel, make_team, make_user
from leadflow.leads.models import Lead
from leadflow.leads.services import lead_create
from leadflow.routing.models import FirstResponse, RoutingRule, Strategy
from leadflow.routing.services import routing_rule_create

LEADS = 50


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("strategy", [Strategy.ROUND_ROBIN, Strategy.LEAST_LOADED])
def test_fifty_leads_arriving_at_once_get_one_owner_each_and_even_shares(strategy: str) -> None:
    team: Team = make_team("East")
    reps = [make_user(f"rep{n}", Role.SALES_REP, team) for n in range(7)]
    routing_rule_create(actor=None, name="East", strategy=strategy, team=team)
    web = channel()
    start = threading.Barrier(10)
    errors: list[BaseException] = []

    def arrive(worker: int) -> None:
        try:
            start.wait()
            for n in range(LEADS // 10):
                lead_create(
                    actor=None,
                    channel=web,
                    first_name=f"W{worker}",
                    last_name=f"L{n}",
                    email=f"w{worker}.{n}@example.com",
                )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=arrive, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    leads = list(Lead.objects.all())
    assert len(leads) == LEADS
    assert all(lead.owner_id is not None for lead in leads)
    # One assignment per lead: no lead was given to two people.
    assignments = Counter(
        Event.objects.filter(kind=EventKind.OWNER_CHANGED).values_list("lead_id", flat=True)
    )
    assert set(assignments.values()) == {1} and len(assignments) == LEADS
    shares = Counter(lead.owner_id for lead in leads)
    assert set(shares) == {rep.pk for rep in reps}
    assert max(shares.values()) - min(shares.values()) <= 1
    assert FirstResponse.objects.count() == LEADS
    assert RoutingRule.objects.get().last_assigned_id in shares
