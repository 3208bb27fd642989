from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from leadflow.core.models import TimeStampedModel


class OriginClass(models.TextChoices):
    """Where a lead comes from, in the sales sense (not the technical channel)."""

    SEED = "seed", _("Seed (word of mouth, referral)")
    NET = "net", _("Net (inbound marketing)")
    SPEAR = "spear", _("Spear (targeted outbound)")


class ChannelKind(models.TextChoices):
    WEB_FORM = "web_form", _("Web form")
    API = "api", _("API")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    IMPORT = "import", _("Import")
    CHAT = "chat", _("Chat")
    REFERRAL = "referral", _("Referral")
    EVENT = "event", _("Event")
    SOCIAL = "social", _("Social network")
    MANUAL = "manual", _("Manual entry")
    THIRD_PARTY = "third_party", _("Third party")


class Channel(TimeStampedModel):
    """A door requests come through. Every lead and inquiry names one."""

    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=ChannelKind.choices)
    origin_class = models.CharField(
        _("origin class"), max_length=10, choices=OriginClass.choices, default=OriginClass.NET
    )
    default_region = models.CharField(
        _("default phone region"),
        max_length=2,
        blank=True,
        help_text=_("Two-letter country code for numbers written without one."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("channel")
        verbose_name_plural = _("channels")

    def __str__(self) -> str:
        return self.name


class Campaign(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    channel = models.ForeignKey(
        Channel,
        verbose_name=_("channel"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaigns",
    )
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    budget = models.DecimalField(
        _("budget"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    target_leads = models.PositiveIntegerField(_("target lead count"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-starts_on", "name"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return self.name
