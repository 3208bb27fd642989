"""Reads for scoring: lead records with their engagement, closed history, the model page."""

from __future__ import annotations

import datetime
import pickle
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import F, Max, Q, QuerySet
from django.utils import timezone

from leadflow.activities.models import Activity
from leadflow.intake.models import Campaign, Channel, Inquiry
from leadflow.leads.models import Lead, LeadStatus, Outcome
from leadflow.leads.qualification import WARMING_KINDS, positive_outcome
from leadflow.sales.models import DealStatus
from leadflow.scoring.features import LeadRecord, lead_record
from leadflow.scoring.models import LeadScore, QualificationRule, ScoringModel, ScoringRule

if TYPE_CHECKING:
    from leadflow.accounts.models import User
    from leadflow.scoring.predictive import ScoreModel

DAY_SECONDS = 86400.0


def can_manage_scoring(user: User) -> bool:
    """Heads of sales, marketers and admins set the rules and train; reps only look."""
    return bool(
        user.is_authenticated and (user.is_admin or user.is_head_of_sales or user.is_marketer)
    )


def scoring_rule_list() -> QuerySet[ScoringRule]:
    return ScoringRule.objects.all()


def qualification_rule_list() -> QuerySet[QualificationRule]:
    return QualificationRule.objects.all()


def active_scoring_rules() -> list[ScoringRule]:
    return list(ScoringRule.objects.filter(is_active=True).order_by("id"))


def active_qualification_rules() -> list[QualificationRule]:
    return list(QualificationRule.objects.filter(is_active=True).order_by("id"))


# --- The current model, loaded once per process ------------------------------------

_loaded: dict[int, ScoreModel] = {}


def current_model_row() -> ScoringModel | None:
    return ScoringModel.objects.defer("payload").order_by("-created_at", "-id").first()


def current_model() -> tuple[int | None, ScoreModel | None]:
    """The newest trained model (id and fitted object), or (None, None) before any training."""
    model_id = (
        ScoringModel.objects.order_by("-created_at", "-id").values_list("id", flat=True).first()
    )
    if model_id is None:
        return None, None
    if model_id not in _loaded:
        payload = ScoringModel.objects.values_list("payload", flat=True).get(pk=model_id)
        _loaded.clear()
        # Written only by scoring_model_train from Leadflow's own classes.
        _loaded[model_id] = pickle.loads(bytes(payload))
    return model_id, _loaded[model_id]


# --- Lead records ------------------------------------------------------------------


def _as_of(lead: Lead, now: datetime.datetime) -> datetime.datetime:
    """The moment engagement is counted up to: when a closed lead closed, else now."""
    if lead.status == LeadStatus.CONVERTED and lead.converted_at is not None:
        return lead.converted_at
    if lead.status == LeadStatus.REJECTED:
        return lead.updated_at
    return now


@dataclass
class _Engagement:
    counts: dict[str, int]
    last_by_kind: dict[str, datetime.datetime]
    outcomes: list[tuple[str, str, datetime.datetime]]
    last_positive: datetime.datetime | None


def _engagement(
    lead_ids: Sequence[int], as_of: dict[int, datetime.datetime]
) -> dict[int, _Engagement]:
    found: dict[int, _Engagement] = {}
    rows = (
        Activity.objects.filter(lead_id__in=lead_ids, done_at__isnull=False)
        .order_by()
        .values_list("lead_id", "kind", "done_at", "outcome")
    )
    for lead_id, kind, done_at, outcome in rows:
        if done_at > as_of[lead_id]:
            continue
        item = found.setdefault(lead_id, _Engagement({}, {}, [], None))
        item.counts[kind] = item.counts.get(kind, 0) + 1
        if kind not in item.last_by_kind or done_at > item.last_by_kind[kind]:
            item.last_by_kind[kind] = done_at
        if outcome:
            item.outcomes.append((kind, outcome, done_at))
            newer = item.last_positive is None or done_at > item.last_positive
            if newer and kind in WARMING_KINDS and positive_outcome(outcome):
                item.last_positive = done_at
    return found


