"""Keyset ("cursor") pagination: constant cost on any page, no COUNT(*).

A page is the rows after (or before) the last row the reader saw, in a stable
order of one field plus the primary key as tie-breaker. An index on
``(field, id)`` makes every page an index range scan, at a million rows as at
a hundred.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _

T = TypeVar("T", bound=models.Model)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None
    previous_cursor: str | None


def _encode(direction: str, value: Any, pk: Any) -> str:
    raw = json.dumps({"d": direction, "v": value, "id": pk}, default=str, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _invalid_cursor() -> ValidationError:
    return ValidationError(
        {"cursor": _("This page cursor is not valid; start from the first page.")}
    )


def _decode(cursor: str) -> tuple[str, Any, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        direction, value, pk = data["d"], data["v"], data["id"]
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise _invalid_cursor() from exc
    # A cursor comes back from the client: trust nothing a query would choke on.
    if direction not in ("n", "p") or type(pk) is not int or not 0 < pk < 2**63:
        raise _invalid_cursor()
    if value is not None and not isinstance(value, str | int | float):
        raise _invalid_cursor()
    return direction, value, pk


def _beyond(field: str, op: str, value: Any, pk: Any, *, nullable: bool, nulls_beyond: bool) -> Q:
    """Rows past ``(value, pk)`` in the direction ``op`` ("lt" or "gt").

    Written as ``field <= v AND (field < v OR pk < id)`` rather than the
    textbook ``field < v OR (field = v AND pk < id)``: the leading range lets
    the database seek straight into the ``(field, id)`` index.
    """
    if value is None:
        # Past a null: only nulls further on (or, walking back, every non-null).
        rest = Q(**{f"{field}__isnull": True, f"pk__{op}": pk})
        return rest | Q(**{f"{field}__isnull": False}) if not nulls_beyond else rest
    inclusive = "lte" if op == "lt" else "gte"
    condition = Q(**{f"{field}__{inclusive}": value}) & (
        Q(**{f"{field}__{op}": value}) | Q(**{f"pk__{op}": pk})
    )
    if nullable and nulls_beyond:
        condition |= Q(**{f"{field}__isnull": True})
    return condition


def keyset_paginate(
    queryset: models.QuerySet[T], *, ordering: str, cursor: str | None = None, limit: int = 50
) -> Page[T]:
    """One page of ``queryset`` ordered by ``ordering`` ("field" or "-field"), then by id."""
    descending = ordering.startswith("-")
    field = ordering.lstrip("-")
    model_field = queryset.model._meta.get_field(field)

    def order(desc: bool, backwards: bool) -> list[Any]:
        # Nulls come last in reading order, so first when reading backwards.
        expression = models.F(field)
        nulls = {"nulls_first": True} if backwards else {"nulls_last": True}
        first = expression.desc(**nulls) if desc else expression.asc(**nulls)
        return [first, "-pk" if desc else "pk"]

    unfiltered = queryset

    direction, value, pk = ("n", None, None) if not cursor else _decode(cursor)
    backwards = direction == "p"
    if cursor:
        if value is not None:
            try:
                value = model_field.to_python(value)  # type: ignore[union-attr]
            except ValidationError as exc:
                raise _invalid_cursor() from exc
        scan_desc = descending != backwards
        # Forward we scan in reading order; walking back we scan the rows
        # before the cursor in reverse, then flip them.
        op = "lt" if scan_desc else "gt"
        # Nulls sort last in reading order: they lie beyond any value going
        # forward and before every value going back.
        queryset = queryset.filter(
            _beyond(
                field,
                op,
                value,
                pk,
                nullable=bool(getattr(model_field, "null", False)),
                nulls_beyond=not backwards,
            )
        )
    else:
        scan_desc = descending
    rows = list(queryset.order_by(*order(scan_desc, backwards))[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        if not more:
            # Back at the start: show a full first page rather than a stub.
            return keyset_paginate(unfiltered, ordering=ordering, limit=limit)
        rows.reverse()

    def key(row: T) -> tuple[Any, Any]:
        return getattr(row, model_field.attname), row.pk  # type: ignore[union-attr]

    has_next = (more and not backwards) or (backwards and bool(rows))
    has_previous = bool(cursor) and bool(rows) and (not backwards or more)
    next_cursor = _encode("n", *key(rows[-1])) if rows and has_next else None
    previous_cursor = _encode("p", *key(rows[0])) if rows and has_previous else None
    return Page(rows, next_cursor, previous_cursor)
