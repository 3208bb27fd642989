"""Routing rules, first-response targets (the SLA) and the figures routing decides by."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from leadflow.core.models import TimeStampedModel
from leadflow.leads.models import Temperature


class Strategy(models.TextChoices):
    BEST_PERFORMER = "best_performer", _("Best performer")
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_LOADED = "least_loaded", _("Least loaded")
    JUNIOR_POOL = "junior_pool", _("Junior pool")
    NAMED_PERSON = "named_person", _("A named person")


class RoutingRule(TimeStampedModel):
    """If a new lead meets the conditions, the strategy picks its owner from the target.

    Rules are tried in ``position`` order; the first active rule whose every
    condition holds decides. An empty condition (no temperatures listed, no
    score bounds, …) holds for every lead; a condition that lists several
    values holds when the lead has any one of them.
    """

    name = models.CharField(_("name"), max_length=150)
    position = models.PositiveIntegerField(_("position"), default=0, db_index=True)
    active = models.BooleanField(_("active"), default=True)

    # --- Conditions -----------------------------------------------------------
    temperatures = models.JSONField(_("temperatures"), default=list, blank=True)
    funnel_classes = models.JSONField(_("funnel classes"), default=list, blank=True)
    score_min = models.PositiveSmallIntegerField(_("score at least"), null=True, blank=True)
    score_max = models.PositiveSmallIntegerField(_("score at most"), null=True, blank=True)
    channels = models.ManyToManyField(
        "intake.Channel", verbose_name=_("channels"), blank=True, related_name="+"
    )
    campaigns = models.ManyToManyField(
        "intake.Campaign", verbose_name=_("campaigns"), blank=True, related_name="+"
    )
    countries = models.JSONField(
        _("countries"), default=list, blank=True, help_text=_("Two-letter codes.")
    )
    regions = models.JSONField(_("regions"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    company_size_min = models.PositiveIntegerField(
        _("company size at least"), null=True, blank=True
    )
    company_size_max = models.PositiveIntegerField(_("company size at most"), null=True, blank=True)
    custom_attribute = models.CharField(_("custom attribute"), max_length=100, blank=True)
    custom_value = models.CharField(_("custom attribute value"), max_length=255, blank=True)

    # --- Target and strategy --------------------------------------------------
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    pool = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("pool of people"),
        blank=True,
        related_name="+",
        help_text=_("Instead of a whole team: exactly these people."),
    )
    strategy = models.CharField(
        _("strategy"), max_length=20, choices=Strategy.choices, default=Strategy.ROUND_ROBIN
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("named person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reassign_on_breach = models.BooleanField(
        _("reassign when the first response is late"),
        default=False,
        help_text=_("When nobody contacts the lead in time, give it to the next person."),
    )

    # Round robin's place, kept in the row so every process continues from it;
    # the row is locked while an owner is picked.
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return self.name


class ResponseTarget(models.Model):
    """How soon a new lead of a temperature must be contacted (the first task's due time).

    Due = arrival + ``business_days`` working days (Monday to Friday) + ``minutes``.
    """

    temperature = models.CharField(
        _("temperature"), max_length=4, choices=Temperature.choices, unique=True
    )
    minutes = models.PositiveIntegerField(_("minutes"), default=0)
    business_days = models.PositiveSmallIntegerField(_("business days"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("first-response target")
        verbose_name_plural = _("first-response targets")

    def __str__(self) -> str:
        return f"{self.temperature}: {self.business_days}d {self.minutes}min"


class FirstResponse(models.Model):
    """A new lead's first task and when it is due: the SLA the breach check watches.

    Open while neither ``met_at`` nor ``breached_at`` is set; the breach check
    closes rows whose task was done (met) or that ran late (breached).
    """

    lead = models.OneToOneField(
        "leads.Lead", on_delete=models.CASCADE, related_name="first_response"
    )
    task = models.ForeignKey(
        "activities.Activity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rule = models.ForeignKey(
        RoutingRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_at = models.DateTimeField(_("due"))
    met_at = models.DateTimeField(_("met"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached"), null=True, blank=True)
    reassignments = models.PositiveSmallIntegerField(_("reassignments"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("first response")
        verbose_name_plural = _("first responses")
        indexes = [
            models.Index(
                fields=["due_at"],
                name="first_response_open",
                condition=Q(met_at__isnull=True, breached_at__isnull=True),
            ),
            models.Index(
                fields=["breached_at"],
                name="first_response_breached",
                condition=Q(breached_at__isnull=False, met_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"lead #{self.lead_id} due {self.due_at:%Y-%m-%d %H:%M}"


class RepPerformance(models.Model):
    """A rep's closed leads of one temperature over the window, for "best performer".

    A snapshot: counting a year of leads on every assignment would be slow at a
    million rows, so ``rep_performance_refresh`` recounts on a schedule.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    temperature = models.CharField(_("temperature"), max_length=4, choices=Temperature.choices)
    wins = models.PositiveIntegerField(_("won"), default=0)
    closed = models.PositiveIntegerField(_("closed"), default=0)
    window_days = models.PositiveSmallIntegerField(_("window (days)"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("rep performance")
        verbose_name_plural = _("rep performance")
        constraints = [
            models.UniqueConstraint(fields=["user", "temperature"], name="rep_performance_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.temperature}: {self.wins}/{self.closed}"
