"""Reading a row by a fixed condition on a hot path, without building an ORM query each time.

Building a queryset's SQL costs Django more than SQLite needs to run a look-up
by an indexed column; on ``POST /api/v1/inquiries`` (a dozen such look-ups:
the bearer token, the channel, the idempotency record, an earlier copy of the
submission …) that was a fifth of the request. :class:`RowReader` writes its
SQL once and turns the row into a model instance the way querysets do
(``Model.from_db``, with the same database converters), so callers still get
ordinary model objects.

Only for a handful of look-ups that run on every request; everything else
reads through querysets (and the permission-scoped ones where users see it).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from django.db import connections, models, router
from django.db.models.fields import AutoFieldMixin

M = TypeVar("M", bound=models.Model)

Converter = Callable[[Any, Any, Any], Any]


class _Columns:
    """The concrete columns of a model under a table alias, and their converters for one database."""

    def __init__(self, model: type[models.Model], alias: str, connection: Any) -> None:
        quote = connection.ops.quote_name
        self.model = model
        self.fields = model._meta.concrete_fields
        self.names = [field.attname for field in self.fields]
        self.pk_index = self.fields.index(model._meta.pk)
        self.sql = ", ".join(f"{quote(alias)}.{quote(field.column)}" for field in self.fields)
        self.converters: list[tuple[Any, list[Converter]]] = []
        for field in self.fields:
            column = field.get_col(alias)
            converters = connection.ops.get_db_converters(column)
            converters += column.get_db_converters(connection)
            self.converters.append((column, converters))
        self.using = connection.alias
        self.connection = connection

    def build(self, values: Sequence[Any]) -> models.Model:
        converted = []
        for value, (column, converters) in zip(values, self.converters, strict=True):
            for convert in converters:
                value = convert(value, column, self.connection)
            converted.append(value)
        return self.model.from_db(self.using, self.names, converted)


class RowReader(Generic[M]):
    """``first(*params)``: the first ``model`` row matching ``where`` (SQL with ``%s``), or None.

    ``where`` and ``order_by`` name columns of the model's table under the
    alias ``t``. ``related`` are foreign keys whose rows come along, as with
    ``select_related`` ("user", "user__team"): a nullable one by a LEFT JOIN.
    """

    def __init__(
        self, model: type[M], where: str, *, order_by: str = "", related: Sequence[str] = ()
    ) -> None:
        self.model = model
        self.where = where
        self.order_by = order_by
        self.related = related
        self._prepared: dict[str, tuple[str, list[_Columns]]] = {}

    def _prepare(self, connection: Any) -> tuple[str, list[_Columns]]:
        prepared = self._prepared.get(connection.alias)
        if prepared is None:
            quote = connection.ops.quote_name
            columns = [_Columns(self.model, "t", connection)]
            joins = []
            for path in self.related:
                parent_path, _, name = path.rpartition("__")
                parent_model: Any = columns[0].model
                for step in filter(None, parent_path.split("__")):
                    parent_model = parent_model._meta.get_field(step).related_model
                field: Any = parent_model._meta.get_field(name)
                target: type[models.Model] = field.related_model
                columns.append(_Columns(target, path, connection))
                joins.append(
                    f"{'LEFT JOIN' if field.null else 'JOIN'} {quote(target._meta.db_table)} "
                    f"{quote(path)} ON {quote(path)}.{quote(target._meta.pk.column)} = "
                    f"{quote(parent_path or 't')}.{quote(field.column)}"
                )
            sql = (
                f"SELECT {', '.join(c.sql for c in columns)} "
                f"FROM {quote(self.model._meta.db_table)} {quote('t')} {' '.join(joins)} "
                f"WHERE {self.where}"
                + (f" ORDER BY {self.order_by}" if self.order_by else "")
                + " LIMIT 1"
            )
            prepared = self._prepared[connection.alias] = (sql, columns)
        return prepared

    def first(self, *params: Any) -> M | None:
        connection = connections[router.db_for_read(self.model)]
        sql, columns = self._prepare(connection)
        adapt = connection.ops.adapt_datetimefield_value
        values = [adapt(p) if isinstance(p, datetime.datetime) else p for p in params]
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
            row = cursor.fetchone()
        if row is None:
            return None
        objects, start = [], 0
        for part in columns:
            end = start + len(part.names)
            values = row[start:end]
            objects.append(None if values[part.pk_index] is None else part.build(values))
            start = end
        main = objects[0]
        for path, related in zip(self.related, objects[1:], strict=True):
            owner: Any = main
            *parents, name = path.split("__")
            for parent in parents:
                owner = getattr(owner, parent)
            owner._meta.get_field(name).set_cached_value(owner, related)
        return main  # type: ignore[return-value]


_INSERTS: dict[tuple[type[models.Model], str], tuple[str, list[Any], bool]] = {}


def row_insert(obj: M) -> M:
    """Write a new model instance, as ``obj.save()`` would, with an INSERT prepared once per model.

    For rows written on every inquiry (the inquiry, its lead, events, the
    audit record): ``save()`` compiles its INSERT each time. Fields' ``pre_save``
    runs (``auto_now_add`` stamps), related objects must be saved already, no
    signals are sent (Leadflow has no receivers). The primary key must be
    left to the database.
    """
    model = type(obj)
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    if obj.pk is not None or not obj._state.adding:
        raise ValueError(f"row_insert writes new rows only, not {meta.label} {obj.pk}.")
    obj._prepare_related_fields_for_save(operation_name="row_insert")  # type: ignore[attr-defined]
    prepared = _INSERTS.get((model, connection.alias))
    if prepared is None:
        if not isinstance(meta.pk, AutoFieldMixin):
            raise TypeError(f"row_insert needs a database-assigned key; {meta.label} has none.")
        quote = connection.ops.quote_name
        fields = [field for field in meta.concrete_fields if field is not meta.pk]
        returning = connection.vendor == "postgresql"
        sql = "INSERT INTO {} ({}) VALUES ({}){}".format(
            quote(meta.db_table),
            ", ".join(quote(field.column) for field in fields),
            ", ".join(["%s"] * len(fields)),
            f" RETURNING {quote(meta.pk.column)}" if returning else "",
        )
        prepared = _INSERTS[(model, connection.alias)] = (sql, fields, returning)
    sql, fields, returning = prepared
    values = [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        obj.pk = cursor.fetchone()[0] if returning else cursor.lastrowid
    obj._state.adding = False
    obj._state.db = connection.alias
    return obj
