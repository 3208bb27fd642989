"""A person whose name is written in another script or with letters beyond accents is still found."""

from __future__ import annotations

import pytest

from leadflow.factories import channel
from leadflow.identity.models import DuplicatePair
from leadflow.intake.models import InquiryOutcome
from leadflow.intake.services import inquiry_submit

pytestmark = pytest.mark.django_db


def submit(**fields: str):
    return inquiry_submit(actor=None, channel=channel("api"), fields=fields)


def test_the_same_person_in_cyrillic_and_in_latin_letters_is_queued_as_a_possible_duplicate() -> (
    None
):
    first = submit(
        first_name="Дмитрий",
        last_name="Иванов",
        company_name="Ромашка Ltd",
        email="dmitry@romashka.example",
    )
    second = submit(
        first_name="Dmitrii",
        last_name="Ivanov",
        company_name="Romashka",
        email="d.ivanov@another.example",
    )
    assert second.outcome == InquiryOutcome.CREATED, second.match_explanation
    pair = DuplicatePair.objects.get()
    assert {pair.lead_a_id, pair.lead_b_id} == {first.lead_id, second.lead_id}


def test_a_nordic_name_typed_without_its_letters_attaches_to_the_known_lead() -> None:
    first = submit(
        first_name="Øystein",
        last_name="Bjørnstad",
        phone="+47 22 12 34 56",
        street="Storgata 1",
        postal_code="0155",
        city="Oslo",
        company_name="Bjørnstad Møbler AS",
    )
    again = submit(
        first_name="Oystein",
        last_name="Bjornstad",
        phone="+4722123456",
        company_name="Bjornstad Mobler",
    )
    assert again.outcome == InquiryOutcome.ATTACHED, again.match_explanation
    assert again.lead_id == first.lead_id
    assert again.match_explanation["name"]["last_name"]["similarity"] == 1.0
