"""Writing many new rows fast: reserved primary keys and one prepared INSERT per batch.

``QuerySet.bulk_create`` compiles the SQL again for every batch (at most 999
parameters on SQLite, so under a hundred events a batch) and prepares every
value through its field; here that costs about 90 µs a row, and a year of
demo history for 100,000 leads is close to a million rows.
:func:`bulk_insert_rows` runs one statement with ``executemany`` instead,
several times faster.

What it gives up, on purpose:

- primary keys come from :class:`IdReservation`, so that rows can point at
  each other (a lead at its deal, an event at both) before any is written;
- fields' ``pre_save`` does not run, so ``auto_now``/``auto_now_add`` do not
  stamp "now" — callers set ``created_at`` and ``updated_at`` themselves,
  which is what back-filling history needs;
- no signals, no ``full_clean``: callers build rows that are already valid.

SQLite and PostgreSQL only, the two databases Leadflow supports.
"""

from __future__ import annotations

import datetime
import json
import operator
from collections.abc import Callable, Collection, Sequence
from typing import Any

from django.conf import settings
from django.db import connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper

# Columns whose Python value the database driver takes as it is.
_PLAIN_FIELDS = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.FloatField,
)

Converter = Callable[[Any], Any]

# PostgreSQL hands out sequence values in blocks of this many.
_RESERVE_BLOCK = 1000


class ReservedIdTaken(RuntimeError):
    """Someone else wrote a row with an id that was set aside for a bulk insert."""


def _connection(model: type[models.Model]) -> BaseDatabaseWrapper:
    return connections[router.db_for_write(model)]


class IdReservation:
    """Primary keys for rows not written yet.

    On PostgreSQL they come from the table's own sequence, which never hands
    the same value out twice. SQLite has no sequence to take from, so the ids
    count on from the largest one when the reservation is made, and
    :func:`bulk_insert_rows` checks, inside the write transaction that holds
    SQLite's only write lock, that nobody has written one of them meanwhile.
    """

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.vendor = _connection(model).vendor
        if self.vendor not in {"sqlite", "postgresql"}:
            raise NotImplementedError(f"bulk inserts do not support {self.vendor}")
        self._pool: list[int] = []
        self._next = 0
        if self.vendor == "sqlite":
            latest = model._default_manager.aggregate(latest=models.Max("pk"))["latest"]
            self._next = (latest or 0) + 1

    def take(self) -> int:
        if self.vendor == "sqlite":
            pk = self._next
            self._next += 1
            return pk
        if not self._pool:
            self._pool = self._reserve_from_sequence(_RESERVE_BLOCK)
            self._pool.reverse()
        return self._pool.pop()

    def _reserve_from_sequence(self, count: int) -> list[int]:
        meta = self.model._meta
        with _connection(self.model).cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, count],
            )
            return [row[0] for row in cursor.fetchall()]


def _converter(
    field: models.Field, connection: BaseDatabaseWrapper, *, encoded: bool = False
) -> Converter | None:
    """How to turn a non-null Python value into what the driver takes; None: as it is.

    ``encoded`` (JSON fields): a text value is the JSON already (``json.dumps``).
    """
    if isinstance(field, _PLAIN_FIELDS) or (
        isinstance(field, models.ForeignKey) and isinstance(field.target_field, _PLAIN_FIELDS)
    ):
        return None
    if isinstance(field, models.DateTimeField):
        if connection.vendor == "sqlite" and settings.USE_TZ and connection.timezone:
            return _sqlite_datetime(connection.timezone)
        return connection.ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return connection.ops.adapt_datefield_value
    if isinstance(field, models.JSONField):
        encoder = field.encoder
        empty = connection.ops.adapt_json_value({}, encoder)
        text_columns = connection.vendor == "sqlite"

        def to_json(value: Any) -> Any:
            if encoded and type(value) is str:
                if text_columns:
                    return value
                value = json.loads(value)
            # Most events carry no details; that is encoded once.
            return empty if value == {} else connection.ops.adapt_json_value(value, encoder)

        return to_json
    return lambda value: field.get_db_prep_save(value, connection)


def _sqlite_datetime(tz: datetime.tzinfo) -> Converter:
    """What adapt_datetimefield_value does (naive text in the connection's zone), faster.

    It is a third of the time of writing an event otherwise.
    """

    # Rows written together often share one timestamp: the last one is kept.
    last: list[Any] = [None, ""]

    def to_text(value: datetime.datetime) -> str:
        if value is last[0]:
            return str(last[1])
        original = value
        if value.tzinfo is tz:
            text = value.isoformat(" ")[:-6]  # drop the "+00:00"
        else:
            if value.tzinfo is not None:
                value = value.astimezone(tz).replace(tzinfo=None)
            text = str(value)
        last[0], last[1] = original, text
        return text

    return to_text


