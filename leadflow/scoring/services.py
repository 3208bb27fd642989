"""A lead's score, temperature and funnel class, kept up to date; rules and training.

How the score is made (docs/architecture.md, "Scoring"):

1. The temperature follows the purchase timeframe, warmed by a positive done
   call/meeting/proposal and cooled by a long silence
   (:func:`leadflow.leads.qualification.temperature_for_engagement`), unless a
   person set it.
2. Active scoring rules add points (fading with their half-life).
3. With a trained model, ``predicted_probability`` is its calibrated P(won).
4. ``score = clip(round(100 × p + points), 0, 100)``; without a model,
   ``clip(round(points), 0, 100)``.
5. Funnel rules lift an open lead to MQL or SQL (never down), but not a
   funnel class a person set until new evidence arrives after it
   (``rules.funnel_upgrade``).

Automatic changes of temperature, funnel class and score are events naming
the rule (actor: nobody, the system). Leads that are converted or rejected
keep their temperature and funnel class: they are history.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from leadflow.activities.models import ActivityKind
from leadflow.core.models import Event, EventKind
from leadflow.core.services import (
    audit_record,
    changed_fields,
    event_build,
    lock_for_edit,
    snapshot,
)
from leadflow.leads.models import FunnelClass, Lead, LeadStatus
from leadflow.leads.qualification import temperature_for_engagement
from leadflow.scoring import selectors
from leadflow.scoring.models import (
    ACTIVITY_FIELDS,
    MIN_PER_CLASS,
    NUMERIC_OPERATORS,
    ConditionField,
    LeadScore,
    Operator,
    QualificationRule,
    ScoringModel,
    ScoringRule,
)
from leadflow.scoring.rules import combine, funnel_upgrade, rule_points

if TYPE_CHECKING:
    import datetime

    from leadflow.accounts.models import User
    from leadflow.scoring.features import LeadRecord
    from leadflow.scoring.predictive import ScoreModel

R = TypeVar("R", ScoringRule, QualificationRule)

CLOSED_STATUSES = frozenset({LeadStatus.CONVERTED, LeadStatus.REJECTED})
REFRESH_CHUNK = 2000


# --- Scoring leads -----------------------------------------------------------------


class _Context:
    """What one refresh needs once, not once per lead: rules and the model."""

    def __init__(self) -> None:
        self.now = timezone.now()
        self.rules = selectors.active_scoring_rules()
        self.funnel_rules = selectors.active_qualification_rules()
        self.model_id, self.model = selectors.current_model()


def _refresh(leads: Sequence[Lead], context: _Context) -> int:
    """Recompute and write the leads' temperature, score and funnel class; return how many changed."""
    if not leads:
        return 0
    records = selectors.lead_records(leads, now=context.now)
    events: list[Event] = []
    before = {
        lead.pk: (lead.score, lead.predicted_probability, lead.funnel_class, lead.temperature)
        for lead in leads
    }
    for lead, record in zip(leads, records, strict=True):
        _temperature_refresh(lead, record, events)
    probabilities: Any = (
        context.model.predict(records) if context.model is not None else [None] * len(leads)
    )
    changed: list[Lead] = []
    details = []
    for lead, record, p in zip(leads, records, probabilities, strict=True):
        probability = None if p is None else round(float(p), 4)
        points, fired = rule_points(context.rules, record)
        score = combine(points, probability)
        record["score"] = score
        if score != lead.score and lead.status not in CLOSED_STATUSES:
            events.append(
                event_build(
                    kind=EventKind.SCORE_CHANGED,
                    actor=None,
                    lead=lead,
                    from_value=lead.score,
                    to_value=score,
                    occurred_at=context.now,
                    data={"rules": [f["rule"] for f in fired], "model": context.model_id},
                )
            )
        lead.score, lead.predicted_probability = score, probability
        if lead.status not in CLOSED_STATUSES:
            rule = funnel_upgrade(context.funnel_rules, record, lead.funnel_class)
            if rule is not None:
                events.append(
                    event_build(
                        kind=EventKind.FUNNEL_CLASS_CHANGED,
                        actor=None,
                        lead=lead,
                        from_value=lead.funnel_class,
                        to_value=rule.funnel_class,
                        occurred_at=context.now,
                        data={"rule": rule.name, "rule_id": rule.pk},
                    )
                )
                lead.funnel_class = rule.funnel_class
        after = (lead.score, lead.predicted_probability, lead.funnel_class, lead.temperature)
        if before[lead.pk] != after:
            changed.append(lead)
        details.append(
            LeadScore(
                lead=lead,
                points=round(points, 2),
                rules=fired,
                probability=probability,
                model_id=context.model_id,
                computed_at=context.now,
            )
        )
    if changed:
        # One prepared UPDATE for all: bulk_update's CASE per column costs more to build.
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {Lead._meta.db_table} SET score = %s, predicted_probability = %s, "
                "funnel_class = %s, temperature = %s WHERE id = %s",
                [
                    (
                        row.score,
                        row.predicted_probability,
                        row.funnel_class,
                        row.temperature,
                        row.pk,
                    )
                    for row in changed
                ],
            )
    LeadScore.objects.bulk_create(
        details,
        update_conflicts=True,
        unique_fields=["lead"],
        update_fields=["points", "rules", "probability", "model", "computed_at"],
    )
    if events:
        Event.objects.bulk_create(events)
    return len(changed)


