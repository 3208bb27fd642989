"""Routing shapes in the API: rules, first-response targets, queues and loads."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import Field, StrictBool, StrictInt

from leadflow.core.schemas import InputSchema, QuerySchema, RecordRef, Slug, Version

TemperatureName = Literal["hot", "warm", "cold"]
FunnelClassName = Literal["suspect", "mql", "sql"]
StrategyName = Literal[
    "best_performer", "round_robin", "least_loaded", "junior_pool", "named_person"
]


class RuleFields(InputSchema):
    """A rule's conditions (all must hold; a list holds when any value in it does) and target."""

    active: StrictBool = True
    temperatures: list[TemperatureName] = Field(default_factory=list)
    funnel_classes: list[FunnelClassName] = Field(default_factory=list)
    score_min: int | None = Field(default=None, ge=0, le=100)
    score_max: int | None = Field(default=None, ge=0, le=100)
    channels: list[Slug] = Field(default_factory=list, description="Channel slugs.")
    campaigns: list[Slug] = Field(default_factory=list, description="Campaign slugs.")
    countries: list[str] = Field(default_factory=list, description="Two-letter codes.")
    regions: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    company_size_min: int | None = Field(default=None, ge=0, le=10**9)
    company_size_max: int | None = Field(default=None, ge=0, le=10**9)
    custom_attribute: str = Field(default="", max_length=100)
    custom_value: str = Field(default="", max_length=255)
    team: RecordRef | None = Field(default=None, description="Team id.")
    pool: list[RecordRef] = Field(default_factory=list, description="User ids, instead of a team.")
    person: RecordRef | None = Field(default=None, description="User id, for named_person.")
    reassign_on_breach: StrictBool = False


class RuleCreate(RuleFields):
    name: str = Field(min_length=1, max_length=150)
    strategy: StrategyName


class RuleUpdate(RuleFields):
    """Only the fields sent change; ``version`` is the one you read."""

    version: Version | None = None
    name: str = Field(default="", min_length=1, max_length=150)
    strategy: StrategyName = "round_robin"


class RuleMove(InputSchema):
    direction: Literal["up", "down"]


class RuleOut(Schema):
    id: int
    name: str
    position: int
    active: bool
    temperatures: list[str]
    funnel_classes: list[str]
    score_min: int | None
    score_max: int | None
    channels: list[str]
    campaigns: list[str]
    countries: list[str]
    regions: list[str]
    languages: list[str]
    company_size_min: int | None
    company_size_max: int | None
    custom_attribute: str
    custom_value: str
    team: int | None
    pool: list[int]
    strategy: str
    person: int | None
    reassign_on_breach: bool
    last_assigned: int | None
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime

    @staticmethod
    def resolve_channels(obj: Any) -> list[str]:
        return sorted(channel.slug for channel in obj.channels.all())

    @staticmethod
    def resolve_campaigns(obj: Any) -> list[str]:
        return sorted(campaign.slug for campaign in obj.campaigns.all())

    @staticmethod
    def resolve_pool(obj: Any) -> list[int]:
        return sorted(user.pk for user in obj.pool.all())

    @staticmethod
    def resolve_team(obj: Any) -> int | None:
        return obj.team_id

    @staticmethod
    def resolve_person(obj: Any) -> int | None:
        return obj.person_id

    @staticmethod
    def resolve_last_assigned(obj: Any) -> int | None:
        return obj.last_assigned_id


class RuleList(Schema):
    items: list[RuleOut]


class TargetOut(Schema):
    temperature: str
    minutes: int
    business_days: int


class TargetList(Schema):
    items: list[TargetOut]


class TargetSet(InputSchema):
    """What to change of a temperature's target; a field left out keeps its current value."""

    minutes: StrictInt | None = Field(
        default=None, ge=0, le=60 * 24 * 60, description="Minutes (after the business days)."
    )
    business_days: StrictInt | None = Field(
        default=None, ge=0, le=60, description="Working days, Monday to Friday."
    )


class QueueQuery(QuerySchema):
    cursor: str | None = Field(default=None, max_length=500)
    limit: int = Field(default=50, ge=1, le=200)


class QueueLeadOut(Schema):
    """A lead in a queue: who, how hot, how good, and when its first contact is due."""

    id: int
    first_name: str
    last_name: str
    company_name: str
    email: str
    phone: str
    status: str
    temperature: str
    score: int
    channel: str
    owner: int | None
    team: int | None
    created_at: datetime.datetime
    response_due_at: datetime.datetime | None
    response_breached: bool

    @staticmethod
    def resolve_channel(obj: Any) -> str:
        return obj.channel.slug

    @staticmethod
    def resolve_owner(obj: Any) -> int | None:
        return obj.owner_id

    @staticmethod
    def resolve_team(obj: Any) -> int | None:
        return obj.team_id

    @staticmethod
    def resolve_response_due_at(obj: Any) -> datetime.datetime | None:
        if hasattr(obj, "response_due_at"):
            return obj.response_due_at
        response = getattr(obj, "first_response", None)
        if response is None or response.met_at is not None:
            return None
        return response.due_at

    @staticmethod
    def resolve_response_breached(obj: Any) -> bool:
        # A lead without one answers AttributeError (RelatedObjectDoesNotExist).
        response = getattr(obj, "first_response", None)
        return bool(response and response.breached_at and not response.met_at)


class QueuePage(Schema):
    items: list[QueueLeadOut]
    next_cursor: str | None
    previous_cursor: str | None


class BreachOut(Schema):
    lead: QueueLeadOut
    due_at: datetime.datetime
    breached_at: datetime.datetime
    rule: str | None

    @staticmethod
    def resolve_rule(obj: Any) -> str | None:
        return obj.rule.name if obj.rule else None


class BreachList(Schema):
    items: list[BreachOut]


class LoadOut(Schema):
    user: int
    username: str
    name: str
    team: str | None
    tier: int
    available: bool
    open_leads: int
    capacity: int
    first_contacts_due: int
    breached: int


class LoadList(Schema):
    items: list[LoadOut]


class RouteWaiting(InputSchema):
    lead_ids: list[RecordRef] | None = Field(
        default=None, max_length=1000, description="Only these leads (default: every waiting one)."
    )


class RouteWaitingOut(Schema):
    assigned: int
    still_waiting: int
    first_tasks: int
