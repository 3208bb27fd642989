"""Request and response bodies of ``/api/v1/scoring``."""

from __future__ import annotations

import datetime
from typing import Any

from ninja import Schema
from pydantic import Field

from leadflow.core.schemas import InputSchema, Versioned


class ConditionIn(InputSchema):
    name: str = Field(max_length=120)
    field: str = Field(description="What the rule looks at: channel, temperature, custom, …")
    attribute: str = Field("", max_length=100, description="The custom attribute's name.")
    activity_kind: str = Field("", description="For activity conditions: call, meeting, …")
    operator: str = Field(description="eq, ne, in, contains, gte, lte, set, empty")
    value: str = Field("", max_length=255)
    is_active: bool = True


class ScoringRuleIn(ConditionIn):
    points: int = Field(ge=-100, le=100)
    half_life_days: int | None = Field(None, ge=1)


class ConditionPatch(Versioned):
    name: str | None = Field(None, max_length=120)
    field: str | None = None
    attribute: str | None = Field(None, max_length=100)
    activity_kind: str | None = None
    operator: str | None = None
    value: str | None = Field(None, max_length=255)
    is_active: bool | None = None


class ScoringRulePatch(ConditionPatch):
    points: int | None = Field(None, ge=-100, le=100)
    half_life_days: int | None = Field(None, ge=1)


class FunnelRuleIn(ConditionIn):
    funnel_class: str = Field(description="mql or sql")


class FunnelRulePatch(ConditionPatch):
    funnel_class: str | None = None


class ConditionOut(Schema):
    id: int
    name: str
    field: str
    attribute: str
    activity_kind: str
    operator: str
    value: str
    is_active: bool
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime


class ScoringRuleOut(ConditionOut):
    points: int
    half_life_days: int | None


class FunnelRuleOut(ConditionOut):
    funnel_class: str


class ScoringRuleList(Schema):
    items: list[ScoringRuleOut]


class FunnelRuleList(Schema):
    items: list[FunnelRuleOut]


class ModelOut(Schema):
    id: int
    created_at: datetime.datetime
    training_size: int
    won: int
    lost: int
    feature_count: int
    metrics: dict[str, Any] = Field(
        description="Held-out figures of the model, logistic regression and naive Bayes: "
        "auc, brier, calibration [[predicted, observed], …], lift (by decile)."
    )


class TrainingQueued(Schema):
    detail: str


class FiredRule(Schema):
    rule: int
    name: str
    points: int
    earned: float


class Factor(Schema):
    field: str
    value: str
    effect: float = Field(
        description="How much this field's value moves the lead's calibrated probability"
        " (predicted_probability) against an average lead's value: positive raises it."
    )
    without: float = Field(
        description="The calibrated probability with this field at an average lead's value"
        " (predicted_probability − effect)."
    )


class LeadScoreOut(Schema):
    lead: int
    score: int
    predicted_probability: float | None
    points: float
    rules: list[FiredRule]
    factors: list[Factor]
    model: int | None
    computed_at: datetime.datetime | None
