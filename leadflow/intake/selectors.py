"""Reads of channels and campaigns: shared configuration every signed-in user may see."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from leadflow.intake.models import Campaign, Channel, Inquiry

if TYPE_CHECKING:
    from leadflow.leads.models import Lead
    from leadflow.sales.models import Contact


def channel_list(*, active_only: bool = True) -> list[Channel]:
    """Channels in name order, for pickers and filters."""
    queryset = Channel.objects.order_by("name")
    if active_only:
        queryset = queryset.filter(is_active=True)
    return list(queryset)


def channel_by_slug(slug: str) -> Channel:
    """The active channel called ``slug``; a ValidationError on ``channel`` otherwise."""
    channel = Channel.objects.filter(slug=slug, is_active=True).first()
    if channel is None:
        raise ValidationError(
            {"channel": _("There is no active channel “%(slug)s”.") % {"slug": slug}}
        )
    return channel


def campaign_by_slug(slug: str | None) -> Campaign | None:
    """The campaign called ``slug`` (None for none); a ValidationError on ``campaign`` otherwise."""
    if not slug:
        return None
    campaign = Campaign.objects.filter(slug=slug).first()
    if campaign is None:
        raise ValidationError({"campaign": _("There is no campaign “%(slug)s”.") % {"slug": slug}})
    return campaign


# How many inquiries a card shows; the inbox has them all.
CARD_INQUIRIES = 20


def inquiries_for_card(
    *, lead: Lead | None = None, contact: Contact | None = None
) -> list[Inquiry]:
    """The latest inquiries that reached one person's card, newest first.

    The caller has already checked that the user may view the card.
    """
    subject = {"lead": lead} if lead is not None else {"contact": contact}
    queryset = Inquiry.objects.filter(**subject).select_related("channel", "campaign")
    return list(queryset.order_by("-received_at", "-pk")[:CARD_INQUIRIES])
