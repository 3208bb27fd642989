"""Properties of fair routing, checked on generated teams, loads and arrivals (Hypothesis)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadflow.accounts.models import Role, Team
from leadflow.factories import make_lead, make_team, make_user
from leadflow.leads.models import Lead
from leadflow.routing.models import Strategy
from leadflow.routing.services import routing_rule_create
from leadflow.routing.strategies import Candidate, least_loaded_pick, round_robin_pick


@dataclass
class FakeUser:
    """Just what the pick functions read of a user."""

    pk: int
    capacity: int = 1000
    is_active: bool = True
    is_available: bool = True
    username: str = ""


def team_of(n: int, capacities: list[int] | None = None) -> list[FakeUser]:
    return [FakeUser(pk=10 + 3 * i, capacity=(capacities or [1000] * n)[i]) for i in range(n)]


def people(users: list[FakeUser], loads: dict[int, int]) -> list[Candidate]:
    return [Candidate(user, loads[user.pk]) for user in users]  # type: ignore[arg-type]


@given(reps=st.integers(1, 9), leads=st.integers(0, 60), start=st.integers(0, 40))
def test_round_robin_shares_differ_by_at_most_one_from_any_starting_place(
    reps: int, leads: int, start: int
) -> None:
    users = team_of(reps)
    loads = dict.fromkeys((u.pk for u in users), 0)
    last: int | None = start if start % 2 else None
    for _ in range(leads):
        picked = round_robin_pick(people(users, loads), last)
        assert picked is not None
        loads[picked.user.pk] += 1
        last = picked.user.pk
    assert max(loads.values()) - min(loads.values()) <= 1


@given(
    reps=st.integers(1, 6),
    arrivals=st.lists(st.sets(st.integers(0, 5)), min_size=1, max_size=40),
)
def test_round_robin_gives_each_lead_to_the_next_one_in_turn_who_is_in(
    reps: int, arrivals: list[set[int]]
) -> None:
    """Each arrival has its own set of people away: nobody away is picked, nobody in is skipped."""
    users = team_of(reps)
    order = [u.pk for u in users]
    last: int | None = None
    for away in arrivals:
        present = {u.pk for i, u in enumerate(users) if i not in away}
        picked = round_robin_pick(
            people([u for u in users if u.pk in present], dict.fromkeys(order, 0)), last
        )
        if not present:
            assert picked is None
            continue
        assert picked is not None and picked.user.pk in present
        after_last = [pk for pk in order if last is None or pk > last]
        turn = after_last + [pk for pk in order if pk not in after_last]
        assert picked.user.pk == next(pk for pk in turn if pk in present)
        last = picked.user.pk


@given(
    capacity_loads=st.lists(
        st.tuples(st.integers(1, 50), st.integers(0, 50)), min_size=1, max_size=7
    ),
    leads=st.integers(0, 80),
)
def test_least_loaded_always_picks_someone_with_the_smallest_share_of_capacity(
    capacity_loads: list[tuple[int, int]], leads: int
) -> None:
    users = team_of(len(capacity_loads), [capacity for capacity, _ in capacity_loads])
    loads = {
        u.pk: min(load, u.capacity) for u, (_, load) in zip(users, capacity_loads, strict=True)
    }
    last: int | None = None
    for _ in range(leads):
        free = [c for c in people(users, loads) if c.has_room]
        picked = least_loaded_pick(free, last)
        if not free:
            assert picked is None
            break
        assert picked is not None
        assert picked.load == min(c.load for c in free)
        loads[picked.user.pk] += 1
        assert loads[picked.user.pk] <= picked.user.capacity
        last = picked.user.pk


@given(loads=st.lists(st.integers(0, 30), min_size=1, max_size=7), extra=st.integers(0, 40))
def test_least_loaded_levels_equal_capacities_once_the_gaps_are_filled(
    loads: list[int], extra: int
) -> None:
    users = team_of(len(loads))
    current = {u.pk: load for u, load in zip(users, loads, strict=True)}
    gaps = sum(max(loads) - load for load in loads)
    last: int | None = None
    for _ in range(gaps + extra):
        picked = least_loaded_pick(people(users, current), last)
        assert picked is not None
        current[picked.user.pk] += 1
        last = picked.user.pk
    assert max(current.values()) - min(current.values()) <= 1


@pytest.mark.django_db
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    strategy=st.sampled_from([Strategy.ROUND_ROBIN, Strategy.LEAST_LOADED]),
    capacities=st.lists(st.integers(1, 6), min_size=1, max_size=4),
    leads=st.integers(1, 14),
)
def test_routing_new_leads_is_fair_and_never_exceeds_anyones_capacity(
    strategy: str, capacities: list[int], leads: int
) -> None:
    """Through the real services and database, each example rolled back afterwards."""
    with transaction.atomic():
        team: Team = make_team("Fair")
        reps = []
        for n, capacity in enumerate(capacities):
            rep = make_user(f"fair{n}", Role.SALES_REP, team)
            rep.capacity = capacity
            rep.save()
            reps.append(rep)
        routing_rule_create(actor=None, name="Fair", strategy=strategy, team=team)

        owners = [make_lead().owner_id for _ in range(leads)]

        shares = Counter(owner for owner in owners if owner is not None)
        room = sum(capacities)
        assert len(shares) == 0 or set(shares) <= {rep.pk for rep in reps}
        assert sum(shares.values()) == min(leads, room)
        for rep in reps:
            assert shares[rep.pk] <= rep.capacity
        if leads <= room and len(set(capacities)) == 1:
            assert max(shares[r.pk] for r in reps) - min(shares[r.pk] for r in reps) <= 1
        assert Lead.objects.filter(owner__isnull=True).count() == max(0, leads - room)
        transaction.set_rollback(True)
