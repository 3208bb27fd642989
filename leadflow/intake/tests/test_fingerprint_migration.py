"""The migration that shortens inquiry fingerprints keeps stored inquiries recognisable."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable

import pytest

from leadflow.intake.models import Channel, Inquiry
from leadflow.intake.services import FINGERPRINT_LENGTH, inquiry_fingerprint, inquiry_submit

BEFORE = [("intake", "0008_inquiry_foreign_keys_indexed_when_set")]
AFTER = [("intake", "0009_inquiry_fingerprint_64_bits")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_full_digests_stored_before_are_cut_to_what_intake_computes_now(
    migrate: Callable[[list[tuple[str, str]]], None],
) -> None:
    channel = Channel.objects.get(slug="web-form")
    fields = {"first_name": "Ayşe", "last_name": "Yılmaz", "email": "ayse@example.com"}
    inquiry = inquiry_submit(actor=None, channel=channel, fields=fields, message="Hello")
    cleaned = inquiry.fields
    # The full SHA-256, as fingerprints were stored before the migration.
    content = json.dumps(
        [channel.pk, sorted(cleaned.items()), [], "Hello"], ensure_ascii=False, default=str
    )
    full = hashlib.sha256(content.encode()).hexdigest()
    migrate(BEFORE)
    try:
        Inquiry.objects.filter(pk=inquiry.pk).update(fingerprint=full)
    finally:
        migrate(AFTER)
    stored = Inquiry.objects.get(pk=inquiry.pk).fingerprint
    assert stored == full[:FINGERPRINT_LENGTH]
    assert stored == inquiry_fingerprint(channel, cleaned, {}, "Hello")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "custom",
    [{}, {"Shoe size": "44", "Ölçü": "büyük"}, {"born": datetime.date(1970, 1, 2), "n": 3}],
)
def test_a_fingerprint_is_the_digest_of_the_text_stored_fingerprints_were_made_of(
    custom: dict[str, object],
) -> None:
    # Rows imported or submitted before are recognised by this text: it never changes.
    channel = Channel.objects.get(slug="import")
    fields = {"first_name": "Ayşe", "last_name": "Yılmaz", "email": "ayse@example.com"}
    content = json.dumps(
        [channel.pk, sorted(fields.items()), sorted(custom.items()), "Hi"],
        ensure_ascii=False,
        default=str,
    )
    expected = hashlib.sha256(content.encode()).hexdigest()[:FINGERPRINT_LENGTH]
    assert inquiry_fingerprint(channel, fields, custom, " Hi ") == expected
