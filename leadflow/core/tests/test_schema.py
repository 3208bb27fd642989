"""Indexes of mostly empty foreign keys, and the migration helper that drops an index in place."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations import RunPython
from django.db.migrations.loader import MigrationLoader

from leadflow.core.models import Event
from leadflow.core.schema import field_index_dropped
from leadflow.identity.models import MatchKey
from leadflow.intake.models import Inquiry
from leadflow.leads.models import Lead

pytestmark = pytest.mark.django_db


def _indexes(table: str) -> dict[str, str]:
    """Index name -> its definition, as the database holds it."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                "AND sql IS NOT NULL",
                [table],
            )
        else:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table]
            )
        return dict(cursor.fetchall())


def _on(definition: str, column: str) -> bool:
    return definition.replace('"', "").split(" ON ", 1)[1].split("(", 1)[1].startswith(f"{column})")


@pytest.mark.parametrize(
    ("model", "column"),
    [
        (Lead, "campaign_id"),
        (Lead, "contact_id"),
        (Lead, "deal_id"),
        (Lead, "referred_by_id"),
        (Inquiry, "campaign_id"),
        (Inquiry, "contact_id"),
        (Inquiry, "interest_id"),
        (Inquiry, "referred_by_id"),
        (Inquiry, "submitted_by_id"),
        (Event, "actor_id"),
        (Event, "contact_id"),
        (Event, "company_id"),
        (Event, "deal_id"),
        (MatchKey, "contact_id"),
    ],
)
def test_a_mostly_empty_foreign_key_is_indexed_only_where_it_is_set(model, column):
    table = model._meta.db_table
    on_column = [sql for sql in _indexes(table).values() if _on(sql, column)]
    assert len(on_column) == 1, on_column
    assert "IS NOT NULL" in on_column[0]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN SELECT id FROM {table} WHERE {column} = %s", [7])
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
        assert "USING COVERING INDEX" in plan, plan


def test_a_leads_channel_and_creation_time_are_indexed_by_the_composite_indexes_only():
    indexes = _indexes(Lead._meta.db_table)
    assert not [name for name, sql in indexes.items() if _on(sql, "channel_id")]
    assert not [name for name, sql in indexes.items() if _on(sql, "created_at")]
    assert "lead_channel_created" in indexes and "lead_created" in indexes


# A rep's leads are read by (owner, created) or (owner, status), a team's by (team, created).
@pytest.mark.parametrize(
    ("column", "served_by"), [("owner_id", "lead_owner_"), ("team_id", "lead_team_")]
)
def test_a_leads_owner_and_team_are_indexed_by_the_composite_indexes_only(column, served_by):
    indexes = _indexes(Lead._meta.db_table)
    assert not [name for name, sql in indexes.items() if _on(sql, column)]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                f"EXPLAIN QUERY PLAN SELECT id FROM {Lead._meta.db_table} WHERE {column} = %s", [7]
            )
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
        assert f"USING COVERING INDEX {served_by}" in plan, plan


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_helper_drops_the_fields_own_index_and_keeps_the_declared_one():
    operation = field_index_dropped("leads", "lead", "campaign", Lead._meta.get_field("campaign"))
    (run,) = operation.database_operations
    assert isinstance(run, RunPython) and run.reverse_code is not None
    apps = MigrationLoader(connection).project_state().apps
    table = Lead._meta.db_table

    def on_campaign() -> set[str]:
        return {name for name, sql in _indexes(table).items() if _on(sql, "campaign_id")}

    assert on_campaign() == {"lead_campaign"}
    with connection.schema_editor() as editor:
        run.reverse_code(apps, editor)  # the index Django gave the field before
    created = on_campaign() - {"lead_campaign"}
    assert len(created) == 1 and created.pop().startswith("leads_lead_campaign_id_")
    with connection.schema_editor() as editor:
        run.code(apps, editor)
    assert on_campaign() == {"lead_campaign"}
