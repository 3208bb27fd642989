"""Bulk inserts keep the values they are given and never reuse someone else's id."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection, transaction

from leadflow.core.bulk import (
    BulkTable,
    IdReservation,
    ReservedIdTaken,
    bulk_insert_rows,
    instance_rows,
)
from leadflow.factories import channel, make_lead
from leadflow.leads.models import Lead
from leadflow.sales.models import Deal, Pipeline

pytestmark = pytest.mark.django_db

A_YEAR_AGO = datetime.datetime(2025, 3, 4, 5, 6, 7, 890000, tzinfo=datetime.UTC)


def unsaved_lead(pk: int, **fields: object) -> Lead:
    return Lead(
        id=pk,
        first_name="Gwenllian",
        last_name="ferch Rhys",
        email=f"gwen{pk}@post.example",
        channel_id=channel("web-form").pk,
        created_at=A_YEAR_AGO,
        updated_at=A_YEAR_AGO,
        **fields,
    )


def test_rows_keep_their_created_at_json_and_decimals() -> None:
    ids = IdReservation(Lead)
    lead = unsaved_lead(ids.take(), custom={"page": "/pricing", "tags": ["a", "b"]})
    with transaction.atomic():
        assert bulk_insert_rows(Lead, *instance_rows([lead])) == 1
    stored = Lead.objects.get(pk=lead.pk)
    assert stored.created_at == A_YEAR_AGO
    assert stored.updated_at == A_YEAR_AGO
    assert stored.custom == {"page": "/pricing", "tags": ["a", "b"]}

    pipeline = Pipeline.objects.get(is_default=True)
    deal = Deal(
        id=IdReservation(Deal).take(),
        title="Llechi Gwynedd Cyf.: licences",
        pipeline=pipeline,
        stage=pipeline.stages.order_by("order").first(),
        amount=Decimal("12345.67"),
        expected_close_on=datetime.date(2026, 1, 31),
        created_at=A_YEAR_AGO,
        updated_at=A_YEAR_AGO,
    )
    with transaction.atomic():
        bulk_insert_rows(Deal, *instance_rows([deal]))
    stored_deal = Deal.objects.get(pk=deal.pk)
    assert stored_deal.amount == Decimal("12345.67")
    assert stored_deal.expected_close_on == datetime.date(2026, 1, 31)


def test_reserved_ids_follow_the_largest_one() -> None:
    existing = make_lead()
    ids = IdReservation(Lead)
    assert [ids.take(), ids.take()] == [existing.pk + 1, existing.pk + 2]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL reserves from its sequence")
def test_an_id_someone_else_took_meanwhile_is_refused_not_overwritten() -> None:
    ids = IdReservation(Lead)
    reserved = ids.take()
    taken = make_lead()  # another writer, between reserving and writing
    assert taken.pk == reserved
    with pytest.raises(ReservedIdTaken), transaction.atomic():
        bulk_insert_rows(Lead, *instance_rows([unsaved_lead(reserved)]))
    assert Lead.objects.get(pk=reserved).last_name == taken.last_name


def test_unknown_columns_are_refused() -> None:
    with pytest.raises(ValueError, match="no column"):
        bulk_insert_rows(Lead, ["first_name", "events"], [("Ada", None)])


def test_text_in_an_encoded_json_column_is_written_as_the_json_it_is() -> None:
    ids = IdReservation(Lead)
    columns, values = instance_rows([unsaved_lead(ids.take()), unsaved_lead(ids.take())])
    at = columns.index("custom")
    rows = [list(row) for row in values]
    rows[0][at] = '{"page": "/pricing", "tags": ["a", "b"]}'  # JSON text already
    rows[1][at] = {"page": "/about"}  # a value: encoded as usual
    with transaction.atomic():
        BulkTable(Lead, columns, encoded=["custom"]).insert(rows)
    first, second = Lead.objects.order_by("pk").filter(pk__in=[rows[0][0], rows[1][0]])
    assert first.custom == {"page": "/pricing", "tags": ["a", "b"]}
    assert second.custom == {"page": "/about"}


def test_text_in_any_other_json_column_is_a_json_string() -> None:
    ids = IdReservation(Lead)
    lead = unsaved_lead(ids.take(), custom='{"page": "/pricing"}')
    with transaction.atomic():
        bulk_insert_rows(Lead, *instance_rows([lead]))
    assert Lead.objects.get(pk=lead.pk).custom == '{"page": "/pricing"}'


@pytest.mark.parametrize("name", ["first_name", "phone", "updated_at"])
def test_only_json_columns_can_be_encoded_already(name: str) -> None:
    with pytest.raises(ValueError, match="no JSON column"):
        BulkTable(Lead, ["first_name", "custom"], encoded=[name])


def test_columns_empty_in_every_row_or_only_some_keep_their_values() -> None:
    ids = IdReservation(Lead)
    ada = unsaved_lead(ids.take(), triage_pending=True)
    bea = unsaved_lead(ids.take(), predicted_probability=0.25, triage_pending=False)
    with transaction.atomic():
        bulk_insert_rows(Lead, *instance_rows([ada, bea]))
    ada, bea = Lead.objects.filter(pk__in=[ada.pk, bea.pk]).order_by("pk")
    assert (ada.predicted_probability, ada.postponed_until, ada.owner_id) == (None, None, None)
    assert (bea.predicted_probability, bea.postponed_until, bea.owner_id) == (0.25, None, None)
    assert ada.triage_pending is True and bea.triage_pending is False


def test_rows_whose_every_column_is_empty_are_written_as_empty() -> None:
    from leadflow.identity.models import MatchKey

    lead = make_lead()
    with transaction.atomic():
        table = BulkTable(MatchKey, ["value", "lead_id", "contact_id"])
        assert table.insert([(7, lead.pk, None), (8, lead.pk, None)]) == 2
    assert sorted(MatchKey.objects.filter(value__in=[7, 8]).values_list("value", "contact_id")) == [
        (7, None),
        (8, None),
    ]
