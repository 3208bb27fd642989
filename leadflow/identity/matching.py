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

import hashlib
import math
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import jellyfish
from django.conf import settings
from rapidfuzz import fuzz
from rapidfuzz.distance import Hamming, Levenshtein

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


@dataclass(slots=True)
class Person:
    """The comparable form of a lead, contact or inquiry; not changed once made.

    Not a frozen dataclass: its constructor sets each field through
    ``object.__setattr__``, four times the cost of a plain one, and an
    import makes some eight of these a row (the row's and its candidates').
    """

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

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled by position: an import hands thousands a second from the
        # process cleaning rows to the one writing them.
        return (
            Person,
            (
                self.name_tokens,
                self.first,
                self.last,
                self.email,
                self.phone,
                self.company,
                self.street,
                self.postal_code,
                self.city,
                dict(self.identity),
            ),
        )


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


_NOT_WORD = re.compile(r"[^\w\s]")
_SPACE = re.compile(r"\s+")


def _fold(text: str) -> str:
    # Plain ASCII needs no accent stripping: lower case is its case folding.
    return text.lower() if text.isascii() else fold(text)


def _words(text: str) -> list[str]:
    return _NOT_WORD.sub(" ", _fold(text)).split()


def _postal(value: str) -> str:
    return _SPACE.sub("", _fold(value))


def person_from(fields: Mapping[str, Any], custom: Mapping[str, Any] | None = None) -> Person:
    """Already-normalised person fields (as stored on a lead) → a comparable Person."""
    return person_of(
        str(fields.get("first_name") or ""),
        str(fields.get("last_name") or ""),
        str(fields.get("email") or ""),
        str(fields.get("phone") or ""),
        str(fields.get("company_name") or ""),
        str(fields.get("street") or ""),
        str(fields.get("postal_code") or ""),
        str(fields.get("city") or ""),
        identity_of(custom or {}),
    )


def person_of(
    first: str,
    last: str,
    email: str,
    phone: str,
    company: str,
    street: str,
    postal_code: str,
    city: str,
    identity: Mapping[str, str],
) -> Person:
    """:func:`person_from` for the fields as text, in this order, and the identity attributes.

    An import compares each row with thousands of stored records a second.
    """
    first = _joined_words(first)
    last = _joined_words(last)
    return Person(
        _name_tokens(first, last),
        first,
        last,
        email.lower(),
        phone,
        _company(company),
        " ".join(_words(street)) if street else "",
        _postal_code(postal_code),
        _joined_words(city),
        identity,
    )


def identity_of(custom: Mapping[str, Any]) -> dict[str, str]:
    """The custom attributes that tell people apart (a birth date, say), folded for comparing."""
    return {
        name: fold(str(custom[name])).strip()
        for name in settings.LEADFLOW_MATCH_IDENTITY_ATTRIBUTES
        if custom.get(name) not in (None, "")
    }


# Names, companies, postal codes and towns repeat across many records: each
# distinct one is normalised once, and a scan holding many people in memory
# keeps one copy of it.
@lru_cache(maxsize=65536)
def _joined_words(text: str) -> str:
    return sys.intern(" ".join(_words(text)))


@lru_cache(maxsize=65536)
def _name_tokens(first: str, last: str) -> tuple[str, ...]:
    return tuple(sys.intern(word) for word in sorted(f"{first} {last}".split()))


@lru_cache(maxsize=65536)
def _company(name: str) -> str:
    return sys.intern(normalise_company_name(name)) if name else ""


@lru_cache(maxsize=65536)
def _postal_code(value: str) -> str:
    return sys.intern(_postal(value))


@lru_cache(maxsize=65536)
def _phonetic(words: tuple[str, ...]) -> str:
    return " ".join(sorted(jellyfish.metaphone(word) for word in words if word))


# The kinds of blocking key, each with a number of its own in the top bits of
# its code (``key_code``), so that codes of one kind form one range.
# Never renumber: stored codes carry these numbers.
KEY_KINDS = {"e": 1, "l": 2, "p": 3, "sc": 4, "sz": 5, "st": 6, "a": 7, "lz": 8, "i": 9}
_KIND_SHIFT = 56
_DIGEST_MASK = (1 << _KIND_SHIFT) - 1


