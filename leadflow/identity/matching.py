"""Who is this person? Blocking keys, then a field-by-field comparison.

A new inquiry is compared only with the leads and contacts that share one of
its *blocking keys* (its e-mail, its phone, its name with its company, postal
code or city, phonetic forms of the name, the e-mail's local part), so a
look-up costs a few index probes whatever the size of the database.

Each candidate is then scored field by field in the manner of Fellegi and
Sunter: every field both records have adds evidence for (agreement) or
against (disagreement) their being the same person, weighted by how telling
that field is — a shared e-mail address says much more than a shared city.
The summed log-odds become a confidence between 0 and 1, and the thresholds
in settings (``LEADFLOW_MATCH_*``) turn it into a decision: certain, probable
or possible.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jellyfish
from django.conf import settings
from rapidfuzz import fuzz

from leadflow.identity.normalise import fold, normalise_company_name

# Mailbox names that belong to a role, not a person: useless as a key.
_ROLE_MAILBOXES = frozenset(
    {
        "info",
        "sales",
        "contact",
        "hello",
        "admin",
        "office",
        "support",
        "enquiries",
        "inquiries",
        "mail",
        "bilgi",
        "iletisim",
        "ventas",
        "post",
        "ymholiadau",
        "noreply",
    }
)

# The odds, before any field is compared, that two records sharing a blocking
# key are the same person.
_PRIOR_LOG_ODDS = -2.5


class MatchLevel:
    CERTAIN = "certain"
    PROBABLE = "probable"
    POSSIBLE = "possible"


@dataclass(frozen=True)
class Person:
    """The comparable form of a lead, contact or inquiry."""

    name_tokens: tuple[str, ...] = ()
    first: str = ""
    last: str = ""
    email: str = ""
    phone: str = ""
    company: str = ""
    street: str = ""
    postal_code: str = ""
    city: str = ""
    identity: Mapping[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return " ".join(self.name_tokens)


@dataclass
class Match:
    lead_id: int | None
    contact_id: int | None
    confidence: float
    explanation: dict[str, Any]

    @property
    def level(self) -> str:
        return match_level(self.confidence)


def match_level(confidence: float) -> str:
    if confidence >= settings.LEADFLOW_MATCH_CERTAIN:
        return MatchLevel.CERTAIN
    if confidence >= settings.LEADFLOW_MATCH_PROBABLE:
        return MatchLevel.PROBABLE
    if confidence >= settings.LEADFLOW_MATCH_POSSIBLE:
        return MatchLevel.POSSIBLE
    return ""


def _words(text: str) -> list[str]:
    return re.sub(r"[^\w\s]", " ", fold(text)).split()


def _postal(value: str) -> str:
    return re.sub(r"\s+", "", fold(value))


def person_from(fields: Mapping[str, Any], custom: Mapping[str, Any] | None = None) -> Person:
    """Already-normalised person fields (as stored on a lead) → a comparable Person."""
    first = " ".join(_words(str(fields.get("first_name") or "")))
    last = " ".join(_words(str(fields.get("last_name") or "")))
    custom = custom or {}
    identity = {
        name: fold(str(custom[name])).strip()
        for name in settings.LEADFLOW_MATCH_IDENTITY_ATTRIBUTES
        if custom.get(name) not in (None, "")
    }
    return Person(
        name_tokens=tuple(sorted(_words(f"{first} {last}"))),
        first=first,
        last=last,
        email=str(fields.get("email") or "").lower(),
        phone=str(fields.get("phone") or ""),
        company=normalise_company_name(str(fields.get("company_name") or "")),
        street=" ".join(_words(str(fields.get("street") or ""))),
        postal_code=_postal(str(fields.get("postal_code") or "")),
        city=" ".join(_words(str(fields.get("city") or ""))),
        identity=identity,
    )


def _phonetic(words: Iterable[str]) -> str:
    return " ".join(sorted(jellyfish.metaphone(word) for word in words if word))


def blocking_keys(person: Person) -> set[str]:
    """The index keys under which this person is filed and looked up."""
    keys: set[str] = set()
    if person.email:
        keys.add(f"e:{person.email}")
        local = person.email.split("@", 1)[0]
        if len(local) >= 5 and local not in _ROLE_MAILBOXES:
            keys.add(f"l:{local}")
    if person.phone:
        keys.add(f"p:{person.phone}")
    if person.name_tokens:
        name = person.name
        sound = _phonetic(person.name_tokens)
        for tag, value in (("c", person.company), ("z", person.postal_code), ("t", person.city)):
            if value:
                keys.add(f"n{tag}:{name}|{value}"[:160])
                keys.add(f"s{tag}:{sound}|{value}"[:160])
    for name, value in person.identity.items():
        keys.add(f"i:{name}={value}"[:160])
    return keys


def _ratio(a: str, b: str) -> float:
    return fuzz.ratio(a, b) / 100.0


def _name_similarity(a: Person, b: Person) -> float:
    # token_sort_ratio ignores name order (“Yılmaz Ayşe” = “Ayşe Yılmaz”).
    whole = fuzz.token_sort_ratio(a.name, b.name) / 100.0
    # Initials: “J. Smith” and “John Smith”.
    initial = a.first and b.first and (len(a.first) == 1 or len(b.first) == 1)
    if initial and a.last and b.last and a.first[0] == b.first[0]:
        return max(whole, 0.9 * _ratio(a.last, b.last))
    return whole


def _graded(similarity: float, steps: list[tuple[float, float]], otherwise: float) -> float:
    for threshold, weight in steps:
        if similarity >= threshold:
            return weight
    return otherwise


def compare(a: Person, b: Person) -> tuple[float, dict[str, Any]]:
    """Confidence (0–1) that a and b are one person, and the evidence per field."""
    evidence: dict[str, Any] = {}

    def weigh(name: str, similarity: float, weight: float) -> None:
        evidence[name] = {"similarity": round(similarity, 3), "weight": weight}

    if a.email and b.email:
        same = a.email == b.email
        weigh("email", 1.0 if same else _ratio(a.email, b.email), 8.0 if same else -1.5)
    if a.phone and b.phone:
        same = a.phone == b.phone
        weigh("phone", 1.0 if same else 0.0, 6.0 if same else -1.0)
    if a.name_tokens and b.name_tokens:
        similarity = _name_similarity(a, b)
        weigh(
            "name",
            similarity,
            _graded(similarity, [(0.95, 3.0), (0.85, 2.0), (0.75, 0.5)], -4.0),
        )
    if a.company and b.company:
        similarity = _ratio(a.company, b.company)
        weigh("company_name", similarity, _graded(similarity, [(0.9, 1.5)], -1.0))
    if a.street and b.street:
        similarity = fuzz.token_sort_ratio(a.street, b.street) / 100.0
        weigh("street", similarity, _graded(similarity, [(0.9, 2.5), (0.75, 1.0)], -1.5))
    if a.postal_code and b.postal_code:
        same = a.postal_code == b.postal_code
        weigh("postal_code", 1.0 if same else 0.0, 1.5 if same else -1.0)
    if a.city and b.city:
        similarity = _ratio(a.city, b.city)
        weigh("city", similarity, _graded(similarity, [(0.9, 0.5)], -1.0))
    for name in a.identity.keys() & b.identity.keys():
        similarity = _ratio(a.identity[name], b.identity[name])
        weigh(name, similarity, _graded(similarity, [(1.0, 3.0), (0.85, 0.5)], -2.0))

    log_odds = _PRIOR_LOG_ODDS + sum(item["weight"] for item in evidence.values())
    confidence = 1.0 / (1.0 + math.exp(-log_odds))
    return round(confidence, 4), evidence
