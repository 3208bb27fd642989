"""Turning what people type into comparable values: e-mail, phone, company names."""

from __future__ import annotations

import functools
import re
import unicodedata

import phonenumbers
from anyascii import anyascii
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from email_validator import EmailNotValidError, validate_email

# The same address or number is often normalised twice for one inquiry (when
# it is checked, then when the lead is written) and many times in an import.
NORMALISED_CACHE_SIZE = 8192


@functools.lru_cache(maxsize=NORMALISED_CACHE_SIZE)
def normalise_email(value: str) -> str:
    """Checked syntax, lower-cased; no DNS look-ups (they are slow and leak)."""
    value = value.strip()
    if not value:
        return ""
    try:
        info = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError(
            _("“%(value)s” is not a valid e-mail address: %(reason)s"),
            code="invalid_email",
            params={"value": value, "reason": str(exc)},
        ) from exc
    return info.normalized.lower()


@functools.lru_cache(maxsize=NORMALISED_CACHE_SIZE)
def normalise_phone(value: str, *, region: str) -> str:
    """E.164 (“+442079460000”). Numbers without a country code are read in ``region``."""
    value = value.strip()
    if not value:
        return ""
    home = region.upper() or None
    try:
        number = phonenumbers.parse(value, home)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            _("“%(value)s” is not a phone number."), code="invalid_phone", params={"value": value}
        ) from exc
    # Most numbers are of the region they are read in: valid there, they are
    # valid, after one check of their digits. is_valid_number first works out
    # the region of the number's country code that its digits belong to
    # (checking them there), then checks them again in that region.
    if not (
        (home is not None and phonenumbers.is_valid_number_for_region(number, home))
        or phonenumbers.is_valid_number(number)
    ):
        raise ValidationError(
            _("“%(value)s” is not a possible phone number in %(region)s."),
            code="invalid_phone",
            params={
                "value": value,
                "region": phonenumbers.region_code_for_number(number) or region,
            },
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_LEGAL_SUFFIXES = {
    "ltd",
    "limited",
    "plc",
    "llc",
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "co",
    "gmbh",
    "ag",
    "sa",
    "sl",
    "slu",
    "sas",
    "srl",
    "bv",
    "nv",
    "as",
    "aş",
    "ltdşti",
    "şti",
    "cyf",
    "ccc",
    "cic",
}


class _FoldTable(dict[int, str | None]):
    """``str.translate`` table, filled one character at a time as characters turn up.

    A combining mark left by NFKD decomposition is dropped; a symbol (an emoji,
    a currency sign) separates words instead of becoming a word of its own
    (“:grinning:”); every other character becomes its lower-case ASCII
    transliteration. Looking a character up once and keeping the answer makes
    folding one C-level ``translate`` pass.
    """

    def __missing__(self, codepoint: int) -> str | None:
        char = chr(codepoint)
        value: str | None
        if unicodedata.combining(char):
            value = None
        elif codepoint > 0x7F and unicodedata.category(char).startswith("S"):
            value = " "
        else:
            value = anyascii(char).lower()
        self[codepoint] = value
        return value


# Turkish dotless ı is its own letter, not i with a mark removed; matching treats it as i.
# (Dotted İ needs no entry: case folding makes it i plus a combining dot, which is dropped.)
_FOLD_TABLE = _FoldTable({ord("ı"): "i"})


def fold(text: str) -> str:
    """Case-fold, strip accents and transliterate to plain lower-case ASCII.

    Turkish dotted and dotless i both become i (“İSTANBUL”, “Istanbul”,
    “ıstanbul”); accented Latin letters lose their marks (“Peñalver” →
    “penalver”); letters that are not a Latin letter plus a mark, and other
    scripts, are transliterated (“Bjørnstad” → “bjornstad”, “Łódź” → “lodz”,
    “Straße” → “strasse”, “Þór” → “thor”, “Дмитрий” → “dmitrii”, “Αθήνα” →
    “athina”), so the same name typed on two keyboards gives the same
    blocking keys.
    """
    if text.isascii():
        # The common case on every import row: lower case is ASCII's case folding.
        return text.lower()
    return unicodedata.normalize("NFKD", text.casefold()).translate(_FOLD_TABLE)


_FOLDED_SUFFIXES = frozenset(fold(suffix) for suffix in _LEGAL_SUFFIXES)


def normalise_company_name(name: str) -> str:
    """“Acme Ltd.”, “ACME Limited” and “Acme” compare equal; so do “Yıldız A.Ş.” and “Yildiz”."""
    words = re.sub(r"[^\w\s]", "", fold(name).replace(".", "")).split()
    while words and words[-1] in _FOLDED_SUFFIXES:
        words.pop()
    return " ".join(words)
