from __future__ import annotations

from typing import TYPE_CHECKING, Self

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from leadflow.core.models import OwnedModel, TimeStampedModel
from leadflow.core.permissions import Action
from leadflow.core.schema import filled_index
from leadflow.intake.models import OriginClass

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from leadflow.accounts.models import User


class LeadStatus(models.TextChoices):
    NEW = "new", _("New")
    WORKING = "working", _("Working")
    NURTURING = "nurturing", _("Nurturing")
    POSTPONED = "postponed", _("Postponed")
    REJECTED = "rejected", _("Rejected")
    CONVERTED = "converted", _("Converted")


OPEN_LEAD_STATUSES = (LeadStatus.NEW, LeadStatus.WORKING, LeadStatus.NURTURING)


class Temperature(models.TextChoices):
    HOT = "hot", _("Hot")
    WARM = "warm", _("Warm")
    COLD = "cold", _("Cold")


class FunnelClass(models.TextChoices):
    SUSPECT = "suspect", _("Suspect")
    MQL = "mql", _("Marketing-qualified")
    SQL = "sql", _("Sales-qualified")


class Outcome(models.TextChoices):
    """How a closed lead ended, for training the score on history."""

    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class PurchaseTimeframe(models.TextChoices):
    """When the person says they will buy. Blank means they did not say."""

    NOW = "now", _("Now")
    ONE_MONTH = "1_month", _("Within a month")
    TWO_MONTHS = "2_months", _("Within two months")
    THREE_MONTHS = "3_months", _("Within three months")
    SIX_MONTHS = "6_months", _("Within six months")
    ONE_YEAR = "12_months", _("Within a year")


# Days until the purchase, for temperature thresholds.
TIMEFRAME_DAYS: dict[str, int] = {
    PurchaseTimeframe.NOW: 0,
    PurchaseTimeframe.ONE_MONTH: 30,
    PurchaseTimeframe.TWO_MONTHS: 60,
    PurchaseTimeframe.THREE_MONTHS: 90,
    PurchaseTimeframe.SIX_MONTHS: 180,
    PurchaseTimeframe.ONE_YEAR: 365,
}


