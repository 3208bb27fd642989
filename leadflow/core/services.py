"""Events and the audit log: the two records every service writes."""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from django.db import models
from django.utils import timezone

from leadflow.core.context import current_interface
from leadflow.core.exceptions import ConflictError
from leadflow.core.models import AuditEvent, Event, EventKind
from leadflow.core.rows import row_insert

if TYPE_CHECKING:
    from leadflow.accounts.models import User

M = TypeVar("M", bound=models.Model)


class Unset(enum.Enum):
    """Marks an optional keyword the caller did not pass (where None means "clear it")."""

    UNSET = "unset"


UNSET = Unset.UNSET
UnsetType = Literal[Unset.UNSET]


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return value


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The audit-log picture of a row: concrete field values, foreign keys as ids."""
    names = (
        list(fields)
        if fields is not None
        else [f.attname for f in obj._meta.concrete_fields if f.attname not in {"id"}]
    )
    return {name: _jsonable(getattr(obj, name)) for name in names}


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict, dict]:
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    return row_insert(
        AuditEvent(
            occurred_at=timezone.now(),
            actor=actor,
            interface=current_interface(),
            action=action,
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            object_repr=str(obj)[:255],
            before=before,
            after=after,
        )
    )


def event_build(
    *,
    kind: EventKind | str,
    actor: User | None,
    from_value: Any = "",
    to_value: Any = "",
    data: dict[str, Any] | None = None,
    occurred_at: datetime.datetime | None = None,
    **subjects: models.Model | None,
) -> Event:
    """An unsaved event, for callers that write many at once with ``bulk_create``."""
    return Event(
        occurred_at=occurred_at or timezone.now(),
        kind=kind,
        actor=actor,
        interface=current_interface(),
        from_value="" if from_value is None else str(_jsonable(from_value)),
        to_value="" if to_value is None else str(_jsonable(to_value)),
        data=data or {},
        **subjects,
    )


def event_record(**kwargs: Any) -> Event:
    """Append one event. Takes the keywords of :func:`event_build`."""
    return row_insert(event_build(**kwargs))


def lock_for_edit(queryset: models.QuerySet[M], pk: Any, version: int | None) -> M:
    """Fetch a row for update and check the caller edited the version it read.

    ``version=None`` skips the check (system writes that do not come from a form).
    Raises ``DoesNotExist`` when the row is outside ``queryset`` — callers pass
    the permission-scoped queryset, so that is a 404 for the user.
    """
    obj = queryset.select_for_update(of=("self",)).get(pk=pk)
    current = obj.version  # type: ignore[attr-defined]
    if version is not None and version != current:
        raise ConflictError(current_version=current)
    return obj
