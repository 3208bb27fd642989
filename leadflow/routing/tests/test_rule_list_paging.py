"""The routing rule list in pages: numbers across the whole order, moves across a page break."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from leadflow.accounts.models import Team, User
from leadflow.routing.models import RoutingRule
from leadflow.routing.services import routing_rule_create
from leadflow.web.shortcuts import LIST_PAGE_SIZE

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules(north: Team) -> list[RoutingRule]:
    RoutingRule.objects.all().delete()
    return [
        routing_rule_create(actor=None, name=f"Rule {n:02d}", strategy="round_robin", team=north)
        for n in range(1, LIST_PAGE_SIZE + 3)
    ]


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def names_on(html: str) -> list[str]:
    return re.findall(r">(Rule \d\d)<", html)


def test_the_list_shows_one_page_of_rules_with_a_link_to_the_next(
    client: Client, harriet: User, rules: list[RoutingRule]
) -> None:
    client.force_login(harriet)

    first = page(client, "/routing/rules/")
    second = page(client, "/routing/rules/?page=2")

    assert names_on(first) == [f"Rule {n:02d}" for n in range(1, LIST_PAGE_SIZE + 1)]
    assert 'rel="next" href="/routing/rules/?page=2"' in first
    assert names_on(second) == ["Rule 26", "Rule 27"]
    assert 'rel="prev" href="/routing/rules/?page=1"' in second
    assert "Rules 26–27 of 27" in second
    # Numbers count through the whole order, not from 1 on each page.
    assert re.search(r'data-label="#" class="num">26<', second)
    # Only the very last rule cannot move down; the first on page 2 can move up.
    assert second.count("disabled") == 1


def test_a_page_number_out_of_range_shows_the_nearest_page(
    client: Client, harriet: User, rules: list[RoutingRule]
) -> None:
    client.force_login(harriet)

    assert names_on(page(client, "/routing/rules/?page=99")) == ["Rule 26", "Rule 27"]
    assert names_on(page(client, "/routing/rules/?page=x"))[0] == "Rule 01"


def test_moving_the_first_rule_of_a_page_up_crosses_to_the_page_before(
    client: Client, harriet: User, rules: list[RoutingRule]
) -> None:
    client.force_login(harriet)
    moved = rules[LIST_PAGE_SIZE]  # Rule 26, first on page 2

    response = client.post(f"/routing/rules/{moved.pk}/move/", {"direction": "up"})

    assert response.status_code == 302
    assert response["Location"] == f"/routing/rules/#rule-{moved.pk}"
    order = list(RoutingRule.objects.order_by("position", "id").values_list("name", flat=True))
    assert order[LIST_PAGE_SIZE - 1 : LIST_PAGE_SIZE + 1] == ["Rule 26", "Rule 25"]
    assert names_on(page(client, "/routing/rules/"))[-1] == "Rule 26"

    back = client.post(f"/routing/rules/{moved.pk}/move/", {"direction": "down"})

    assert back["Location"] == f"/routing/rules/?page=2#rule-{moved.pk}"
    assert names_on(page(client, "/routing/rules/?page=2")) == ["Rule 26", "Rule 27"]
