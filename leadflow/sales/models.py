from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from leadflow.core.models import OwnedModel, TimeStampedModel


class PostalAddress(models.Model):
    street = models.CharField(_("street"), max_length=255, blank=True)
    city = models.CharField(_("city"), max_length=150, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    region = models.CharField(_("region"), max_length=150, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)

    class Meta:
        abstract = True


class Company(PostalAddress, OwnedModel):
    name = models.CharField(_("name"), max_length=200)
    normalized_name = models.CharField(
        _("normalised name"),
        max_length=200,
        db_index=True,
        editable=False,
        help_text=_("Lower-case name without legal suffix, for finding the same company again."),
    )
    domain = models.CharField(_("web domain"), max_length=255, blank=True, db_index=True)
    phone = models.CharField(_("switchboard phone"), max_length=32, blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    custom = models.JSONField(_("custom attributes"), default=dict, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")

    def __str__(self) -> str:
        return self.name


class Contact(PostalAddress, OwnedModel):
    """A customer-side person: what a lead becomes after an agreement or purchase."""

    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    email = models.EmailField(_("e-mail"), max_length=254, blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True, db_index=True)
    job_title = models.CharField(_("job title"), max_length=150, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
    )
    source_lead = models.ForeignKey(
        "leads.Lead",
        verbose_name=_("converted from lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True)
    custom = models.JSONField(_("custom attributes"), default=dict, blank=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [models.Index(fields=["last_name", "first_name", "id"], name="contact_name")]

    def __str__(self) -> str:
        return self.full_name or self.email or f"#{self.pk}"

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


class Pipeline(TimeStampedModel):
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    is_default = models.BooleanField(_("default"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-is_default", "name"]
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")

    def __str__(self) -> str:
        return self.name


class StageKind(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class Stage(models.Model):
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"))
    probability = models.PositiveSmallIntegerField(
        _("win probability (%)"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    kind = models.CharField(
        _("kind"), max_length=4, choices=StageKind.choices, default=StageKind.OPEN
    )

    class Meta:
        ordering = ["pipeline", "order"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "slug"], name="stage_unique_slug"),
            models.UniqueConstraint(fields=["pipeline", "order"], name="stage_unique_order"),
        ]

    def __str__(self) -> str:
        return self.name


def default_currency() -> str:
    return str(settings.LEADFLOW_CURRENCY)


class DealStatus(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class Deal(OwnedModel):
    title = models.CharField(_("title"), max_length=200)
    pipeline = models.ForeignKey(
        Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT, related_name="deals"
    )
    stage = models.ForeignKey(
        Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="deals"
    )
    status = models.CharField(
        _("status"), max_length=4, choices=DealStatus.choices, default=DealStatus.OPEN
    )
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, default=default_currency)
    contact = models.ForeignKey(
        Contact,
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
    )
    company = models.ForeignKey(
        Company,
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
    )
    lead = models.ForeignKey(
        "leads.Lead",
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
    )
    expected_close_on = models.DateField(_("expected close date"), null=True, blank=True)
    stage_entered_at = models.DateTimeField(_("in this stage since"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    lost_reason = models.CharField(_("lost reason"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        indexes = [
            models.Index(fields=["created_at", "id"], name="deal_created"),
            models.Index(fields=["stage", "status"], name="deal_stage_status"),
            models.Index(fields=["owner", "status"], name="deal_owner_status"),
        ]

    def __str__(self) -> str:
        return self.title
