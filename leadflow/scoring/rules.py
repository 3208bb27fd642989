"""Evaluating scoring and funnel rules on a lead record (no database access).

A condition compares one thing about the lead with the rule's value. Text
comparisons ignore case; "is one of" takes a comma-separated list; numbers
are compared as numbers. Activity conditions count only done activities (of
the rule's kind, or any kind) and report the age of the newest one that
matched, which is what a scoring rule's half-life decays from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from leadflow.leads.models import FunnelClass
from leadflow.scoring.features import LeadRecord, _number
from leadflow.scoring.models import ConditionField, Operator

FUNNEL_ORDER: dict[str, int] = {FunnelClass.SUSPECT: 0, FunnelClass.MQL: 1, FunnelClass.SQL: 2}


class ConditionLike(Protocol):
    field: str
    attribute: str
    activity_kind: str
    operator: str
    value: str


@dataclass(frozen=True)
class Match:
    holds: bool
    # Days since the evidence (the newest matching activity, or the lead's creation).
    age_days: float


def _values(raw: str) -> list[str]:
    return [part.strip().lower() for part in raw.split(",") if part.strip()]


def _compare(actual: Any, operator: str, expected: str) -> bool:
    if operator == Operator.IS_SET:
        return actual not in (None, "")
    if operator == Operator.IS_EMPTY:
        return actual in (None, "")
    if operator in (Operator.AT_LEAST, Operator.AT_MOST):
        number, limit = _number(actual), _number(expected)
        if number is None or limit is None:
            return False
        return number >= limit if operator == Operator.AT_LEAST else number <= limit
    text = "" if actual is None else str(actual).strip().lower()
    if operator == Operator.EQUALS:
        return text == expected.strip().lower()
    if operator == Operator.NOT_EQUALS:
        return text != expected.strip().lower()
    if operator == Operator.ONE_OF:
        return text in _values(expected)
    if operator == Operator.CONTAINS:
        return bool(expected.strip()) and expected.strip().lower() in text
    return False


def condition_match(condition: ConditionLike, record: LeadRecord) -> Match:
    """Whether the condition holds for the lead, and how old its evidence is."""
    field, kind = condition.field, condition.activity_kind
    created_age = float(record.get("age_days") or 0.0)
    if field == ConditionField.ACTIVITY_COUNT:
        counts = record["activities"]
        count = counts.get(kind, 0) if kind else sum(counts.values())
        ages = record.get("activity_days", {})
        age = ages.get(kind) if kind else min(ages.values(), default=None)
        holds = _compare(count, condition.operator, condition.value)
        return Match(holds, created_age if age is None else age)
    if field == ConditionField.DAYS_SINCE_ACTIVITY:
        ages = record.get("activity_days", {})
        age = ages.get(kind) if kind else min(ages.values(), default=None)
        # Never contacted counts as silent since the lead came in.
        days = created_age if age is None else age
        return Match(_compare(days, condition.operator, condition.value), 0.0)
    if field == ConditionField.ACTIVITY_OUTCOME:
        for outcome_kind, outcome, age in record.get("outcomes", []):
            if kind and outcome_kind != kind:
                continue
            if _compare(outcome, condition.operator, condition.value):
                return Match(True, age)
        return Match(False, created_age)
    if field == ConditionField.CUSTOM:
        actual = record["custom"].get(condition.attribute.strip())
    else:
        actual = record.get(field)
    return Match(_compare(actual, condition.operator, condition.value), created_age)


class ScoringRuleLike(ConditionLike, Protocol):
    pk: Any
    name: str
    points: int
    half_life_days: int | None


def decayed(points: float, age_days: float, half_life_days: int | None) -> float:
    """``points × 0.5^(age / half_life)``; no half-life, no fading."""
    if not half_life_days:
        return float(points)
    return float(points) * 0.5 ** (max(age_days, 0.0) / half_life_days)


def rule_points(
    rules: Sequence[ScoringRuleLike], record: LeadRecord
) -> tuple[float, list[dict[str, Any]]]:
    """Total points and the rules that fired, with what each earned after decay."""
    total = 0.0
    fired = []
    for rule in rules:
        match = condition_match(rule, record)
        if not match.holds:
            continue
        earned = decayed(rule.points, match.age_days, rule.half_life_days)
        total += earned
        fired.append(
            {"rule": rule.pk, "name": rule.name, "points": rule.points, "earned": round(earned, 2)}
        )
    return total, fired


class FunnelRuleLike(ConditionLike, Protocol):
    pk: Any
    name: str
    funnel_class: str


def funnel_upgrade(
    rules: Sequence[FunnelRuleLike], record: LeadRecord, current: str
) -> FunnelRuleLike | None:
    """The rule that lifts the lead highest above its current funnel class, if any.

    Rules only ever lift. A funnel class a person set (``lead_qualify``) holds
    against them — a rep who moves a lead back to suspect has a reason the
    rules cannot see, and a rule lifting it at the next logged e-mail would
    undo that silently — until new evidence arrives: the person gets in touch
    again (a new inquiry) or a call, meeting or proposal with them goes well
    (``record["funnel_held"]`` is then false; see
    ``scoring.selectors._funnel_held``). A person setting the class again
    starts the hold afresh. This mirrors the temperature a person sets, which
    activities and timeframes no longer change.
    """
    if record.get("funnel_held"):
        return None
    best: FunnelRuleLike | None = None
    for rule in rules:
        if FUNNEL_ORDER.get(rule.funnel_class, 0) <= FUNNEL_ORDER.get(current, 0):
            continue
        if best is not None and FUNNEL_ORDER[rule.funnel_class] <= FUNNEL_ORDER[best.funnel_class]:
            continue
        if condition_match(rule, record).holds:
            best = rule
    return best


def combine(points: float, probability: float | None) -> int:
    """The 0–100 score: ``100 × p`` plus rule points with a model, rule points alone without."""
    base = 0.0 if probability is None else 100.0 * probability
    return round(min(max(base + points, 0.0), 100.0))
