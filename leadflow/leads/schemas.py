"""Lead shapes in the API. Field names are the public contract (DESIGN.md)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from ninja import Schema
from pydantic import Field, StrictBool

from leadflow.core.schemas import (
    Day,
    InputSchema,
    OwnedOut,
    QuerySchema,
    RecordRef,
    Version,
    Versioned,
)


class LeadOut(OwnedOut):
    id: int
    first_name: str
    last_name: str
    email: str
    phone: str
    company_name: str
    job_title: str
    street: str
    city: str
    postal_code: str
    region: str
    country: str
    language: str
    purchase_timeframe: str
    external_id: str
    custom: dict[str, Any]
    channel: str
    campaign: str | None
    status: str
    temperature: str
    funnel_class: str
    origin_class: str
    owner: int | None
    team: int | None
    score: int
    predicted_probability: float | None
    rejection_reason: str
    postponed_until: datetime.date | None
    converted_at: datetime.datetime | None
    contact_id: int | None
    deal_id: int | None
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_channel(obj: Any) -> str:
        return obj.channel.slug

    @staticmethod
    def resolve_campaign(obj: Any) -> str | None:
        return obj.campaign.slug if obj.campaign_id else None


class LeadPage(Schema):
    items: list[LeadOut]
    next_cursor: str | None
    previous_cursor: str | None


class LeadListQuery(QuerySchema):
    status: str = ""
    owner: str = Field("", description="A user id, “me” or “none” (unassigned).")
    channel: str = Field("", description="Channel slug.")
    campaign: str = Field("", description="Campaign slug.")
    temperature: str = ""
    funnel_class: str = ""
    q: str = Field("", description="Name, company, e-mail address or phone number.")
    ordering: str = Field(
        "-created_at", description="created_at, last_name or score; “-” for descending."
    )
    limit: int = Field(50, ge=1, le=settings.LEADFLOW_API_MAX_PAGE_SIZE)
    cursor: str | None = Field(None, description="next_cursor or previous_cursor of a page.")


class LeadPersonFields(InputSchema):
    """The person fields; null means blank."""

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    company_name: str | None = None
    job_title: str | None = None
    street: str | None = None
    city: str | None = None
    postal_code: str | None = None
    region: str | None = None
    country: str | None = None
    language: str | None = None
    purchase_timeframe: str | None = None
    external_id: str | None = None
    custom: dict[str, Any] | None = None
    campaign: str | None = Field(None, description="Campaign slug; null for none.")


class LeadCreate(LeadPersonFields):
    channel: str = Field(description="Channel slug, such as web-form, api or phone.")


class LeadUpdate(LeadPersonFields):
    version: Version


class LeadAssign(Versioned):
    owner: RecordRef | None = Field(description="User id; null puts the lead back in the queue.")
    reason: str = ""


class LeadReject(Versioned):
    reason: str


class LeadQualify(Versioned):
    temperature: str = Field(
        "", description="hot, warm or cold (sticks until set to “auto”); empty leaves it."
    )
    funnel_class: str = Field(
        "",
        description="suspect, mql or sql; funnel rules do not raise a class set here until"
        " the lead gets in touch again or a call, meeting or proposal goes well."
        " Empty leaves it.",
    )
    origin_class: str = Field("", description="seed, net or spear; empty leaves it.")
    reason: str = ""


class LeadPostpone(Versioned):
    until: Day
    reason: str = ""


class LeadConvert(Versioned):
    owner: RecordRef | None = Field(
        default=None, description="Owner of the customer; the lead's if none."
    )
    create_deal: StrictBool = True
    deal_title: str = ""
    amount: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=2)
    pipeline: str | None = Field(
        default=None, description="Pipeline slug; the default one if none."
    )


class ConversionOut(Schema):
    lead_id: int
    contact_id: int
    company_id: int | None
    deal_id: int | None
    contact_created: bool
    company_created: bool
