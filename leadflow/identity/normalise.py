"""Turning what people type into comparable values: e-mail, phone, company names."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from email_validator import EmailNotValidError, validate_email


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


def normalise_phone(value: str, *, region: str) -> str:
    """E.164 (“+442079460000”). Numbers without a country code are read in ``region``."""
    value = value.strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, region.upper() or None)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            _("“%(value)s” is not a phone number."), code="invalid_phone", params={"value": value}
        ) from exc
    if not phonenumbers.is_valid_number(number):
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


def fold(text: str) -> str:
    """Case-fold and strip accents; Turkish dotted and dotless i both become i."""
    text = text.replace("İ", "i").replace("I", "i").replace("ı", "i")
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_FOLDED_SUFFIXES = frozenset(fold(suffix) for suffix in _LEGAL_SUFFIXES)


def normalise_company_name(name: str) -> str:
    """“Acme Ltd.”, “ACME Limited” and “Acme” compare equal; so do “Yıldız A.Ş.” and “Yildiz”."""
    words = re.sub(r"[^\w\s]", "", fold(name).replace(".", "")).split()
    while words and words[-1] in _FOLDED_SUFFIXES:
        words.pop()
    return " ".join(words)
