from __future__ import annotations

import pytest

from leadflow.accounts.models import User
from leadflow.factories import make_lead
from leadflow.leads.selectors import LeadFilters, lead_list

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(alice: User) -> dict[str, int]:
    return {
        "ayse": make_lead(first_name="Ayşe", last_name="Yılmaz", email="ayse@yildiz.com.tr").pk,
        "ayla": make_lead(first_name="Ayla", last_name="Kaya", email="ayla@kaya.com.tr").pk,
        "dafydd": make_lead(
            first_name="Dafydd",
            last_name="ap Rhys",
            company_name="Cwmni Te Cyf.",
            phone="029 2018 0000",
        ).pk,
    }


def found(user: User, q: str) -> set[int]:
    return {lead.pk for lead in lead_list(user=user, filters=LeadFilters(q=q)).items}


def test_an_email_prefix_finds_addresses_whatever_the_case(
    alice: User, people: dict[str, int]
) -> None:
    assert found(alice, "AY") == {people["ayse"], people["ayla"]}  # names, not addresses
    assert found(alice, "Ayse@") == {people["ayse"]}
    assert found(alice, "ayla@kaya.com.tr") == {people["ayla"]}
    assert found(alice, "nobody@") == set()


def test_a_phone_number_is_found_however_it_is_written(alice: User, people: dict[str, int]) -> None:
    assert found(alice, "+44 29 2018 0000") == {people["dafydd"]}
    assert found(alice, "02920180000") == {people["dafydd"]}


def test_words_match_names_and_company(alice: User, people: dict[str, int]) -> None:
    assert found(alice, "dafydd cwmni") == {people["dafydd"]}
    assert found(alice, "kaya") == {people["ayla"]}
