"""First-response targets per temperature: the head of sales sets them in the page and the API."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from leadflow.accounts.models import User
from leadflow.core.tests.api_client import ApiClient
from leadflow.factories import make_lead
from leadflow.leads.services import lead_assign
from leadflow.routing.models import FirstResponse

pytestmark = pytest.mark.django_db


def targets(api: ApiClient) -> dict[str, dict[str, int]]:
    items = api.get("/routing/targets").json()["items"]
    return {item["temperature"]: item for item in items}


def test_a_patch_changes_only_what_it_sends(harriet: User) -> None:
    api = ApiClient(harriet)

    answer = api.patch("/routing/targets/cold", {"minutes": 30})

    assert answer.status_code == 200
    assert answer.json() == {"temperature": "cold", "minutes": 30, "business_days": 2}
    assert targets(api)["cold"] == {"temperature": "cold", "minutes": 30, "business_days": 2}

    api.patch("/routing/targets/cold", {"business_days": 1})

    assert targets(api)["cold"]["minutes"] == 30 and targets(api)["cold"]["business_days"] == 1


def test_a_target_of_no_time_at_all_or_an_unknown_temperature_is_refused(harriet: User) -> None:
    api = ApiClient(harriet)

    nothing = api.patch("/routing/targets/hot", {"minutes": 0})
    unknown = api.patch("/routing/targets/lukewarm", {"minutes": 10})
    negative = api.patch("/routing/targets/hot", {"minutes": -5})

    assert [nothing.status_code, unknown.status_code, negative.status_code] == [422, 422, 422]
    assert targets(api)["hot"]["minutes"] == 15


def test_the_page_shows_the_targets_and_the_head_of_sales_changes_them(
    client: Client, harriet: User, rhys: User
) -> None:
    client.force_login(harriet)
    form = client.get("/routing/targets/").content.decode()
    assert 'name="hot_minutes"' in form and 'value="15"' in form

    client.post(
        "/routing/targets/",
        {
            "hot_minutes": 5,
            "hot_business_days": 0,
            "warm_minutes": 240,
            "warm_business_days": 0,
            "cold_minutes": 0,
            "cold_business_days": 2,
        },
    )
    before = timezone.now()
    lead = lead_assign(actor=None, lead=make_lead(purchase_timeframe="now"), owner=rhys)

    due = FirstResponse.objects.get(lead=lead).due_at
    assert before + datetime.timedelta(minutes=4) < due < before + datetime.timedelta(minutes=6)
    assert "5 minutes" in client.get("/routing/rules/").content.decode()
