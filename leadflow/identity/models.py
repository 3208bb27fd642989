from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from leadflow.core.models import TimeStampedModel
from leadflow.core.schema import filled_index


class MatchKey(models.Model):
    """A blocking key of a lead or a contact (“e:ayse@example.com”, “sz:A YLMS|34710”).

    Filed as the key's 64-bit code (``identity.matching.key_code``). Matching
    looks up the keys of a new inquiry here, so it compares the person with
    the handful of records that share a key instead of scanning the table.
    Rows are derived data: ``identity.services.match_keys_refresh`` rewrites
    them whenever a person's fields change.
    """

    value = models.BigIntegerField(_("key"))
    lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    contact = models.ForeignKey(
        "sales.Contact",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
    )

    class Meta:
        verbose_name = _("match key")
        verbose_name_plural = _("match keys")
        # Covering: a look-up by value (and the scan's self-join) reads only the index.
        indexes = [
            models.Index(fields=["value", "lead", "contact"], name="matchkey_value_record"),
            # A lead's keys (nearly all of them) have no contact.
            filled_index("contact", "matchkey_contact"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lead__isnull=False) | models.Q(contact__isnull=False),
                name="matchkey_has_record",
            )
        ]

    def __str__(self) -> str:
        return str(self.value)


class DuplicateStatus(models.TextChoices):
    OPEN = "open", _("To review")
    MERGED = "merged", _("Merged")
    DISMISSED = "dismissed", _("Not the same person")


class DuplicatePair(TimeStampedModel):
    """Two leads that may be the same person, waiting for someone to decide.

    ``lead_a`` is always the older lead (lower id), so a pair is stored once.
    """

    lead_a = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="+")
    lead_b = models.ForeignKey("leads.Lead", on_delete=models.CASCADE, related_name="+")
    confidence = models.FloatField(_("confidence"))
    explanation = models.JSONField(_("fields compared"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=DuplicateStatus.choices, default=DuplicateStatus.OPEN
    )

    class Meta:
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        constraints = [
            models.UniqueConstraint(fields=["lead_a", "lead_b"], name="duplicatepair_once"),
            models.CheckConstraint(
                condition=models.Q(lead_a__lt=models.F("lead_b")), name="duplicatepair_ordered"
            ),
        ]
        indexes = [models.Index(fields=["status", "confidence"], name="duplicatepair_queue")]

    def __str__(self) -> str:
        return f"{self.lead_a_id} ~ {self.lead_b_id} ({self.confidence:.2f})"
