"""Company, contact, deal and pipeline shapes in the API."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Annotated, Any

from django.conf import settings
from ninja import Schema
from pydantic import Field, StrictInt

from leadflow.core.permissions import can_see_deal_amount
from leadflow.core.schemas import (
    Day,
    InputSchema,
    OwnedOut,
    QuerySchema,
    RecordId,
    RecordRef,
    Version,
    Versioned,
)

CENTS = Decimal("0.01")
Amount = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
PageLimit = Annotated[int, Field(ge=1, le=settings.LEADFLOW_API_MAX_PAGE_SIZE)]
OWNER_FILTER = "A user id, “me” or “none” (unassigned)."
CURSOR = "next_cursor or previous_cursor of a page."


# --- Companies ------------------------------------------------------------------


class CompanyOut(OwnedOut):
    id: int
    name: str
    domain: str
    phone: str
    industry: str
    employees: int | None
    street: str
    city: str
    postal_code: str
    region: str
    country: str
    custom: dict[str, Any]
    owner: int | None
    team: int | None
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime


class CompanyPage(Schema):
    items: list[CompanyOut]
    next_cursor: str | None
    previous_cursor: str | None


class CompanyListQuery(QuerySchema):
    q: str = Field("", description="Part of the name or web domain.")
    owner: str = Field("", description=OWNER_FILTER)
    ordering: str = Field("name", description="name or created_at; “-” for descending.")
    limit: PageLimit = 50
    cursor: str | None = Field(None, description=CURSOR)


class CompanyFields(InputSchema):
    domain: str = ""
    phone: str = ""
    industry: str = ""
    employees: StrictInt | None = Field(None, ge=0, le=2_147_483_647)
    street: str = ""
    city: str = ""
    postal_code: str = ""
    region: str = ""
    country: str = ""


class CompanyCreate(CompanyFields):
    name: str
    owner: RecordRef | None = Field(None, description="User id; you if none.")


class CompanyUpdate(CompanyFields):
    version: Version
    name: str = ""


# --- Contacts -------------------------------------------------------------------


class ContactOut(OwnedOut):
    id: int
    first_name: str
    last_name: str
    email: str
    phone: str
    job_title: str
    language: str
    street: str
    city: str
    postal_code: str
    region: str
    country: str
    company: int | None
    source_lead: int | None
    converted_at: datetime.datetime | None
    custom: dict[str, Any]
    owner: int | None
    team: int | None
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_company(obj: Any) -> int | None:
        return obj.company_id

    @staticmethod
    def resolve_source_lead(obj: Any) -> int | None:
        return obj.source_lead_id


class ContactPage(Schema):
    items: list[ContactOut]
    next_cursor: str | None
    previous_cursor: str | None


class ContactListQuery(QuerySchema):
    q: str = Field("", description="Name, company, e-mail address or phone number.")
    owner: str = Field("", description=OWNER_FILTER)
    company: RecordId | None = Field(None, description="Company id.")
    ordering: str = Field("last_name", description="last_name or created_at; “-” for descending.")
    limit: PageLimit = 50
    cursor: str | None = Field(None, description=CURSOR)


class ContactFields(InputSchema):
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    job_title: str = ""
    language: str = ""
    street: str = ""
    city: str = ""
    postal_code: str = ""
    region: str = ""
    country: str = ""
    company: RecordRef | None = Field(None, description="Company id; null for none.")
    custom: dict[str, Any] | None = None


class ContactCreate(ContactFields):
    owner: RecordRef | None = Field(None, description="User id; you if none.")


class ContactUpdate(ContactFields):
    version: Version


# --- Pipelines ------------------------------------------------------------------


class StageOut(Schema):
    id: int
    slug: str
    name: str
    order: int
    probability: int
    kind: str


class PipelineOut(Schema):
    id: int
    slug: str
    name: str
    is_default: bool
    is_active: bool
    stages: list[StageOut]

    @staticmethod
    def resolve_stages(obj: Any) -> list[Any]:
        return list(obj.stages.all())


class PipelineList(Schema):
    items: list[PipelineOut]


# --- Deals ----------------------------------------------------------------------


class DealOut(OwnedOut):
    id: int
    title: str
    pipeline: str
    stage: int
    stage_slug: str
    status: str
    amount: Decimal | None = Field(
        description="Null for a marketer on a deal that is not theirs, or when not known."
    )
    currency: str
    contact: int | None
    company: int | None
    lead: int | None
    expected_close_on: datetime.date | None
    stage_entered_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    lost_reason: str
    owner: int | None
    team: int | None
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_pipeline(obj: Any) -> str:
        return obj.pipeline.slug

    @staticmethod
    def resolve_stage(obj: Any) -> int:
        return obj.stage_id

    @staticmethod
    def resolve_stage_slug(obj: Any) -> str:
        return obj.stage.slug

    @staticmethod
    def resolve_amount(obj: Any, context: dict[str, Any]) -> Decimal | None:
        if obj.amount is None or not can_see_deal_amount(context["request"].auth, obj.owner_id):
            return None
        # A deal just saved holds the amount as given ("2000"); answer it as stored.
        return Decimal(obj.amount).quantize(CENTS)

    @staticmethod
    def resolve_contact(obj: Any) -> int | None:
        return obj.contact_id

    @staticmethod
    def resolve_company(obj: Any) -> int | None:
        return obj.company_id

    @staticmethod
    def resolve_lead(obj: Any) -> int | None:
        return obj.lead_id


class DealPage(Schema):
    items: list[DealOut]
    next_cursor: str | None
    previous_cursor: str | None


class DealListQuery(QuerySchema):
    status: str = Field("", description="open, won or lost.")
    owner: str = Field("", description=OWNER_FILTER)
    pipeline: str = Field("", description="Pipeline slug.")
    stage: str = Field("", description="Stage id or slug.")
    q: str = Field("", description="Part of the title or the company name.")
    ordering: str = Field(
        "-created_at",
        description="created_at, amount or expected_close_on; “-” for descending.",
    )
    limit: PageLimit = 50
    cursor: str | None = Field(None, description=CURSOR)


StageRef = Annotated[
    RecordRef | str, Field(description="Stage id, or its slug within the deal's pipeline.")
]


class DealCreate(InputSchema):
    title: str
    pipeline: str | None = Field(None, description="Pipeline slug; the default one if none.")
    stage: StageRef | None = Field(None, description="The first open stage if none.")
    owner: RecordRef | None = Field(None, description="User id; you if none.")
    contact: RecordRef | None = None
    company: RecordRef | None = None
    lead: RecordRef | None = None
    amount: Amount | None = None
    currency: str = ""
    expected_close_on: Day | None = None


class DealUpdate(InputSchema):
    version: Version
    title: str = ""
    amount: Amount | None = None
    currency: str = ""
    expected_close_on: Day | None = None
    contact: RecordRef | None = None
    company: RecordRef | None = None


class DealMove(Versioned):
    stage: StageRef
    lost_reason: str = Field("", description="Needed when moving into the lost stage.")


class DealWin(Versioned):
    amount: Amount | None = None


class DealLose(Versioned):
    reason: str


class DealAssign(Versioned):
    owner: RecordRef | None = Field(description="User id; null leaves the deal unassigned.")
