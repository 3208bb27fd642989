from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from leadflow.core.context import Interface
from leadflow.core.permissions import Action, scope_q
from leadflow.core.schema import filled_index

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from leadflow.accounts.models import User


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class ScopedQuerySet(models.QuerySet):
    """A queryset whose rows belong to an owner and a team."""

    def visible_to(self, user: User | AnonymousUser, action: Action = "view") -> Self:
        return self.filter(scope_q(user, action))


class OwnedModel(TimeStampedModel):
    """A record someone is responsible for, worked by a team, edited with a version check."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(
        "accounts.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    version = models.PositiveIntegerField(
        _("version"), default=1, help_text=_("Raised on every save; an edit must name it.")
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        abstract = True


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    UPDATED = "updated", _("Updated")
    STATUS_CHANGED = "status_changed", _("Status changed")
    OWNER_CHANGED = "owner_changed", _("Owner changed")
    STAGE_CHANGED = "stage_changed", _("Stage changed")
    SCORE_CHANGED = "score_changed", _("Score changed")
    TEMPERATURE_CHANGED = "temperature_changed", _("Temperature changed")
    FUNNEL_CLASS_CHANGED = "funnel_class_changed", _("Funnel class changed")
    CONVERTED = "converted", _("Converted")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")
    REJECTED = "rejected", _("Rejected")
    POSTPONED = "postponed", _("Postponed")
    ACTIVITY_LOGGED = "activity_logged", _("Activity logged")
    MERGED = "merged", _("Merged")
    UNMERGED = "unmerged", _("Unmerged")
    INQUIRY_ATTACHED = "inquiry_attached", _("Inquiry attached")
    ORIGIN_CLASS_CHANGED = "origin_class_changed", _("Origin class changed")
    SLA_BREACHED = "sla_breached", _("First-response time breached")


class Event(models.Model):
    """An append-only fact about a record's life. Funnel analytics read only these.

    ``from_value``/``to_value`` hold the changed state (a status, a stage id, an
    owner id, a score) as text so that one index serves every kind.
    """

    occurred_at = models.DateTimeField(_("occurred at"), db_index=True)
    kind = models.CharField(_("kind"), max_length=32, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    interface = models.CharField(
        _("interface"), max_length=10, choices=Interface.choices, default=Interface.SYSTEM
    )
    lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    contact = models.ForeignKey(
        "sales.Contact",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="events",
        db_index=False,
    )
    company = models.ForeignKey(
        "sales.Company",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="events",
        db_index=False,
    )
    deal = models.ForeignKey(
        "sales.Deal",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="events",
        db_index=False,
    )
    from_value = models.CharField(_("from"), max_length=255, blank=True)
    to_value = models.CharField(_("to"), max_length=255, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            models.Index(fields=["kind", "occurred_at"], name="event_kind_time"),
            filled_index("actor", "event_actor"),
            filled_index("contact", "event_contact"),
            filled_index("company", "event_company"),
            filled_index("deal", "event_deal"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.from_value} → {self.to_value}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValueError("Events are append-only; record a new event instead.")
        super().save(*args, **kwargs)


class AuditEvent(models.Model):
    """Who changed what, when, from which interface, with the values before and after."""

    occurred_at = models.DateTimeField(_("occurred at"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    interface = models.CharField(_("interface"), max_length=10, choices=Interface.choices)
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=255, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}#{self.object_id}"
