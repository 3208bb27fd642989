"""Activity shapes in the API."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from ninja import Schema
from pydantic import Field

from leadflow.activities.models import ActivityKind
from leadflow.core.schemas import (
    InputSchema,
    OwnedOut,
    QuerySchema,
    RecordId,
    RecordRef,
    Version,
    Versioned,
    When,
)

KINDS = ", ".join(ActivityKind.values)


class ActivityOut(OwnedOut):
    id: int
    kind: str
    subject: str
    body: str
    lead: int | None
    contact: int | None
    deal: int | None
    owner: int | None
    team: int | None
    due_at: datetime.datetime | None
    done_at: datetime.datetime | None
    outcome: str
    created_by: int | None
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_lead(obj: Any) -> int | None:
        return obj.lead_id

    @staticmethod
    def resolve_contact(obj: Any) -> int | None:
        return obj.contact_id

    @staticmethod
    def resolve_deal(obj: Any) -> int | None:
        return obj.deal_id

    @staticmethod
    def resolve_created_by(obj: Any) -> int | None:
        return obj.created_by_id


class ActivityPage(Schema):
    items: list[ActivityOut]
    next_cursor: str | None
    previous_cursor: str | None


class ActivityListQuery(QuerySchema):
    owner: str = Field("", description="A user id, “me” or “none” (unassigned).")
    kind: str = Field("", description=KINDS)
    done: bool | None = Field(None, description="true: done ones; false: planned ones.")
    lead: RecordId | None = None
    contact: RecordId | None = None
    deal: RecordId | None = None
    ordering: str = Field("-created_at", description="created_at or due_at; “-” for descending.")
    limit: int = Field(50, ge=1, le=settings.LEADFLOW_API_MAX_PAGE_SIZE)
    cursor: str | None = Field(None, description="next_cursor or previous_cursor of a page.")


class ActivityCreate(InputSchema):
    kind: str = Field(description=KINDS)
    subject: str
    body: str = ""
    lead: RecordRef | None = None
    contact: RecordRef | None = None
    deal: RecordRef | None = None
    owner: RecordRef | None = Field(None, description="User id; you if none.")
    due_at: When | None = Field(None, description="When it is planned for.")
    done_at: When | None = Field(None, description="When it was done; null if planned.")
    outcome: str = ""


class ActivityUpdate(InputSchema):
    version: Version
    kind: str = Field("", description=KINDS)
    subject: str = ""
    body: str = ""
    due_at: When | None = None
    done_at: When | None = None
    outcome: str = ""


class ActivityComplete(Versioned):
    outcome: str = ""
