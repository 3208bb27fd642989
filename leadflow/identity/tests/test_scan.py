from __future__ import annotations

import itertools
import random
import signal
from typing import Any

import pytest

from leadflow.factories import make_lead
from leadflow.identity.matching import (
    Person,
    compare,
    match_level,
    may_match,
    person_from,
    possible_logit,
)
from leadflow.identity.models import DuplicatePair
from leadflow.identity.services import SCAN_KEY_GROUP_CAPS, ScanPair, duplicates_scan

FIRST = ["John", "Jon", "J.", "Ayşe", "Ayse", "Maria", "Mario", ""]
LAST = ["Smith", "Smyth", "Yılmaz", "Yilmaz", "Jones", ""]
EMAIL = ["john.smith@example.com", "john.smith@example.org", "ayse@example.com", ""]
PHONE = ["+442079460000", "+442079460001", ""]
COMPANY = ["Acme Ltd", "ACME", "Globex", ""]
STREET = ["1 High Street", "High Street 1", "2 Low Road", ""]
POSTAL = ["CF10 1AA", "CF10 1AB", "SW1A 2AA", ""]
CITY = ["Cardiff", "Caerdydd", "London", ""]
BIRTH = ["1980-01-02", "1980-01-03", "1975-06-30", ""]


def random_person(rng: random.Random) -> Person:
    fields = {
        "first_name": rng.choice(FIRST),
        "last_name": rng.choice(LAST),
        "email": rng.choice(EMAIL),
        "phone": rng.choice(PHONE),
        "company_name": rng.choice(COMPANY),
        "street": rng.choice(STREET),
        "postal_code": rng.choice(POSTAL),
        "city": rng.choice(CITY),
    }
    birth = rng.choice(BIRTH)
    return person_from(fields, {"date_of_birth": birth} if birth else {})


def test_the_scan_shortcut_never_rules_out_a_pair_compare_would_report() -> None:
    rng = random.Random(7)
    people = [random_person(rng) for _ in range(300)]
    needed = possible_logit() - 0.01
    reported = ruled_out = 0
    for a, b in itertools.combinations(people, 2):
        confidence, _ = compare(a, b)
        if match_level(confidence):
            reported += 1
            assert may_match(a, b, needed), (a, b, confidence)
        elif not may_match(a, b, needed):
            ruled_out += 1
    # Both kinds are plentiful, so the check above means something.
    assert reported > 1000 and ruled_out > 10000


def scan(**options: Any) -> list[ScanPair]:
    found: list[ScanPair] = []
    duplicates_scan(on_pair=found.append, **options)
    return found


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_scan_in_two_worker_processes_finds_the_pairs_one_process_finds() -> None:
    rng = random.Random(3)
    for index in range(40):
        fields: dict[str, Any] = {
            "first_name": rng.choice(["John", "Jon", "Maria", "Ayşe"]),
            "last_name": rng.choice(["Smith", "Smyth", "Yılmaz"]),
            "email": rng.choice(["john.smith@example.com", "maria@example.com", ""]),
            "phone": rng.choice(["+442079460000", ""]),
            "city": rng.choice(["Cardiff", "London"]),
            "postal_code": rng.choice(["CF10 1AA", "SW1A 2AA"]),
        }
        if not fields["email"] and not fields["phone"]:
            fields["email"] = f"person{index}@example.com"
        make_lead(external_id=f"X{index}", **fields)
    alone = scan(workers=1, batch_size=7, cache_size=5)
    assert len(alone) > 20
    DuplicatePair.objects.all().delete()
    together = scan(workers=2, batch_size=7, cache_size=5)
    assert together == alone
    assert DuplicatePair.objects.count() == len(alone)


def same_person_at(domains: list[str]) -> list[int]:
    """Leads of one name and street, each writing from its own domain: only the mailbox name joins them."""
    return [
        make_lead(
            first_name="Sam", last_name="Jones", email=f"sam.jones@{domain}", street="1 High Street"
        ).pk
        for domain in domains
    ]


@pytest.mark.django_db
def test_a_mailbox_name_shared_by_a_few_leads_makes_them_candidates() -> None:
    a, b = same_person_at(["example.com", "example.org"])
    assert [(pair.lead_a, pair.lead_b) for pair in scan()] == [(a, b)]


@pytest.mark.django_db
def test_a_mailbox_name_shared_by_many_leads_is_a_name_pattern_not_a_person() -> None:
    cap = SCAN_KEY_GROUP_CAPS["l"]
    same_person_at([f"example{n}.com" for n in range(cap + 1)])
    summary = duplicates_scan()
    assert summary.candidates == 0 and summary.pairs == 0


@pytest.mark.django_db
def test_a_scan_worker_ends_on_sigterm_whatever_handler_its_parent_had() -> None:
    """``Pool`` stops its workers with SIGTERM and waits: a handler that only sets a
    flag (a server's graceful stop), inherited through the fork, would hang the scan."""
    from leadflow.identity import services

    before = signal.signal(signal.SIGTERM, lambda *_: None)
    try:
        services._scan_worker_start([], 5, 1.0)
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    finally:
        services._scan_end()
        signal.signal(signal.SIGTERM, before)
