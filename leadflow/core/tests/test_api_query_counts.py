"""Every API list costs the same number of queries at 5 rows as at 30 (no N+1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadflow.accounts.models import User
from leadflow.core.tests.api_client import ApiClient
from leadflow.factories import make_activity, make_company, make_contact, make_deal, make_lead
from leadflow.leads.services import lead_assign, lead_update
from leadflow.sales.models import Pipeline, Stage
from leadflow.sales.services import contact_update, deal_move_stage

pytestmark = pytest.mark.django_db

# Authentication is one query (the token with its user and team); each list
# one more, events two (the record, then its history), pipelines two (the
# pipelines, then all their stages).
MAX_QUERIES = 3


def grow_leads(user: User, n: int, state: dict[str, Any]) -> str:
    for _ in range(n):
        lead_assign(actor=None, lead=make_lead(), owner=user)
    return "/leads"


def grow_contacts(user: User, n: int, state: dict[str, Any]) -> str:
    company = state.setdefault("company", make_company(owner=user))
    for _ in range(n):
        make_contact(owner=user, company=company)
    return "/contacts"


def grow_companies(user: User, n: int, state: dict[str, Any]) -> str:
    for _ in range(n):
        make_company(owner=user)
    return "/companies"


def grow_deals(user: User, n: int, state: dict[str, Any]) -> str:
    for _ in range(n):
        make_deal(owner=user, contact=make_contact(owner=user))
    return "/deals"


def grow_activities(user: User, n: int, state: dict[str, Any]) -> str:
    lead = state.setdefault("lead", make_lead())
    for _ in range(n):
        make_activity(owner=user, lead=lead)
    return "/activities"


def grow_lead_events(user: User, n: int, state: dict[str, Any]) -> str:
    lead = state.setdefault("lead", lead_assign(actor=user, lead=make_lead(), owner=user))
    for i in range(n):
        lead = lead_update(actor=user, lead=lead, version=None, city=f"City {i} of {n}")
    state["lead"] = lead
    return f"/leads/{lead.pk}/events"


def grow_contact_events(user: User, n: int, state: dict[str, Any]) -> str:
    contact = state.setdefault("contact", make_contact(owner=user))
    for i in range(n):
        contact = contact_update(actor=user, contact=contact, version=None, city=f"C{i}{n}")
    return f"/contacts/{contact.pk}/events"


def grow_deal_events(user: User, n: int, state: dict[str, Any]) -> str:
    deal = state.setdefault("deal", make_deal(owner=user))
    first, second = Stage.objects.filter(pipeline=deal.pipeline, kind="open").order_by("order")[:2]
    for _ in range(n):
        stage = second if deal.stage_id == first.pk else first
        deal = deal_move_stage(actor=user, deal=deal, stage=stage)
    state["deal"] = deal
    return f"/deals/{deal.pk}/events"


def grow_pipelines(user: User, n: int, state: dict[str, Any]) -> str:
    start = Pipeline.objects.count()
    for i in range(start, start + n):
        pipeline = Pipeline.objects.create(name=f"Pipeline {i}", slug=f"pipeline-{i}")
        Stage.objects.create(pipeline=pipeline, name="Open", slug="open", order=1, probability=10)
    return "/pipelines"


LISTS: dict[str, Callable[[User, int, dict[str, Any]], str]] = {
    "leads": grow_leads,
    "contacts": grow_contacts,
    "companies": grow_companies,
    "deals": grow_deals,
    "activities": grow_activities,
    "lead events": grow_lead_events,
    "contact events": grow_contact_events,
    "deal events": grow_deal_events,
    "pipelines": grow_pipelines,
}


@pytest.mark.parametrize("role", ["harriet", "mia"])
@pytest.mark.parametrize("name", LISTS)
def test_a_list_costs_the_same_queries_at_5_rows_as_at_30(
    name: str,
    role: str,
    request: pytest.FixtureRequest,
    django_assert_max_num_queries: Any,
) -> None:
    user = request.getfixturevalue(role)
    grow = LISTS[name]
    state: dict[str, Any] = {}
    api = ApiClient(user)
    api.get("/me")  # the first use of a token also records when it was used

    path = grow(user, 5, state)
    with django_assert_max_num_queries(MAX_QUERIES) as few:
        small = api.get(path)
    path = grow(user, 25, state)
    with django_assert_max_num_queries(MAX_QUERIES) as many:
        large = api.get(path)

    assert small.status_code == large.status_code == 200
    assert len(large.json()["items"]) >= 30
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_me_endpoint_is_two_queries_at_most(rhys: User) -> None:
    api = ApiClient(rhys)
    api.get("/me")

    with CaptureQueriesContext(connection) as queries:
        api.get("/me")

    assert len(queries.captured_queries) <= 2