def _temperature_refresh(lead: Lead, record: LeadRecord, events: list[Event]) -> None:
    if lead.temperature_overridden or lead.status in CLOSED_STATUSES:
        return
    activity_days = record["activity_days"]
    silent = min(activity_days.values()) if activity_days else record["age_days"]
    temperature, reason = temperature_for_engagement(
        timeframe=lead.purchase_timeframe,
        positive_activity_days=record["positive_days"],
        silent_days=silent,
        is_open=lead.status != LeadStatus.POSTPONED,
    )
    if temperature == lead.temperature:
        return
    events.append(
        event_build(
            kind=EventKind.TEMPERATURE_CHANGED,
            actor=None,
            lead=lead,
            from_value=lead.temperature,
            to_value=temperature,
            data={"rule": reason},
        )
    )
    lead.temperature = temperature
    record["temperature"] = temperature


@transaction.atomic
def lead_score_refresh(*, lead: Lead) -> Lead:
    """Rescore one lead; called when a lead is created or changed, or an activity is logged."""
    _refresh([lead], _Context())
    return lead


def leads_score_refresh(lead_ids: Iterable[int] | None = None) -> int:
    """Rescore many leads (every lead when None): imports, new rules, a new model.

    Works in chunks of 2,000, one transaction each, with a few queries per
    chunk; returns how many leads changed.
    """
    context = _Context()
    changed = 0
    chunks: Iterable[list[int]]
    if lead_ids is None:
        chunks = selectors.lead_ids_all(REFRESH_CHUNK)
    else:
        ids = list(lead_ids)
        chunks = (ids[i : i + REFRESH_CHUNK] for i in range(0, len(ids), REFRESH_CHUNK))
    for chunk in chunks:
        with transaction.atomic():
            leads = list(Lead.objects.filter(id__in=chunk).order_by("id"))
            changed += _refresh(leads, context)
    return changed


def _refresh_later() -> None:
    """Rescore every lead after the current transaction commits (in the background)."""
    from leadflow.scoring.tasks import leads_score_refresh_all

    transaction.on_commit(leads_score_refresh_all.enqueue)


# --- Rules ---------------------------------------------------------------------------


def _check_manager(actor: User | None) -> None:
    if actor is not None and not selectors.can_manage_scoring(actor):
        raise PermissionDenied(_("Only the head of sales, a marketer or an admin can do this."))