def lead_records(
    leads: Sequence[Lead], *, now: datetime.datetime | None = None
) -> list[LeadRecord]:
    """Records for rules and the model, engagement counted in one query for all ``leads``.

    Besides the model's fields a record has what rules look at: the raw
    e-mail/phone/company, channel and campaign slugs, ``age_days``, days since
    the last done activity of each kind, outcomes, ``positive_days``, and
    ``funnel_held`` (a person's funnel class that rules must not lift yet).
    """
    now = now or timezone.now()
    channels = dict(Channel.objects.values_list("id", "slug"))
    campaign_ids = {lead.campaign_id for lead in leads if lead.campaign_id}
    campaigns = (
        dict(Campaign.objects.filter(id__in=campaign_ids).values_list("id", "slug"))
        if campaign_ids
        else {}
    )
    as_of = {lead.pk: _as_of(lead, now) for lead in leads}
    engagement = _engagement([lead.pk for lead in leads], as_of)
    held = _funnel_held(leads, engagement)
    records = []
    for lead in leads:
        moment = as_of[lead.pk]
        found = engagement.get(lead.pk)
        last = max(found.last_by_kind.values()) if found and found.last_by_kind else None
        record = lead_record(
            lead,
            activities=found.counts if found else {},
            last_activity_at=last,
            as_of=moment,
        )
        days = _days(moment)
        record.update(
            channel=channels.get(lead.channel_id, ""),
            campaign=campaigns.get(lead.campaign_id, "") if lead.campaign_id else "",
            email=lead.email,
            phone=lead.phone,
            company_name=lead.company_name,
            status=lead.status,
            age_days=days(lead.created_at),
            activity_days={k: days(v) for k, v in found.last_by_kind.items()} if found else {},
            outcomes=[(k, o, days(at)) for k, o, at in found.outcomes] if found else [],
            positive_days=days(found.last_positive) if found and found.last_positive else None,
            funnel_held=lead.pk in held,
        )
        records.append(record)
    return records


def _funnel_held(leads: Sequence[Lead], engagement: dict[int, _Engagement]) -> set[int]:
    """Leads whose funnel class a person set and nothing new has happened since.

    New evidence is what the lead did after the person's decision: an inquiry
    from them (they got in touch again), or a done call, meeting or proposal
    whose outcome reads as interest (the same test that warms the temperature).
    A rep's own e-mails, notes or tasks, and the lead simply ageing, are not:
    the person who set the class knew all that. Only leads with a funnel class
    set by hand cost a query (one for all of them).
    """
    set_at = {lead.pk: lead.funnel_class_set_at for lead in leads if lead.funnel_class_set_at}
    if not set_at:
        return set()
    latest_inquiry = dict(
        Inquiry.objects.filter(lead_id__in=set_at)
        .order_by()
        .values("lead_id")
        .annotate(latest=Max("received_at"))
        .values_list("lead_id", "latest")
    )
    held = set()
    for lead_id, decided_at in set_at.items():
        found = engagement.get(lead_id)
        positive = found.last_positive if found else None
        inquiry = latest_inquiry.get(lead_id)
        if (positive is None or positive <= decided_at) and (
            inquiry is None or inquiry <= decided_at
        ):
            held.add(lead_id)
    return held


def _days(moment: datetime.datetime) -> Any:
    def since(then: datetime.datetime) -> float:
        return max((moment - then).total_seconds() / DAY_SECONDS, 0.0)

    return since


# --- Closed history ------------------------------------------------------------------


