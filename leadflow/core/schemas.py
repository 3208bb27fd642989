"""API shapes shared by every router: errors, events, ids and the response maps.

Every error body is ``{"detail": ...}``. A 422 lists what is wrong in the
same shape django-ninja uses for its own schema errors, so a client handles
one format whether the JSON was malformed for the schema or refused by a
service::

    {"detail": [{"type": "invalid", "loc": ["body", "email"], "msg": "…"}]}

A 409 also carries ``current_version``: the version to re-read before
editing again.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    field_validator,
)

# Ids are 64-bit database keys; a larger number is a client error, not an overflow.
MAX_ID = 2**63 - 1
# An id in a path or query string (text, read as a number)…
RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]
# …and in a JSON body, where it must be a JSON number (not true, 1.0 or "1").
RecordRef = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
Version = Annotated[
    StrictInt, Field(ge=1, le=MAX_ID, description="The version you read; 409 if it changed.")
]


Slug = Annotated[str, Field(pattern=r"^[-a-zA-Z0-9_]{1,100}$")]


def _aware(value: datetime.datetime) -> datetime.datetime:
    """A time without a zone is read in the server's time zone; it must fit in UTC."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    try:
        value.astimezone(datetime.UTC)
    except OverflowError as exc:
        raise ValueError(_("This time is out of range.")) from exc
    return value


def _iso_text(value: Any) -> Any:
    """Dates and times come as ISO 8601 text, not as numbers pydantic would read as timestamps."""
    if isinstance(value, int | float):
        raise ValueError(_("Give this as ISO 8601 text, such as 2030-01-31 or 2030-01-31T09:00Z."))
    return value


Day = Annotated[datetime.date, BeforeValidator(_iso_text)]
When = Annotated[datetime.datetime, BeforeValidator(_iso_text), AfterValidator(_aware)]


def plain_text(value: Any) -> Any:
    """Refuse text no database stores: NUL characters and lone surrogates, at any depth."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(_("Text may not contain NUL characters."))
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(_("Text must be valid Unicode.")) from exc
    elif isinstance(value, dict):
        for key, item in value.items():
            plain_text(key)
            plain_text(item)
    elif isinstance(value, list):
        for item in value:
            plain_text(item)
    return value


class QuerySchema(Schema):
    """The query parameters of a list."""

    @field_validator("*", mode="before")
    @classmethod
    def _plain_text(cls, value: Any) -> Any:
        return plain_text(value)


class InputSchema(Schema):
    """A request body: unknown fields are refused (422), not silently ignored."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _plain_text(cls, value: Any) -> Any:
        return plain_text(value)


class OwnedOut(Schema):
    """Resolvers for the owner and team ids every owned record ends with."""

    @staticmethod
    def resolve_owner(obj: Any) -> int | None:
        return obj.owner_id

    @staticmethod
    def resolve_team(obj: Any) -> int | None:
        return obj.team_id


class ErrorOut(Schema):
    detail: str


class ValidationIssue(Schema):
    type: str
    loc: list[str | int]
    msg: str


class ValidationErrorOut(Schema):
    detail: list[ValidationIssue]


class ConflictOut(Schema):
    detail: str
    current_version: int | None


class EventOut(Schema):
    id: int
    occurred_at: datetime.datetime
    kind: str
    actor: int | None
    interface: str
    from_value: str
    to_value: str
    data: dict[str, Any]

    @staticmethod
    def resolve_actor(obj: Any) -> int | None:
        return obj.actor_id


class EventList(Schema):
    items: list[EventOut]


class Versioned(InputSchema):
    """An action on a record; with ``version`` it refuses (409) if the record changed since."""

    version: Version | None = None


# What each kind of operation may answer besides success.
READ_ERRORS: dict[int, Any] = {401: ErrorOut, 404: ErrorOut, 422: ValidationErrorOut}
LIST_ERRORS: dict[int, Any] = {401: ErrorOut, 422: ValidationErrorOut}
CREATE_ERRORS: dict[int, Any] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    422: ValidationErrorOut,
}
WRITE_ERRORS: dict[int, Any] = {**CREATE_ERRORS, 409: ConflictOut}