def _clean_condition(fields: dict[str, Any], *, for_funnel: bool) -> None:
    errors: dict[str, str] = {}
    field = fields.get("field", "")
    operator = fields.get("operator", "")
    value = (fields.get("value") or "").strip()
    fields["value"] = value
    fields["attribute"] = (fields.get("attribute") or "").strip()
    fields["activity_kind"] = (fields.get("activity_kind") or "").strip()
    if field not in ConditionField.values or (field == ConditionField.SCORE and not for_funnel):
        errors["field"] = _("Choose what the rule looks at.")
    if operator not in Operator.values:
        errors["operator"] = _("Choose a test.")
    if field == ConditionField.CUSTOM and not fields["attribute"]:
        errors["attribute"] = _("Name the custom attribute.")
    if fields["activity_kind"] and fields["activity_kind"] not in ActivityKind.values:
        errors["activity_kind"] = _("Choose one of: %(choices)s.") % {
            "choices": ", ".join(ActivityKind.values)
        }
    if fields["activity_kind"] and field not in ACTIVITY_FIELDS:
        errors["activity_kind"] = _("An activity kind only applies to activity conditions.")
    if operator in NUMERIC_OPERATORS:
        try:
            float(value.replace(",", "."))
        except ValueError:
            errors["value"] = _("This test needs a number.")
    elif operator not in (Operator.IS_SET, Operator.IS_EMPTY) and not value:
        errors["value"] = _("Give the value to compare with.")
    if errors:
        raise ValidationError(errors)


def _clean_scoring_rule(fields: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    fields["name"] = (fields.get("name") or "").strip()
    if not fields["name"]:
        errors["name"] = _("Give the rule a name.")
    points = fields.get("points")
    if not isinstance(points, int) or not -100 <= points <= 100:
        errors["points"] = _("Points are a whole number from -100 to 100.")
    half_life = fields.get("half_life_days")
    if half_life is not None and (not isinstance(half_life, int) or half_life < 1):
        errors["half_life_days"] = _("A half-life is at least one day (or empty).")
    try:
        _clean_condition(fields, for_funnel=False)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)


SCORING_RULE_FIELDS = (
    "name",
    "field",
    "attribute",
    "activity_kind",
    "operator",
    "value",
    "points",
    "half_life_days",
    "is_active",
)
FUNNEL_RULE_FIELDS = (
    "name",
    "field",
    "attribute",
    "activity_kind",
    "operator",
    "value",
    "funnel_class",
    "is_active",
)


def _rule_create(
    model: type[R],
    *,
    actor: User | None,
    allowed: tuple[str, ...],
    clean: Any,
    action: str,
    fields: dict[str, Any],
) -> R:
    """Shared by points and funnel rules: check, create, audit, rescore later."""
    _check_manager(actor)
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError(_("Unknown fields: %(names)s.") % {"names": ", ".join(unknown)})
    fields.setdefault("is_active", True)
    clean(fields)
    rule = model.objects.create(**fields)
    audit_record(actor=actor, action=f"{action}.create", obj=rule, after=snapshot(rule))
    _refresh_later()
    return rule


def _rule_update(
    model: type[R],
    *,
    actor: User | None,
    rule: R,
    version: int | None,
    allowed: tuple[str, ...],
    clean: Any,
    action: str,
    fields: dict[str, Any],
) -> R:
    """Shared by points and funnel rules: lock, check, save if changed, audit, rescore later."""
    _check_manager(actor)
    rule = lock_for_edit(model.objects.all(), rule.pk, version)
    before = snapshot(rule)
    data = {name: getattr(rule, name) for name in allowed}
    for name, value in fields.items():
        if name not in allowed:
            raise ValidationError(_("Unknown field “%(name)s”.") % {"name": name})
        data[name] = value
    clean(data)
    for name, value in data.items():
        setattr(rule, name, value)
    old, new = changed_fields(before, snapshot(rule))
    if not new:
        return rule
    rule.version += 1
    rule.save()
    audit_record(actor=actor, action=f"{action}.update", obj=rule, before=old, after=new)
    _refresh_later()
    return rule


def _rule_delete(*, actor: User | None, rule: Any, action: str, rescore: bool) -> None:
    _check_manager(actor)
    audit_record(actor=actor, action=f"{action}.delete", obj=rule, before=snapshot(rule))
    rule.delete()
    if rescore:
        _refresh_later()


@transaction.atomic
def scoring_rule_create(*, actor: User | None, **fields: Any) -> ScoringRule:
    """A new points rule; every lead is rescored in the background after it is saved."""
    fields.setdefault("half_life_days", None)
    return _rule_create(
        ScoringRule,
        actor=actor,
        allowed=SCORING_RULE_FIELDS,
        clean=_clean_scoring_rule,
        action="scoring_rule",
        fields=fields,
    )


