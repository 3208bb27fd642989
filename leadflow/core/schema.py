"""Schema helpers shared by models and migrations."""

from __future__ import annotations

from typing import Any

from django.db import migrations, models


def filled_index(field: str, name: str) -> models.Index:
    """An index of the rows where ``field`` is set, for a mostly empty foreign key.

    Django indexes every foreign key with an entry per row, empty or not; most
    leads, inquiries and events have no campaign, contact or deal, and each
    row written paid for those entries. A look-up by a value (``campaign_id =
    5``, the cascade of a delete) can use this index all the same.
    """
    return models.Index(
        fields=[field], condition=models.Q(**{f"{field}__isnull": False}), name=name
    )


def field_index_dropped(
    app_label: str, model_name: str, field_name: str, field: models.Field[Any, Any]
) -> migrations.SeparateDatabaseAndState:
    """``AlterField`` to ``field`` (the same field, ``db_index=False``), dropping the index in place.

    Django's own ``AlterField`` copies the whole table into a new one on
    SQLite to drop an index; with a million leads that is minutes. This
    drops the field's single-column index by name (whatever name it was given)
    and, reversed, creates it again as Django names it.
    """

    def drop(apps: Any, schema_editor: Any) -> None:
        model = apps.get_model(app_label, model_name)
        column = model._meta.get_field(field_name).column
        declared = {index.name for index in model._meta.indexes}
        for name in schema_editor._constraint_names(
            model, [column], unique=False, index=True, type_=models.Index.suffix, exclude=declared
        ):
            schema_editor.execute(schema_editor._delete_index_sql(model, name))

    def create(apps: Any, schema_editor: Any) -> None:
        model = apps.get_model(app_label, model_name)
        schema_editor.execute(
            schema_editor._create_index_sql(model, fields=[model._meta.get_field(field_name)])
        )

    return migrations.SeparateDatabaseAndState(
        state_operations=[migrations.AlterField(model_name, field_name, field)],
        database_operations=[migrations.RunPython(drop, create)],
    )