class Lead(OwnedModel):
    """A named person with a way to reach them who showed interest.

    The unit sales works on before conversion.
    """

    # Not indexed alone: ``lead_created`` (created_at, id) serves every look-up by it.
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    email = models.EmailField(_("e-mail"), max_length=254, blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True, db_index=True)
    company_name = models.CharField(_("company"), max_length=200, blank=True)
    job_title = models.CharField(_("job title"), max_length=150, blank=True)
    street = models.CharField(_("street"), max_length=255, blank=True)
    city = models.CharField(_("city"), max_length=150, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    region = models.CharField(_("region"), max_length=150, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    purchase_timeframe = models.CharField(
        _("purchase timeframe"), max_length=12, choices=PurchaseTimeframe.choices, blank=True
    )
    external_id = models.CharField(_("external id"), max_length=100, blank=True, db_index=True)
    custom = models.JSONField(_("custom attributes"), default=dict, blank=True)

    # Indexed by ``lead_channel_created``, whose first column it is.
    channel = models.ForeignKey(
        "intake.Channel",
        verbose_name=_("channel"),
        on_delete=models.PROTECT,
        related_name="leads",
        db_index=False,
    )
    campaign = models.ForeignKey(
        "intake.Campaign",
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        db_index=False,
    )
    status = models.CharField(
        _("status"), max_length=12, choices=LeadStatus.choices, default=LeadStatus.NEW
    )
    temperature = models.CharField(
        _("temperature"), max_length=4, choices=Temperature.choices, default=Temperature.COLD
    )
    temperature_overridden = models.BooleanField(
        _("temperature set by a person"),
        default=False,
        help_text=_("While set, the temperature no longer follows the purchase timeframe."),
    )
    funnel_class = models.CharField(
        _("funnel class"), max_length=8, choices=FunnelClass.choices, default=FunnelClass.SUSPECT
    )
    funnel_class_set_at = models.DateTimeField(
        _("funnel class set by a person at"),
        null=True,
        blank=True,
        help_text=_(
            "When a person last set the funnel class. Funnel rules do not lift it again"
            " until the lead gets in touch again or a conversation with them goes well."
        ),
    )
    origin_class = models.CharField(
        _("origin class"), max_length=5, choices=OriginClass.choices, default=OriginClass.NET
    )
    score = models.PositiveSmallIntegerField(
        _("score"), default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    predicted_probability = models.FloatField(_("predicted probability"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"),
        max_length=4,
        choices=Outcome.choices,
        blank=True,
        help_text=_("Won or lost, for closed history (imported, or from the lead's deal)."),
    )

    referred_by = models.ForeignKey(
        "sales.Contact",
        verbose_name=_("referred by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referred_leads",
        help_text=_("The customer who recommended this person."),
        db_index=False,
    )
    # Intake recorded this lead and left scoring and routing to the background
    # (leads.services.leads_triage): its score and owner are not decided yet.
    triage_pending = models.BooleanField(_("scoring and routing pending"), default=False)

    rejection_reason = models.CharField(_("rejection reason"), max_length=255, blank=True)
    postponed_until = models.DateField(_("postponed until"), null=True, blank=True)
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True)
    contact = models.ForeignKey(
        "sales.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
        help_text=_("The customer card this lead was converted into."),
        db_index=False,
    )
    deal = models.ForeignKey(
        "sales.Deal",
        verbose_name=_("deal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    # The same fields as every owned record's, without an index of their own:
    # the composite indexes below begin with them and serve a look-up by
    # either (a rep's leads, the cascade when a user or team goes), and each
    # new lead paid two more index entries for the single-column ones.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        indexes = [
            # Keyset pagination of the lead list, overall and by the usual filters.
            models.Index(fields=["created_at", "id"], name="lead_created"),
            models.Index(fields=["owner", "created_at", "id"], name="lead_owner_created"),
            models.Index(fields=["team", "created_at", "id"], name="lead_team_created"),
            models.Index(fields=["status", "created_at", "id"], name="lead_status_created"),
            models.Index(fields=["channel", "created_at", "id"], name="lead_channel_created"),
            models.Index(fields=["score", "id"], name="lead_score"),
            models.Index(fields=["last_name", "first_name", "id"], name="lead_name"),
            # Routing counts each candidate's open leads (status new, working or
            # nurturing) on every assignment to respect capacity: a short range
            # of this index, however many leads the rep ever owned.
            models.Index(fields=["owner", "status"], name="lead_owner_status"),
            # The few leads waiting for background scoring and routing.
            models.Index(
                fields=["id"], condition=models.Q(triage_pending=True), name="lead_triage_pending"
            ),
            filled_index("campaign", "lead_campaign"),
            filled_index("referred_by", "lead_referred_by"),
            filled_index("contact", "lead_contact"),
            filled_index("deal", "lead_deal"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email or self.phone or f"#{self.pk}"

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_LEAD_STATUSES


class InterestQuerySet(models.QuerySet):
    def visible_to(self, user: User | AnonymousUser, action: Action = "view") -> Self:
        """Anonymous interest is marketing's material; reps do not work it."""
        if not user.is_authenticated or not user.is_active or user.is_sales_rep:
            return self.none()
        return self


class Interest(TimeStampedModel):
    """Anonymous attention: counted for marketing, never worked by sales."""

    channel = models.ForeignKey(
        "intake.Channel", verbose_name=_("channel"), on_delete=models.PROTECT, related_name="+"
    )
    campaign = models.ForeignKey(
        "intake.Campaign",
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    name = models.CharField(_("name"), max_length=255, blank=True)
    company_name = models.CharField(_("company"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    message = models.TextField(_("message"), blank=True)

    objects = InterestQuerySet.as_manager()

    class Meta:
        verbose_name = _("interest")
        verbose_name_plural = _("interests")

    def __str__(self) -> str:
        return self.company_name or self.name or str(_("anonymous interest"))