@transaction.atomic
def scoring_rule_update(
    *, actor: User | None, rule: ScoringRule, version: int | None, **fields: Any
) -> ScoringRule:
    return _rule_update(
        ScoringRule,
        actor=actor,
        rule=rule,
        version=version,
        allowed=SCORING_RULE_FIELDS,
        clean=_clean_scoring_rule,
        action="scoring_rule",
        fields=fields,
    )


@transaction.atomic
def scoring_rule_delete(*, actor: User | None, rule: ScoringRule) -> None:
    _rule_delete(actor=actor, rule=rule, action="scoring_rule", rescore=True)


def _clean_funnel_rule(fields: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    fields["name"] = (fields.get("name") or "").strip()
    if not fields["name"]:
        errors["name"] = _("Give the rule a name.")
    if fields.get("funnel_class") not in (FunnelClass.MQL, FunnelClass.SQL):
        errors["funnel_class"] = _("A rule makes a lead marketing- or sales-qualified.")
    try:
        _clean_condition(fields, for_funnel=True)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def qualification_rule_create(*, actor: User | None, **fields: Any) -> QualificationRule:
    """A new funnel rule; open leads it fires for move up in the background."""
    return _rule_create(
        QualificationRule,
        actor=actor,
        allowed=FUNNEL_RULE_FIELDS,
        clean=_clean_funnel_rule,
        action="funnel_rule",
        fields=fields,
    )


@transaction.atomic
def qualification_rule_update(
    *, actor: User | None, rule: QualificationRule, version: int | None, **fields: Any
) -> QualificationRule:
    return _rule_update(
        QualificationRule,
        actor=actor,
        rule=rule,
        version=version,
        allowed=FUNNEL_RULE_FIELDS,
        clean=_clean_funnel_rule,
        action="funnel_rule",
        fields=fields,
    )


@transaction.atomic
def qualification_rule_delete(*, actor: User | None, rule: QualificationRule) -> None:
    # Funnel classes only ever move up, so removing a rule changes no lead.
    _rule_delete(actor=actor, rule=rule, action="funnel_rule", rescore=False)


# --- Training ------------------------------------------------------------------------


def scoring_model_train(
    *,
    actor: User | None,
    needed: int = MIN_PER_CLASS,
    refresh: bool = True,
    now: datetime.datetime | None = None,
) -> ScoringModel:
    """Train on closed history, store the model and its held-out figures, rescore every lead.

    Too little history (fewer than ``needed`` won or lost leads) raises a
    ValidationError saying how many there are; the score stays rule points.
    Training runs outside any transaction; only storing the row is one.
    """
    # scikit-learn is loaded only where a model is trained or applied.
    from leadflow.scoring.predictive import NotEnoughHistory, train

    _check_manager(actor)
    records, labels = selectors.closed_history(now=now)
    try:
        training = train(records, labels, needed=needed)
    except NotEnoughHistory as exc:
        raise ValidationError(
            _(
                "Not enough closed history to learn from: %(won)d won and %(lost)d lost "
                "leads, and training needs at least %(needed)d of each. Until then the "
                "score is the rule points alone."
            )
            % {"won": exc.won, "lost": exc.lost, "needed": exc.needed},
            code="not_enough_history",
        ) from exc
    row = _scoring_model_store(actor=actor, model=training.model, training=training)
    if refresh:
        leads_score_refresh()
    return row


@transaction.atomic
def _scoring_model_store(*, actor: User | None, model: ScoreModel, training: Any) -> ScoringModel:
    row = ScoringModel.objects.create(
        trained_by=actor,
        training_size=training.size,
        won=training.won,
        lost=training.lost,
        metrics=training.metrics,
        feature_count=len(model.space.names),
        payload=pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL),
    )
    audit_record(
        actor=actor,
        action="scoring_model.train",
        obj=row,
        after={
            "training_size": row.training_size,
            "won": row.won,
            "lost": row.lost,
            "auc": training.metrics.get("model", {}).get("auc"),
        },
    )
    return row
