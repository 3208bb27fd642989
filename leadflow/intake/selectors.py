"""Reads of channels and campaigns: shared configuration every signed-in user may see."""

from __future__ import annotations

from leadflow.intake.models import Channel


def channel_list(*, active_only: bool = True) -> list[Channel]:
    """Channels in name order, for pickers and filters."""
    queryset = Channel.objects.order_by("name")
    if active_only:
        queryset = queryset.filter(is_active=True)
    return list(queryset)
