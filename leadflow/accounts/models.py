from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    HEAD_OF_SALES = "head_of_sales", _("Head of sales")
    SALES_REP = "sales_rep", _("Sales representative")
    MARKETER = "marketer", _("Marketer")


class Tier(models.IntegerChoices):
    """A rep's seniority; routing sends hot leads up the tiers and cold ones down."""

    JUNIOR = 1, _("Junior")
    MIDDLE = 2, _("Middle")
    SENIOR = 3, _("Senior")


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.SALES_REP)
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    tier = models.PositiveSmallIntegerField(_("tier"), choices=Tier.choices, default=Tier.MIDDLE)
    is_available = models.BooleanField(
        _("available"),
        default=True,
        help_text=_("Unavailable people (holiday, sick leave) receive no new leads."),
    )
    capacity = models.PositiveIntegerField(
        _("capacity"), default=200, help_text=_("Open leads this person can work at once.")
    )
    language = models.CharField(_("language"), max_length=10, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser

    @property
    def is_head_of_sales(self) -> bool:
        return self.role == Role.HEAD_OF_SALES

    @property
    def is_sales_rep(self) -> bool:
        return self.role == Role.SALES_REP

    @property
    def is_marketer(self) -> bool:
        return self.role == Role.MARKETER


TOKEN_PREFIX = "lf_"


def hash_token(raw: str) -> str:
    """Tokens carry 256 bits of randomness, so a plain SHA-256 is enough to store them."""
    return hashlib.sha256(raw.encode()).hexdigest()


def new_raw_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class ApiToken(models.Model):
    """A bearer token for the REST API; only its hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(
        _("hint"), max_length=12, help_text=_("First characters, to tell tokens apart.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.hint}… ({self.user})"
