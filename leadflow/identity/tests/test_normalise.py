from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from leadflow.identity.normalise import (
    fold,
    normalise_company_name,
    normalise_email,
    normalise_phone,
)


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("020 7946 0000", "GB", "+442079460000"),
        ("+44 (0)20 7946 0000", "TR", "+442079460000"),
        ("0212 555 12 34", "TR", "+902125551234"),
        ("912 345 678", "ES", "+34912345678"),
        # Of another region than the one it is read in: Isle of Man (+44), Turkey.
        ("01624 756789", "GB", "+441624756789"),
        ("+90 212 555 12 34", "GB", "+902125551234"),
    ],
)
def test_phone_numbers_become_e164(raw: str, region: str, expected: str) -> None:
    assert normalise_phone(raw, region=region) == expected


@pytest.mark.parametrize(
    "raw", ["12", "not a number", "+44 1", "09999 999999", "020 7946 000", "+90 000 000 00 00"]
)
def test_impossible_numbers_are_refused(raw: str) -> None:
    with pytest.raises(ValidationError):
        normalise_phone(raw, region="GB")


def test_emails_are_lower_cased_and_checked_without_dns() -> None:
    assert normalise_email(" Ayse.Yilmaz@Example.COM ") == "ayse.yilmaz@example.com"
    with pytest.raises(ValidationError):
        normalise_email("ayse@")


def test_folding_treats_turkish_dotted_and_dotless_i_alike() -> None:
    assert fold("İSTANBUL") == fold("istanbul") == fold("ıstanbul")
    assert fold("Peñalver") == "penalver"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Acme Ltd.", "ACME Limited"),
        ("Yıldız Tekstil A.Ş.", "YILDIZ TEKSTİL"),
        ("Hermanos García S.L.", "hermanos garcia"),
        ("Cwmni Te Cyf.", "Cwmni Te"),
    ],
)
def test_company_names_compare_without_case_accents_or_legal_suffix(a: str, b: str) -> None:
    assert normalise_company_name(a) == normalise_company_name(b)


@pytest.mark.parametrize(
    ("typed", "plain"),
    [
        ("Øystein Bjørnstad", "oystein bjornstad"),
        ("Łukasz Wałęsa", "lukasz walesa"),
        ("Æbeltoft", "aebeltoft"),
        ("Straße", "strasse"),
        ("Đorđe Đoković", "dorde dokovic"),
        ("Þórður", "thordur"),
        ("Дмитрий Иванов", "dmitrii ivanov"),
        ("Αθήνα", "athina"),
        ("ΟΔΥΣΣΕΑΣ", "odysseas"),
        ("Aşkın Doğan", "askin dogan"),
        ("İLKNUR IŞIK", "ilknur isik"),
    ],
)
def test_letters_beyond_accents_and_other_scripts_fold_to_plain_ascii(
    typed: str, plain: str
) -> None:
    assert fold(typed) == plain


def test_a_name_typed_on_two_keyboards_folds_the_same() -> None:
    assert fold("Bjørnstad") == fold("Bjornstad")
    assert fold("Οδυσσέας") == fold("ΟΔΥΣΣΕΑΣ")
    assert fold("STRASSE") == fold("Straße")


def test_symbols_separate_words_instead_of_becoming_words() -> None:
    assert fold("Ana😀García").split() == ["ana", "garcia"]
    assert fold("Ana García") == "ana garcia"


def test_nordic_polish_and_cyrillic_company_names_compare_equal_to_their_latin_spelling() -> None:
    assert normalise_company_name("Bjørnstad Møbler AS") == normalise_company_name(
        "Bjornstad Mobler"
    )
    assert normalise_company_name("Łódź Tekstil Ltd") == normalise_company_name("Lodz Tekstil")
    assert normalise_company_name("Ромашка Ltd") == "romashka"