def instance_rows(objs: Sequence[models.Model]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and one tuple of values per unsaved instance, for :func:`bulk_insert_rows`.

    Instances need their primary key set (from :class:`IdReservation`).
    """
    if not objs:
        return [], []
    model = type(objs[0])
    if any(obj.pk is None or type(obj) is not model for obj in objs):
        raise ValueError("instance_rows takes instances of one model, each with its id set.")
    columns = [f.attname for f in model._meta.concrete_fields]
    read = operator.attrgetter(*columns)
    return columns, [read(obj) for obj in objs]


class BulkTable:
    """Some columns of one model's table: rows of Python values in, rows in the table out.

    Values are converted for the database as their fields would (aware
    datetimes, JSON). :meth:`prepare` and :meth:`insert` are separate so that
    another process can do the converting. In the JSON columns named in
    ``encoded`` a text value is taken as encoded already (``json.dumps``), so
    another process can do the encoding, and hand over plain text, which
    costs less to pass between processes than any wrapper of it would.
    """

    def __init__(
        self,
        model: type[models.Model],
        columns: Sequence[str],
        *,
        encoded: Collection[str] = (),
    ) -> None:
        self.model = model
        self.columns = list(columns)
        meta = model._meta
        self.connection = _connection(model)
        fields: list[models.Field] = []
        for name in columns:
            field = meta.get_field(name)
            if not isinstance(field, models.Field) or not field.concrete:
                raise ValueError(f"{meta.label} has no column {name!r}.")
            fields.append(field)
        for name in encoded:
            if name not in columns or not isinstance(meta.get_field(name), models.JSONField):
                raise ValueError(f"{meta.label}.{name} is no JSON column of this table.")
        self.conversions = [
            (index, convert)
            for index, f in enumerate(fields)
            if (convert := _converter(f, self.connection, encoded=f.attname in encoded)) is not None
        ]
        quote = self.connection.ops.quote_name
        self._table_sql = "INSERT INTO {} ({})".format(
            quote(meta.db_table), ", ".join(quote(f.column) for f in fields)
        )
        self.sql = self._values_sql(())
        # SQLite's driver binds None (and True or False) through its adapter
        # look-up: ten times the cost of binding an integer. A column that is
        # NULL in every row of a batch is written as NULL instead (a new lead
        # has about ten such columns), and booleans go as 0 or 1.
        self._inline_nulls = self.connection.vendor == "sqlite"
        self._nullable = [index for index, f in enumerate(fields) if f.null]
        self._sql_without: dict[tuple[int, ...], str] = {}
        if self._inline_nulls:
            self.conversions += [
                (index, int) for index, f in enumerate(fields) if isinstance(f, models.BooleanField)
            ]

    def _values_sql(self, nulls: Collection[int]) -> str:
        slots = ("NULL" if index in nulls else "%s" for index in range(len(self.columns)))
        return f"{self._table_sql} VALUES ({', '.join(slots)})"

    def _nulls_inlined(self, rows: Sequence[Sequence[Any]]) -> tuple[str, Sequence[Sequence[Any]]]:
        """The statement for these rows, and their values, with columns NULL in all of them as NULL."""
        if not self._inline_nulls:
            return self.sql, rows
        count = len(rows)
        nulls = tuple(
            index
            for index in self._nullable
            if list(map(operator.itemgetter(index), rows)).count(None) == count
        )
        if not nulls:
            return self.sql, rows
        sql = self._sql_without.get(nulls)
        if sql is None:
            sql = self._sql_without[nulls] = self._values_sql(nulls)
        kept = [index for index in range(len(self.columns)) if index not in nulls]
        if not kept:
            return sql, [()] * count
        if len(kept) == 1:
            (only,) = kept
            return sql, [(row[only],) for row in rows]
        return sql, list(map(operator.itemgetter(*kept), rows))

    def prepare(self, rows: Sequence[Sequence[Any]]) -> list[Sequence[Any]]:
        conversions = self.conversions
        if not conversions:
            return list(rows)
        prepared: list[Sequence[Any]] = []
        for row in rows:
            values = list(row)
            for index, convert in conversions:
                if values[index] is not None:
                    values[index] = convert(values[index])
            prepared.append(values)
        return prepared

    def insert(
        self, rows: Sequence[Sequence[Any]], *, prepared: bool = False, batch_size: int = 5000
    ) -> int:
        """Write the rows; returns how many. Call it inside a transaction.

        On SQLite, ids from an :class:`IdReservation` are first checked to be
        still unused (see there).
        """
        if not rows:
            return 0
        self._check_ids_unused(rows)
        with self.connection.cursor() as cursor:
            for start in range(0, len(rows), batch_size):
                batch = rows[start : start + batch_size]
                sql, values = self._nulls_inlined(batch if prepared else self.prepare(batch))
                cursor.executemany(sql, values)
        return len(rows)

    def _check_ids_unused(self, rows: Sequence[Sequence[Any]]) -> None:
        meta = self.model._meta
        pk_name = meta.pk.attname if meta.pk is not None else None
        if self.connection.vendor != "sqlite" or pk_name not in self.columns:
            return
        position = self.columns.index(pk_name)
        smallest = min(row[position] for row in rows)
        if self.model._default_manager.filter(pk__gte=smallest).exists():
            raise ReservedIdTaken(
                f"{meta.label}: another writer took ids from {smallest} on; try again."
            )


def bulk_insert_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    batch_size: int = 5000,
) -> int:
    """Insert rows of plain Python values, one per name in ``columns`` (field attnames).

    Returns how many rows were written; see :class:`BulkTable`.
    """
    return BulkTable(model, columns).insert(rows, batch_size=batch_size)
