from __future__ import annotations

import datetime
from typing import Any

from ninja import Field, Schema
from pydantic import StrictBool

from leadflow.core.schemas import InputSchema, RecordRef, ValidationIssue
from leadflow.leads.schemas import LeadPersonFields

MAX_BATCH = 1000


class InquiryIn(LeadPersonFields):
    """One inbound touch: the person's fields, where it came from, what they said."""

    channel: str = Field(description="Channel slug, such as api, web-form or chat.")
    message: str = ""
    consent: StrictBool = Field(False, description="The person agreed to be contacted.")
    consent_text: str = Field("", description="The exact consent wording they agreed to.")
    utm: dict[str, str] = Field(default_factory=dict, description="utm_source, utm_medium, …")
    referrer_url: str = ""
    referred_by: RecordRef | None = Field(
        None, description="Id of the customer (contact) who recommended this person."
    )


class InquiryOut(Schema):
    id: int
    received_at: datetime.datetime
    channel: str
    outcome: str = Field(description="created, attached, interest or rejected.")
    reason: str
    lead_id: int | None
    contact_id: int | None
    interest_id: int | None
    match_confidence: float | None
    needs_review: bool

    @staticmethod
    def resolve_channel(obj: Any) -> str:
        return obj.channel.slug


class InquiryBatchIn(InputSchema):
    items: list[InquiryIn] = Field(min_length=1, max_length=MAX_BATCH)


class InquiryBatchResult(Schema):
    index: int
    status: int = Field(description="201 recorded, 200 a repeat of an earlier one, 422 refused.")
    inquiry: InquiryOut | None = None
    detail: list[ValidationIssue] | None = None


class InquiryBatchOut(Schema):
    results: list[InquiryBatchResult]
    counts: dict[str, int]
