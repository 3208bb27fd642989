"""The migration that files match keys as codes converts the keys a database holds."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection

from leadflow.factories import make_lead
from leadflow.identity.matching import key_code
from leadflow.identity.models import MatchKey

BEFORE = [("identity", "0003_matchkey_contact_indexed_when_set")]
AFTER = [("identity", "0004_matchkey_value_code")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_keys_stored_as_text_become_their_codes_and_going_back_forgets_them(
    migrate: Callable[[list[tuple[str, str]]], None],
) -> None:
    lead = make_lead(email="ayse@example.com")
    table = MatchKey._meta.db_table
    migrate(BEFORE)
    try:
        assert not MatchKey.objects.exists()  # codes cannot be turned back into text
        texts = ["e:ayse@example.com", "sz:A YLMS|34710", "nz:ayse yilmaz|34710"]
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} (value, lead_id, contact_id) VALUES (%s, %s, NULL)",
                [(text, lead.pk) for text in texts],
            )
    finally:
        migrate(AFTER)
    stored = sorted(MatchKey.objects.filter(lead=lead).values_list("value", flat=True))
    assert stored == sorted(key_code(text) for text in texts)
    assert all(isinstance(value, int) for value in stored)
