from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from leadflow.core.pagination import keyset_paginate
from leadflow.factories import make_deal
from leadflow.intake.models import Channel
from leadflow.leads.models import Lead
from leadflow.leads.services import lead_create
from leadflow.sales.models import Deal

pytestmark = pytest.mark.django_db


@pytest.fixture
def leads() -> list[Lead]:
    web = Channel.objects.get(slug="web-form")
    # Repeated surnames, so the id tie-breaker matters.
    return [
        lead_create(
            actor=None,
            channel=web,
            first_name="P",
            last_name=f"N{i % 4}",
            email=f"p{i}@example.com",
        )
        for i in range(23)
    ]


def walk(ordering: str, limit: int) -> list[int]:
    seen: list[int] = []
    cursor = None
    while True:
        page = keyset_paginate(Lead.objects.all(), ordering=ordering, cursor=cursor, limit=limit)
        seen.extend(lead.pk for lead in page.items)
        if not page.next_cursor:
            return seen
        cursor = page.next_cursor


@pytest.mark.parametrize("ordering", ["last_name", "-last_name", "created_at", "-created_at"])
def test_walking_forward_visits_every_row_once_in_order(leads: list[Lead], ordering: str) -> None:
    field = ordering.lstrip("-")
    expected = [
        lead.pk
        for lead in sorted(
            leads,
            key=lambda lead: (getattr(lead, field), lead.pk),
            reverse=ordering.startswith("-"),
        )
    ]
    assert walk(ordering, limit=5) == expected


def test_walking_back_returns_the_previous_page(leads: list[Lead]) -> None:
    first = keyset_paginate(Lead.objects.all(), ordering="last_name", limit=5)
    second = keyset_paginate(
        Lead.objects.all(), ordering="last_name", cursor=first.next_cursor, limit=5
    )
    third = keyset_paginate(
        Lead.objects.all(), ordering="last_name", cursor=second.next_cursor, limit=5
    )
    back = keyset_paginate(
        Lead.objects.all(), ordering="last_name", cursor=third.previous_cursor, limit=5
    )
    assert [lead.pk for lead in back.items] == [lead.pk for lead in second.items]
    assert first.previous_cursor is None


def test_nulls_come_last_both_ways(db: None) -> None:
    deals = [make_deal(amount=None) for _ in range(3)] + [make_deal() for _ in range(4)]
    pages = []
    cursor = None
    while True:
        page = keyset_paginate(Deal.objects.all(), ordering="-amount", cursor=cursor, limit=2)
        pages.extend(page.items)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert len(pages) == len(deals) == len({d.pk for d in pages})
    assert [d.amount is None for d in pages] == [False] * 4 + [True] * 3


def test_a_forged_cursor_is_a_validation_error(leads: list[Lead]) -> None:
    with pytest.raises(ValidationError):
        keyset_paginate(Lead.objects.all(), ordering="last_name", cursor="not-a-cursor!", limit=5)
