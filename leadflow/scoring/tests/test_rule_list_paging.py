"""The scoring and funnel rule lists: each paged on its own, an empty state, delete asks first."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from leadflow.accounts.models import User
from leadflow.scoring.models import QualificationRule, ScoringRule
from leadflow.web.shortcuts import LIST_PAGE_SIZE

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_default_rules() -> None:
    ScoringRule.objects.all().delete()
    QualificationRule.objects.all().delete()


def rows(html: str, prefix: str) -> list[str]:
    return re.findall(rf'<th scope="row" data-label="Rule">({prefix} \d\d)</th>', html)


def test_points_and_funnel_rules_page_independently(client: Client, mia: User) -> None:
    for n in range(1, LIST_PAGE_SIZE + 2):
        ScoringRule.objects.create(
            name=f"Points {n:02d}", field="channel", operator="eq", value="api", points=n
        )
    for n in range(1, 4):
        QualificationRule.objects.create(
            name=f"Funnel {n:02d}", field="score", operator="gte", value="50", funnel_class="mql"
        )
    client.force_login(mia)

    first = client.get("/scoring/").content.decode()
    second = client.get("/scoring/?page=2").content.decode()

    assert len(rows(first, "Points")) == LIST_PAGE_SIZE
    assert rows(second, "Points") == [f"Points {LIST_PAGE_SIZE + 1}"]
    assert "Rules 26–26 of 26" in second
    assert 'href="/scoring/?page=2"' in first
    # The funnel list, short enough for one page, is there in full on both and has no pager.
    assert (
        rows(first, "Funnel") == rows(second, "Funnel") == ["Funnel 01", "Funnel 02", "Funnel 03"]
    )
    assert "funnel_page" not in first


def test_the_funnel_list_pages_without_moving_the_points_list(client: Client, mia: User) -> None:
    for n in range(1, LIST_PAGE_SIZE + 3):
        QualificationRule.objects.create(
            name=f"Funnel {n:02d}", field="score", operator="gte", value="50", funnel_class="sql"
        )
    ScoringRule.objects.create(
        name="Points 01", field="channel", operator="eq", value="api", points=1
    )
    client.force_login(mia)

    html = client.get("/scoring/?page=1&funnel_page=2").content.decode()

    assert rows(html, "Funnel") == ["Funnel 26", "Funnel 27"]
    assert rows(html, "Points") == ["Points 01"]
    assert 'href="/scoring/?page=1&amp;funnel_page=1"' in html


def test_with_no_rules_both_lists_say_what_to_do(client: Client, rhys: User) -> None:
    client.force_login(rhys)

    html = client.get("/scoring/").content.decode()

    assert "No scoring rules" in html and "No funnel rules" in html
    assert "<table" not in html


def test_deleting_a_points_rule_asks_first_and_a_get_deletes_nothing(
    client: Client, mia: User
) -> None:
    rule = ScoringRule.objects.create(
        name="Came by API", field="channel", operator="eq", value="api", points=5
    )
    client.force_login(mia)
    listing = client.get("/scoring/").content.decode()
    assert f'href="/scoring/rules/{rule.pk}/delete/"' in listing

    confirm = client.get(f"/scoring/rules/{rule.pk}/delete/").content.decode()

    assert 'data-confirm="Delete this rule?"' in confirm
    assert "Leads lose the points this rule gave them." in confirm
    assert ScoringRule.objects.filter(pk=rule.pk).exists()
    client.post(f"/scoring/rules/{rule.pk}/delete/", {"version": rule.version})
    assert not ScoringRule.objects.filter(pk=rule.pk).exists()
