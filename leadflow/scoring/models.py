"""Scoring rules, funnel-class rules, each lead's score breakdown, trained models."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from leadflow.core.models import TimeStampedModel
from leadflow.leads.models import FunnelClass

# Below this many won or lost leads, a model learns noise: rule points only.
MIN_PER_CLASS = 50


class ConditionField(models.TextChoices):
    """What a rule's condition looks at."""

    CHANNEL = "channel", _("Channel (slug)")
    CAMPAIGN = "campaign", _("Campaign (slug)")
    TEMPERATURE = "temperature", _("Temperature")
    FUNNEL_CLASS = "funnel_class", _("Funnel class")
    ORIGIN_CLASS = "origin_class", _("Origin class")
    PURCHASE_TIMEFRAME = "purchase_timeframe", _("Purchase timeframe")
    COUNTRY = "country", _("Country")
    LANGUAGE = "language", _("Language")
    JOB_TITLE = "job_title", _("Job title")
    COMPANY_NAME = "company_name", _("Company")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    CUSTOM = "custom", _("Custom attribute")
    ACTIVITY_COUNT = "activity_count", _("Number of done activities")
    DAYS_SINCE_ACTIVITY = "days_since_activity", _("Days since the last done activity")
    ACTIVITY_OUTCOME = "activity_outcome", _("Outcome of a done activity")
    SCORE = "score", _("Score (funnel rules only)")


class Operator(models.TextChoices):
    EQUALS = "eq", _("is")
    NOT_EQUALS = "ne", _("is not")
    ONE_OF = "in", _("is one of (comma-separated)")
    CONTAINS = "contains", _("contains")
    AT_LEAST = "gte", _("is at least")
    AT_MOST = "lte", _("is at most")
    IS_SET = "set", _("is filled in")
    IS_EMPTY = "empty", _("is empty")


ACTIVITY_FIELDS = frozenset(
    {
        ConditionField.ACTIVITY_COUNT,
        ConditionField.DAYS_SINCE_ACTIVITY,
        ConditionField.ACTIVITY_OUTCOME,
    }
)
NUMERIC_OPERATORS = frozenset({Operator.AT_LEAST, Operator.AT_MOST})


class Condition(models.Model):
    """One test on a lead: ``field [attribute / activity kind] operator value``."""

    field = models.CharField(_("looks at"), max_length=24, choices=ConditionField.choices)
    attribute = models.CharField(
        _("custom attribute"),
        max_length=100,
        blank=True,
        help_text=_("The custom attribute's name, when the rule looks at one."),
    )
    activity_kind = models.CharField(
        _("activity kind"),
        max_length=12,
        blank=True,
        help_text=_("For activity conditions: only this kind (empty: any kind)."),
    )
    operator = models.CharField(_("test"), max_length=8, choices=Operator.choices)
    value = models.CharField(_("value"), max_length=255, blank=True)

    class Meta:
        abstract = True


class ScoringRule(Condition, TimeStampedModel):
    """Points a lead gets while a condition holds, optionally fading with age.

    With a half-life, the points are ``points × 0.5^(age / half_life)``, the
    age counted from the last matching done activity for activity conditions
    and from the lead's creation otherwise.
    """

    name = models.CharField(_("name"), max_length=120)
    points = models.IntegerField(_("points"))
    half_life_days = models.PositiveIntegerField(
        _("half-life in days"),
        null=True,
        blank=True,
        help_text=_("Empty: the points do not fade."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("scoring rule")
        verbose_name_plural = _("scoring rules")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class QualificationRule(Condition, TimeStampedModel):
    """Moves a lead up to a funnel class when its condition holds (never down)."""

    name = models.CharField(_("name"), max_length=120)
    funnel_class = models.CharField(
        _("makes the lead"),
        max_length=8,
        choices=[
            (FunnelClass.MQL, FunnelClass.MQL.label),
            (FunnelClass.SQL, FunnelClass.SQL.label),
        ],
    )
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("funnel rule")
        verbose_name_plural = _("funnel rules")
        ordering = ["funnel_class", "name", "id"]

    def __str__(self) -> str:
        return self.name


class ScoringModel(models.Model):
    """One training of the predictive score: the fitted model and its held-out figures.

    The newest row scores leads. ``payload`` is the pickled model; only
    Leadflow writes it (``scoring_model_train``), never a user upload.
    """

    created_at = models.DateTimeField(_("trained at"), auto_now_add=True, db_index=True)
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("trained by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    training_size = models.PositiveIntegerField(_("closed leads"))
    won = models.PositiveIntegerField(_("won"))
    lost = models.PositiveIntegerField(_("lost"))
    metrics = models.JSONField(_("held-out figures"), default=dict)
    feature_count = models.PositiveIntegerField(_("columns"), default=0)
    payload = models.BinaryField(_("model"))

    class Meta:
        verbose_name = _("scoring model")
        verbose_name_plural = _("scoring models")
        get_latest_by = "created_at"

    def __str__(self) -> str:
        return f"model #{self.pk} ({self.training_size} leads)"


class LeadScore(models.Model):
    """How a lead's score came about: which rules fired and for how many points."""

    lead = models.OneToOneField(
        "leads.Lead", primary_key=True, on_delete=models.CASCADE, related_name="score_detail"
    )
    points = models.FloatField(_("rule points"), default=0)
    # [{"rule": id, "name": ..., "points": full points, "earned": after decay}]
    rules = models.JSONField(_("rules that fired"), default=list)
    probability = models.FloatField(_("predicted probability"), null=True, blank=True)
    model = models.ForeignKey(
        ScoringModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("lead score")
        verbose_name_plural = _("lead scores")

    def __str__(self) -> str:
        return f"{self.lead_id}: {self.points:g}"
