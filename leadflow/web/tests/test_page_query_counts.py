"""List pages cost the same number of queries at 3 rows as at 30 (no N+1, no COUNT(*))."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from leadflow.accounts.models import User
from leadflow.factories import make_activity, make_company, make_contact, make_deal, make_lead
from leadflow.sales.models import Stage

pytestmark = pytest.mark.django_db

# Session, user, the rows, the filter menus, the notification badge: a handful, whatever the rows.
MOST_QUERIES_ANY_LIST_PAGE_MAY_RUN = 10


def grow_leads(owner: User, n: int) -> str:
    for _ in range(n):
        make_lead(actor=owner, owner=owner, company_name="Acme")
    return "/leads/"


def grow_contacts(owner: User, n: int) -> str:
    company = make_company(owner=owner)
    for _ in range(n):
        make_contact(owner=owner, company=company)
    return "/contacts/"


def grow_companies(owner: User, n: int) -> str:
    for _ in range(n):
        make_company(owner=owner)
    return "/companies/"


def grow_board(owner: User, n: int) -> str:
    stages = list(Stage.objects.filter(pipeline__slug="sales", kind="open"))
    for i in range(n):
        contact = make_contact(owner=owner)
        make_deal(owner=owner, contact=contact, stage=stages[i % len(stages)])
    return "/deals/"


def grow_tasks(owner: User, n: int) -> str:
    lead = make_lead(actor=owner, owner=owner)
    for _ in range(n):
        make_activity(owner=owner, lead=lead, kind="task", due_at=timezone.now())
    return "/tasks/"


@pytest.mark.parametrize(
    "grow",
    [grow_leads, grow_contacts, grow_companies, grow_board, grow_tasks],
    ids=["lead list", "contact list", "company list", "deal board", "my tasks"],
)
def test_a_page_costs_the_same_queries_at_3_rows_as_at_30(
    client: Client,
    rhys: User,
    grow: Callable[[User, int], str],
    django_assert_max_num_queries: Any,
) -> None:
    client.force_login(rhys)
    url = grow(rhys, 3)
    client.get(url)  # warm caches (content types, sessions) outside the measurement
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    assert len(small) <= MOST_QUERIES_ANY_LIST_PAGE_MAY_RUN, [q["sql"] for q in small]
    grow(rhys, 27)
    with django_assert_max_num_queries(len(small)):
        response = client.get(url)
    assert response.status_code == 200
    assert not any("COUNT(" in q["sql"].upper() for q in small if "notification" not in q["sql"])
