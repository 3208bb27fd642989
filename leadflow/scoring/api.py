"""``/api/v1/scoring``: rules (everyone reads; heads of sales, marketers and admins write),
the current model's figures, training, and a lead's score breakdown."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from leadflow.core.api import request_user
from leadflow.core.schemas import CREATE_ERRORS, LIST_ERRORS, READ_ERRORS, WRITE_ERRORS, RecordId
from leadflow.leads.selectors import lead_get
from leadflow.scoring import selectors, services
from leadflow.scoring.models import MIN_PER_CLASS, QualificationRule, ScoringRule
from leadflow.scoring.schemas import (
    FunnelRuleIn,
    FunnelRuleList,
    FunnelRuleOut,
    FunnelRulePatch,
    LeadScoreOut,
    ModelOut,
    ScoringRuleIn,
    ScoringRuleList,
    ScoringRuleOut,
    ScoringRulePatch,
    TrainingQueued,
)

router = Router(tags=["scoring"])


def _rule(model: type[ScoringRule] | type[QualificationRule], pk: int) -> Any:
    found = model.objects.filter(pk=pk).first()
    if found is None:
        raise Http404(_("Not found."))
    return found


@router.get("/rules", response={200: ScoringRuleList, **LIST_ERRORS}, summary="List scoring rules")
def scoring_rule_list(request: HttpRequest) -> dict[str, Any]:
    return {"items": list(selectors.scoring_rule_list())}


@router.post("/rules", response={201: ScoringRuleOut, **CREATE_ERRORS}, summary="Add a rule")
def scoring_rule_create(request: HttpRequest, payload: ScoringRuleIn) -> Status[ScoringRule]:
    rule = services.scoring_rule_create(actor=request_user(request), **payload.dict())
    return Status(201, rule)


def _patched(payload: Any, *, nullable: set[str]) -> dict[str, Any]:
    """The fields a PATCH sent; null leaves a field as it is unless null means something."""
    return {
        name: value
        for name, value in payload.dict(exclude_unset=True).items()
        if value is not None or name in nullable
    }


@router.patch(
    "/rules/{rule_id}", response={200: ScoringRuleOut, **WRITE_ERRORS}, summary="Edit a rule"
)
def scoring_rule_update(
    request: HttpRequest, rule_id: RecordId, payload: ScoringRulePatch
) -> ScoringRule:
    fields = _patched(payload, nullable={"half_life_days"})
    version = fields.pop("version", None)
    return services.scoring_rule_update(
        actor=request_user(request), rule=_rule(ScoringRule, rule_id), version=version, **fields
    )


@router.delete("/rules/{rule_id}", response={204: None, **WRITE_ERRORS}, summary="Delete a rule")
def scoring_rule_delete(request: HttpRequest, rule_id: RecordId) -> Status[None]:
    services.scoring_rule_delete(actor=request_user(request), rule=_rule(ScoringRule, rule_id))
    return Status(204, None)


@router.get(
    "/funnel-rules", response={200: FunnelRuleList, **LIST_ERRORS}, summary="List funnel rules"
)
def funnel_rule_list(request: HttpRequest) -> dict[str, Any]:
    return {"items": list(selectors.qualification_rule_list())}


@router.post(
    "/funnel-rules", response={201: FunnelRuleOut, **CREATE_ERRORS}, summary="Add a funnel rule"
)
def funnel_rule_create(request: HttpRequest, payload: FunnelRuleIn) -> Status[QualificationRule]:
    rule = services.qualification_rule_create(actor=request_user(request), **payload.dict())
    return Status(201, rule)


@router.patch(
    "/funnel-rules/{rule_id}",
    response={200: FunnelRuleOut, **WRITE_ERRORS},
    summary="Edit a funnel rule",
)
def funnel_rule_update(
    request: HttpRequest, rule_id: RecordId, payload: FunnelRulePatch
) -> QualificationRule:
    fields = _patched(payload, nullable=set())
    version = fields.pop("version", None)
    return services.qualification_rule_update(
        actor=request_user(request),
        rule=_rule(QualificationRule, rule_id),
        version=version,
        **fields,
    )


@router.delete(
    "/funnel-rules/{rule_id}", response={204: None, **WRITE_ERRORS}, summary="Delete a funnel rule"
)
def funnel_rule_delete(request: HttpRequest, rule_id: RecordId) -> Status[None]:
    services.qualification_rule_delete(
        actor=request_user(request), rule=_rule(QualificationRule, rule_id)
    )
    return Status(204, None)


@router.get("/model", response={200: ModelOut, **READ_ERRORS}, summary="The current model")
def model_current(request: HttpRequest) -> Any:
    """The newest trained model's size, date and held-out figures; 404 before any training."""
    row = selectors.current_model_row()
    if row is None:
        raise Http404(_("No model has been trained yet; scores are rule points alone."))
    return row


@router.post(
    "/model/train",
    response={202: TrainingQueued, **CREATE_ERRORS},
    summary="Train a new model in the background",
)
def model_train(request: HttpRequest) -> Status[dict[str, str]]:
    """422 when the closed history is too small (fewer than 50 won or lost leads)."""
    from leadflow.scoring.services import _check_manager
    from leadflow.scoring.tasks import scoring_model_train_for

    user = request_user(request)
    _check_manager(user)
    won, lost = selectors.history_counts()
    if won < MIN_PER_CLASS or lost < MIN_PER_CLASS:
        raise ValidationError(
            _(
                "Not enough closed history to learn from: %(won)d won and %(lost)d lost "
                "leads, and training needs at least %(needed)d of each."
            )
            % {"won": won, "lost": lost, "needed": MIN_PER_CLASS}
        )
    scoring_model_train_for.enqueue(user.pk)
    return Status(202, {"detail": _("Training started.")})


@router.get(
    "/leads/{lead_id}", response={200: LeadScoreOut, **READ_ERRORS}, summary="A lead's score"
)
def lead_score(request: HttpRequest, lead_id: RecordId) -> dict[str, Any]:
    """Which rules fired for how many points, the probability and the top model factors."""
    lead = lead_get(user=request_user(request), pk=lead_id)
    detail = selectors.lead_score_detail(lead=lead)
    return {
        "lead": lead.pk,
        "score": lead.score,
        "predicted_probability": lead.predicted_probability,
        "points": detail.points if detail else 0.0,
        "rules": detail.rules if detail else [],
        "factors": selectors.lead_factors(lead=lead),
        "model": detail.model_id if detail else None,
        "computed_at": detail.computed_at if detail else None,
    }
