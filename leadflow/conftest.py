"""Shared personas for the whole suite.

Two teams: North (harriet heads it; rhys and rosa are reps) and South (sam is
a rep). alice is the admin and mia the marketer.
"""

from __future__ import annotations

import pytest

from leadflow.accounts.models import Role, Team, User
from leadflow.factories import make_team, make_user


@pytest.fixture
def north(db: None) -> Team:
    return make_team("North")


@pytest.fixture
def south(db: None) -> Team:
    return make_team("South")


@pytest.fixture
def alice(db: None) -> User:
    return make_user("alice", Role.ADMIN)


@pytest.fixture
def harriet(north: Team) -> User:
    return make_user("harriet", Role.HEAD_OF_SALES, north)


@pytest.fixture
def rhys(north: Team) -> User:
    return make_user("rhys", Role.SALES_REP, north)


@pytest.fixture
def rosa(north: Team) -> User:
    return make_user("rosa", Role.SALES_REP, north)


@pytest.fixture
def sam(south: Team) -> User:
    return make_user("sam", Role.SALES_REP, south)


@pytest.fixture
def mia(db: None) -> User:
    return make_user("mia", Role.MARKETER)