def key_code(key: str) -> int:
    """The 64-bit number a blocking key is filed under (“e:ayse@example.com” → 2^56 + a hash).

    Its kind's number (``KEY_KINDS``) in the top bits, a hash of the whole key
    below: an index of numbers is smaller, and cheaper to fill at random (as a
    large import does), than one of the keys' text. Two keys of one kind
    share a code once in 2^56 pairs (a million keys of a kind: one such pair
    in about 140,000 databases), and then only add a candidate that the
    comparison rules out.
    """
    kind = KEY_KINDS.get(key.partition(":")[0], 0)
    return (kind << _KIND_SHIFT) | (text_hash64(key) & _DIGEST_MASK)


def text_hash64(text: str) -> int:
    """An unsigned 64-bit hash of ``text`` (BLAKE2b), the same in every process and release."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def key_kind_codes(kind: str) -> tuple[int, int]:
    """The first and last code of a kind of key (``KEY_KINDS``)."""
    low = KEY_KINDS[kind] << _KIND_SHIFT
    return low, low | _DIGEST_MASK


def blocking_keys(person: Person) -> set[int]:
    """The codes (``key_code``) under which this person is filed and looked up."""
    return {key_code(key) for key in blocking_key_names(person)}


def blocking_key_names(person: Person) -> set[str]:
    """The blocking keys of this person as text (“e:ayse@example.com”, “sz:A YLMS|34710”)."""
    keys: set[str] = set()
    if person.email:
        keys.add(f"e:{person.email}")
        local = person.email.split("@", 1)[0]
        if len(local) >= 5 and local not in _ROLE_MAILBOXES:
            keys.add(f"l:{local}")
    if person.phone:
        keys.add(f"p:{person.phone}")
    if person.name_tokens:
        # The name's sound with the company, postal code or town. No key for
        # the exact name beside it: equal names sound equal, so it found no
        # one this key does not, and it was a third of the keys a lead files.
        sound = _phonetic(person.name_tokens)
        for tag, value in (("c", person.company), ("z", person.postal_code), ("t", person.city)):
            if value:
                keys.add(f"s{tag}:{sound}|{value}"[:160])
    if person.street and person.postal_code:
        # One household: catches a changed or badly typed name.
        keys.add(f"a:{person.street}|{person.postal_code}"[:160])
    if person.last and person.postal_code:
        # The surname's sound where they live: catches a changed first name or a typo in it.
        keys.add(f"lz:{_phonetic(tuple(person.last.split()))}|{person.postal_code}"[:160])
    for name, value in person.identity.items():
        keys.add(f"i:{name}={value}"[:160])
    return keys


def _ratio(a: str, b: str) -> float:
    return fuzz.ratio(a, b) / 100.0


def _one_edit_apart(a: str, b: str) -> bool:
    """A typo: one character changed, added or dropped, or two characters swapped."""
    return Levenshtein.distance(a, b, score_cutoff=1) <= 1 or (
        len(a) == len(b) and Hamming.distance(a, b, score_cutoff=2) == 2 and sorted(a) == sorted(b)
    )


def _name_parts(a: Person, b: Person) -> tuple[float, float, bool]:
    """Similarity of the first names and of the last names, trying both name orders.

    Returns (first, last, initial): ``initial`` when one first name is an
    initial of the other ("J. Smith" and "John Smith").
    """
    straight = (_ratio(a.first, b.first), _ratio(a.last, b.last))
    # “Yılmaz Ayşe” typed as first name “Yılmaz”: the same person.
    crossed = (_ratio(a.first, b.last), _ratio(a.last, b.first))
    first, last = max(straight, crossed, key=sum)
    initial = bool(
        a.first
        and b.first
        and (len(a.first) == 1 or len(b.first) == 1)
        and a.first[0] == b.first[0]
    )
    return first, last, initial


def _graded(similarity: float, steps: list[tuple[float, float]], otherwise: float) -> float:
    for threshold, weight in steps:
        if similarity >= threshold:
            return weight
    return otherwise


def compare(a: Person, b: Person) -> tuple[float, dict[str, Any]]:
    """Confidence (0–1) that a and b are one person, and the evidence per field.

    Each weight is the log-odds a field's agreement (or disagreement) adds,
    chosen from how often it agrees between two records of one person versus
    two different people who share a blocking key:

    - e-mail and phone: almost never shared by two people (+8, +6), but one
      person often has several, so a different one says little (−1.5, −1).
    - last name: a near-exact agreement is strong (+2.5), a typo-close one
      good (+1.5); a different one counts against (−2) but not decisively,
      because people change surnames and forms swap fields.
    - first name: weaker than the surname (+1.5, a typo or a nickname +0.5, an initial +0.5);
      a different one counts against as much as a different surname (−2):
      the likeliest false match is a relative at the same address.
    - street: one household of a few people (+2.5, close +1, else −1).
    - postal code: thousands of people each (+1.5); one typo apart is no
      evidence either way (0); else −1.
    - city: tens of thousands (+0.5, else −0.5: spellings vary); nothing more
      when the postal code agrees, which already says where they live.
    - company: +1.5 for the same company, −1 for another (people move).
    - identity attributes (such as a date of birth): near-unique among the
      people sharing a key (+3, a typo +1, else −2).

    The prior (−2.5) is the log-odds before any field is compared.
    """
    evidence: dict[str, Any] = {}

    def weigh(name: str, similarity: float, weight: float) -> None:
        evidence[name] = {"similarity": round(similarity, 3), "weight": weight}

    if a.email and b.email:
        same = a.email == b.email
        weigh("email", 1.0 if same else _ratio(a.email, b.email), 8.0 if same else -1.5)
    if a.phone and b.phone:
        same = a.phone == b.phone
        weigh("phone", 1.0 if same else 0.0, 6.0 if same else -1.0)
    if a.first and b.first and a.last and b.last:
        first, last, initial = _name_parts(a, b)
        last_weight = _graded(last, [(0.95, 2.5), (0.85, 1.5), (0.7, 0.0)], -2.0)
        first_weight = (
            0.5 if initial else _graded(first, [(0.95, 1.5), (0.8, 0.5), (0.7, 0.0)], -2.0)
        )
        evidence["name"] = {
            "similarity": round((first + last) / 2, 3),
            "weight": last_weight + first_weight,
            "first_name": {"similarity": round(first, 3), "weight": first_weight},
            "last_name": {"similarity": round(last, 3), "weight": last_weight},
        }
    elif a.name_tokens and b.name_tokens:
        # One of them has a single name: compare the names as a whole, in any order.
        similarity = fuzz.token_sort_ratio(a.name, b.name) / 100.0
        weigh(
            "name", similarity, _graded(similarity, [(0.95, 3.0), (0.85, 2.0), (0.75, 0.5)], -3.0)
        )
    if a.company and b.company:
        similarity = _ratio(a.company, b.company)
        weigh("company_name", similarity, _graded(similarity, [(0.9, 1.5)], -1.0))
    if a.street and b.street:
        # Word order and a space typed or dropped (“waterfieldplace”) do not matter.
        similarity = max(
            fuzz.token_sort_ratio(a.street, b.street) / 100.0,
            _ratio(a.street.replace(" ", ""), b.street.replace(" ", "")),
        )
        weigh("street", similarity, _graded(similarity, [(0.9, 2.5), (0.75, 1.0)], -1.0))
    if a.postal_code and b.postal_code:
        same = a.postal_code == b.postal_code
        close = not same and _one_edit_apart(a.postal_code, b.postal_code)
        weigh(
            "postal_code",
            1.0 if same else 0.5 if close else 0.0,
            1.5 if same else 0.0 if close else -1.0,
        )
    if a.city and b.city:
        similarity = _ratio(a.city, b.city)
        weight = _graded(similarity, [(0.9, 0.5), (0.75, 0.0)], -0.5)
        if weight > 0 and evidence.get("postal_code", {}).get("weight", 0) > 0:
            weight = 0.0  # the postal code already says where they live
        weigh("city", similarity, weight)
    for name in a.identity.keys() & b.identity.keys():
        x, y = a.identity[name], b.identity[name]
        weight = 3.0 if x == y else 1.0 if _one_edit_apart(x, y) else -2.0
        weigh(name, 1.0 if x == y else _ratio(x, y), weight)

    log_odds = _PRIOR_LOG_ODDS + sum(item["weight"] for item in evidence.values())
    confidence = 1.0 / (1.0 + math.exp(-log_odds))
    return round(confidence, 4), evidence


# Name comparisons a bulk scan has made already: the same pairs of names
# (a common first name with a common surname) come up again and again.
_NAME_PARTS_SEEN: dict[tuple[str, str, str, str], tuple[float, float, bool]] = {}
_NAME_PARTS_SEEN_SIZE = 200_000


def possible_logit() -> float:
    """The summed field weights a pair needs to reach the possible threshold (log-odds)."""
    threshold = min(max(settings.LEADFLOW_MATCH_POSSIBLE, 1e-9), 1 - 1e-9)
    return math.log(threshold / (1 - threshold)) - _PRIOR_LOG_ODDS


def may_match(a: Person, b: Person, needed: float) -> bool:
    """False when :func:`compare`'s field weights for a and b certainly sum below ``needed``.

    The same weights as :func:`compare`, without the explanation, and
    stopping as soon as the fields still to compare could not lift the sum to
    ``needed`` even if they all agreed. A bulk scan compares most candidate
    pairs only this far, and calls :func:`compare` for the rest.
    """
    total = 0.0
    # The most the fields not yet weighed could add.
    left = 0.0
    both_names = bool(a.first and b.first and a.last and b.last)
    if both_names:
        left += 4.0
    elif a.name_tokens and b.name_tokens:
        left += 3.0
    if a.company and b.company:
        left += 1.5
    if a.street and b.street:
        left += 2.5
    city = bool(a.city and b.city)
    if city:
        left += 0.5
    if a.email and b.email:
        total += 8.0 if a.email == b.email else -1.5
    if a.phone and b.phone:
        total += 6.0 if a.phone == b.phone else -1.0
    postal_agrees = False
    if a.postal_code and b.postal_code:
        if a.postal_code == b.postal_code:
            total += 1.5
            postal_agrees = True
        elif not _one_edit_apart(a.postal_code, b.postal_code):
            total -= 1.0
    if postal_agrees and city:
        left -= 0.5  # the town adds nothing where the postal code agrees
    for name in a.identity.keys() & b.identity.keys():
        x, y = a.identity[name], b.identity[name]
        total += 3.0 if x == y else 1.0 if _one_edit_apart(x, y) else -2.0
    if total + left < needed:
        return False
    if both_names:
        names = (a.first, a.last, b.first, b.last)
        parts = _NAME_PARTS_SEEN.get(names)
        if parts is None:
            if len(_NAME_PARTS_SEEN) >= _NAME_PARTS_SEEN_SIZE:
                _NAME_PARTS_SEEN.clear()
            parts = _NAME_PARTS_SEEN[names] = _name_parts(a, b)
        first, last, initial = parts
        total += _graded(last, [(0.95, 2.5), (0.85, 1.5), (0.7, 0.0)], -2.0)
        total += 0.5 if initial else _graded(first, [(0.95, 1.5), (0.8, 0.5), (0.7, 0.0)], -2.0)
        left -= 4.0
    elif a.name_tokens and b.name_tokens:
        similarity = fuzz.token_sort_ratio(a.name, b.name) / 100.0
        total += _graded(similarity, [(0.95, 3.0), (0.85, 2.0), (0.75, 0.5)], -3.0)
        left -= 3.0
    if total + left < needed:
        return False
    if a.street and b.street:
        similarity = max(
            fuzz.token_sort_ratio(a.street, b.street) / 100.0,
            _ratio(a.street.replace(" ", ""), b.street.replace(" ", "")),
        )
        total += _graded(similarity, [(0.9, 2.5), (0.75, 1.0)], -1.0)
        left -= 2.5
        if total + left < needed:
            return False
    if a.company and b.company:
        total += 1.5 if _ratio(a.company, b.company) >= 0.9 else -1.0
        left -= 1.5
        if total + left < needed:
            return False
    if city:
        weight = _graded(_ratio(a.city, b.city), [(0.9, 0.5), (0.75, 0.0)], -0.5)
        total += 0.0 if weight > 0 and postal_agrees else weight
    return total >= needed
