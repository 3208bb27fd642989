"""Reads of channels and campaigns: shared configuration every signed-in user may see."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from leadflow.intake.models import Campaign, Channel


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
