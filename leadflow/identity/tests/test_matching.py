from __future__ import annotations

import pytest

from leadflow.identity.matching import (
    MatchLevel,
    blocking_key_names,
    blocking_keys,
    compare,
    key_code,
    key_kind_codes,
    match_level,
    person_from,
)


def test_turkish_dotted_and_dotless_i_and_accents_make_the_same_keys() -> None:
    a = person_from({"first_name": "İlknur", "last_name": "Işık", "city": "İzmir"})
    b = person_from({"first_name": "ilknur", "last_name": "ISIK", "city": "izmir"})
    assert blocking_keys(a) == blocking_keys(b)
    # The same name in the same city goes to review; it is not enough to attach.
    assert match_level(compare(a, b)[0]) == MatchLevel.POSSIBLE
    assert compare(a, b)[1]["name"]["last_name"]["similarity"] == 1.0


def test_name_order_does_not_matter() -> None:
    a = person_from({"first_name": "Yılmaz", "last_name": "Ayşe", "email": "ayse@example.com"})
    b = person_from({"first_name": "Ayşe", "last_name": "Yılmaz", "email": "ayse@example.com"})
    _confidence, evidence = compare(a, b)
    assert evidence["name"]["first_name"]["weight"] > 0
    assert evidence["name"]["last_name"]["weight"] > 0


def test_company_suffixes_do_not_matter() -> None:
    a = person_from(
        {"first_name": "Ana", "last_name": "García", "company_name": "Hermanos García S.L."}
    )
    b = person_from({"first_name": "Ana", "last_name": "Garcia", "company_name": "HERMANOS GARCIA"})
    assert blocking_keys(a) & blocking_keys(b)
    assert compare(a, b)[1]["company_name"]["weight"] > 0


def test_an_initial_counts_for_the_first_name_it_starts() -> None:
    a = person_from({"first_name": "J.", "last_name": "Smith", "postal_code": "CF10 1AA"})
    b = person_from({"first_name": "John", "last_name": "Smith", "postal_code": "cf101aa"})
    evidence = compare(a, b)[1]
    assert evidence["name"]["first_name"]["weight"] == 0.5
    assert evidence["postal_code"]["weight"] > 0


def test_the_same_email_is_certain_and_a_relative_at_the_same_address_is_not() -> None:
    me = person_from(
        {
            "first_name": "Ayşe",
            "last_name": "Yılmaz",
            "email": "ayse@example.com",
            "street": "1 Cadde",
            "postal_code": "34710",
        }
    )
    again = person_from({"first_name": "Ayse", "last_name": "Yilmaz", "email": "ayse@example.com"})
    sister = person_from(
        {"first_name": "Fatma", "last_name": "Yılmaz", "street": "1 Cadde", "postal_code": "34710"}
    )
    assert match_level(compare(me, again)[0]) == MatchLevel.CERTAIN
    assert match_level(compare(me, sister)[0]) not in (MatchLevel.CERTAIN, MatchLevel.PROBABLE)


@pytest.mark.parametrize(("a", "b"), [("2223", "2213"), ("5014", "5041")])
def test_a_postal_code_one_typo_away_is_no_evidence_either_way(a: str, b: str) -> None:
    x = person_from({"first_name": "Tori", "last_name": "Fleet", "postal_code": a})
    y = person_from({"first_name": "Tori", "last_name": "Fleet", "postal_code": b})
    assert compare(x, y)[1]["postal_code"]["weight"] == 0.0


def test_a_space_lost_in_the_street_still_agrees() -> None:
    x = person_from({"first_name": "India", "last_name": "Rees", "street": "25 waterfieldplace"})
    y = person_from({"first_name": "India", "last_name": "Rees", "street": "25 Waterfield Place"})
    assert compare(x, y)[1]["street"]["weight"] == 2.5


def test_a_date_of_birth_is_an_identity_attribute_and_a_key() -> None:
    x = person_from({"first_name": "Tori", "last_name": "Keoh"}, {"date_of_birth": "19601101"})
    y = person_from({"first_name": "Tori", "last_name": "Fleet"}, {"date_of_birth": "19601101"})
    assert "i:date_of_birth=19601101" in blocking_key_names(x) & blocking_key_names(y)
    assert compare(x, y)[1]["date_of_birth"]["weight"] == 3.0


def test_a_name_written_with_or_without_letters_beyond_accents_makes_the_same_keys() -> None:
    a = person_from({"first_name": "Øystein", "last_name": "Bjørnstad", "city": "Tromsø"})
    b = person_from({"first_name": "Oystein", "last_name": "Bjornstad", "city": "Tromso"})
    assert blocking_keys(a) == blocking_keys(b)
    assert compare(a, b)[1]["name"]["last_name"]["similarity"] == 1.0


def test_key_codes_keep_their_kind_in_the_top_bits():
    person = person_from({"first_name": "Ayşe", "last_name": "Yılmaz", "email": "ayse@example.com"})
    assert {key_code(name) for name in blocking_key_names(person)} == blocking_keys(person)
    low, high = key_kind_codes("e")
    assert low <= key_code("e:ayse@example.com") <= high
    assert not low <= key_code("l:ayse.yilmaz") <= high
    # Signed 64-bit, as the databases store them; a kind no longer made still gets a code.
    assert 0 <= key_code("nz:ayse yilmaz|34710") < 2**56
    assert all(0 < code < 2**63 for code in blocking_keys(person))


@pytest.mark.parametrize(
    ("a", "b", "close"),
    [
        ("34710", "34710", True),
        ("34710", "34711", True),  # one changed
        ("34710", "347100", True),  # one added
        ("34710", "3471", True),  # one dropped
        ("34710", "37410", True),  # two swapped
        ("34710", "04713", True),  # two swapped, not neighbours
        ("34710", "34799", False),  # two changed
        ("34710", "3471099", False),  # two added
    ],
)
def test_postal_codes_one_typo_apart_count_as_close(a: str, b: str, close: bool) -> None:
    base = {"first_name": "Ayşe", "last_name": "Yılmaz", "email": "ayse@example.com"}
    x = person_from({**base, "postal_code": a})
    y = person_from({**base, "postal_code": b})
    _confidence, evidence = compare(x, y)
    if a == b:
        assert evidence["postal_code"]["similarity"] == 1.0
    else:
        assert (evidence["postal_code"]["weight"] >= 0) is close