def closed_history_queryset() -> QuerySet[Lead]:
    """Leads whose outcome is known: an explicit outcome, a rejected lead, a closed deal."""
    return Lead.objects.filter(
        Q(outcome__in=Outcome.values)
        | Q(status=LeadStatus.REJECTED)
        | Q(status=LeadStatus.CONVERTED, deal__status__in=[DealStatus.WON, DealStatus.LOST])
    ).annotate(deal_status=F("deal__status"))


def history_label(lead: Lead) -> int | None:
    """1 won, 0 lost, None still open. An explicit outcome wins over what is derived."""
    if lead.outcome:
        return 1 if lead.outcome == Outcome.WON else 0
    deal_status = getattr(lead, "deal_status", None)
    if lead.status == LeadStatus.CONVERTED and deal_status in (DealStatus.WON, DealStatus.LOST):
        return 1 if deal_status == DealStatus.WON else 0
    if lead.status == LeadStatus.REJECTED:
        return 0
    return None


def closed_history(
    *, now: datetime.datetime | None = None, chunk: int = 5000
) -> tuple[list[LeadRecord], list[int]]:
    """Records and labels (1 won, 0 lost) of every closed lead, oldest first."""
    records: list[LeadRecord] = []
    labels: list[int] = []
    batch: list[Lead] = []

    def flush() -> None:
        records.extend(lead_records(batch, now=now))
        batch.clear()

    for lead in closed_history_queryset().order_by("id").iterator(chunk_size=chunk):
        label = history_label(lead)
        if label is None:
            continue
        batch.append(lead)
        labels.append(label)
        if len(batch) >= chunk:
            flush()
    flush()
    return records, labels


def history_counts() -> tuple[int, int]:
    """Won and lost closed leads (as :func:`history_label` counts them), in two queries."""
    converted = Q(outcome="", status=LeadStatus.CONVERTED)
    won = Lead.objects.filter(
        Q(outcome=Outcome.WON) | (converted & Q(deal__status=DealStatus.WON))
    ).count()
    lost = Lead.objects.filter(
        Q(outcome=Outcome.LOST)
        | Q(outcome="", status=LeadStatus.REJECTED)
        | (converted & Q(deal__status=DealStatus.LOST))
    ).count()
    return won, lost


# --- What the model page and lead card show ----------------------------------------


def lead_score_detail(*, lead: Lead) -> LeadScore | None:
    return LeadScore.objects.filter(lead=lead).first()


def lead_factors(*, lead: Lead, top: int = 5) -> list[dict[str, Any]]:
    """The fields that move this lead's predicted probability most (empty without a model)."""
    _model_id, model = current_model()
    if model is None:
        return []
    return model.explain(lead_records([lead])[0], top=top)


def score_surprises(*, user: User, limit: int = 20) -> dict[str, list[Lead]]:
    """Closed leads the score got wrong, visible to ``user``, to revise the criteria."""
    visible = Lead.objects.visible_to(user).select_related("channel")
    high_lost = (
        visible.filter(
            Q(outcome=Outcome.LOST)
            | Q(outcome="", status=LeadStatus.REJECTED)
            | Q(outcome="", status=LeadStatus.CONVERTED, deal__status=DealStatus.LOST)
        )
        .filter(score__gte=50)
        .order_by("-score", "-id")[:limit]
    )
    low_won = (
        visible.filter(
            Q(outcome=Outcome.WON)
            | Q(outcome="", status=LeadStatus.CONVERTED, deal__status=DealStatus.WON)
        )
        .filter(score__lt=30)
        .order_by("score", "-id")[:limit]
    )
    return {"high_lost": list(high_lost), "low_won": list(low_won)}


def lead_ids_all(chunk: int = 5000) -> Iterable[list[int]]:
    """Every lead id, in chunks, for bulk rescoring."""
    ids: list[int] = []
    for pk in Lead.objects.order_by("id").values_list("id", flat=True).iterator(chunk_size=chunk):
        ids.append(pk)
        if len(ids) >= chunk:
            yield ids
            ids = []
    if ids:
        yield ids
