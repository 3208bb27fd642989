"""Reads of channels and campaigns: shared configuration every signed-in user may see."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from leadflow.core.pagination import Page, keyset_paginate
from leadflow.core.rows import RowReader
from leadflow.intake.models import Campaign, Channel, Inquiry, InquiryOutcome

if TYPE_CHECKING:
    from leadflow.accounts.models import User
    from leadflow.leads.models import Lead
    from leadflow.sales.models import Contact


def channel_list(*, active_only: bool = True) -> list[Channel]:
    """Channels in name order, for pickers and filters."""
    queryset = Channel.objects.order_by("name")
    if active_only:
        queryset = queryset.filter(is_active=True)
    return list(queryset)


_ACTIVE_CHANNEL = RowReader(Channel, 't."slug" = %s AND t."is_active" = %s')
_CAMPAIGN = RowReader(Campaign, 't."slug" = %s')


def channel_by_slug(slug: str) -> Channel:
    """The active channel called ``slug``; a ValidationError on ``channel`` otherwise."""
    channel = _ACTIVE_CHANNEL.first(slug, True)
    if channel is None:
        raise ValidationError(
            {"channel": _("There is no active channel “%(slug)s”.") % {"slug": slug}}
        )
    return channel


def campaign_by_slug(slug: str | None) -> Campaign | None:
    """The campaign called ``slug`` (None for none); a ValidationError on ``campaign`` otherwise."""
    if not slug:
        return None
    campaign = _CAMPAIGN.first(slug)
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
    subject: dict[str, Lead | Contact | None] = (
        {"lead": lead} if lead is not None else {"contact": contact}
    )
    queryset = Inquiry.objects.filter(**subject).select_related("channel", "campaign")
    return list(queryset.order_by("-received_at", "-pk")[:CARD_INQUIRIES])


INBOX_COUNT_DAYS = 30


def inquiry_inbox_allowed(user: User) -> bool:
    """The inquiries inbox is for those who watch the channels: marketers, heads, admins."""
    return bool(
        user.is_authenticated and (user.is_admin or user.is_marketer or user.is_head_of_sales)
    )


def _inbox_scope(user: User) -> QuerySet[Inquiry]:
    """All inquiries for admins and marketers; for a head of sales, those that reached a card
    they may see or no card at all (interest, spam)."""
    from leadflow.leads.models import Lead
    from leadflow.sales.models import Contact

    queryset = Inquiry.objects.all()
    if not inquiry_inbox_allowed(user):
        return queryset.none()
    if user.is_admin or user.is_marketer:
        return queryset
    return queryset.filter(
        Q(lead__in=Lead.objects.visible_to(user).values("pk"))
        | Q(contact__in=Contact.objects.visible_to(user).values("pk"))
        | Q(lead__isnull=True, contact__isnull=True)
    )


def inquiry_inbox(
    *,
    user: User,
    channel: str = "",
    outcome: str = "",
    needs_review: bool | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Inquiry]:
    """One keyset page of the inquiries ``user`` may see, newest first, filtered."""
    queryset = _inbox_scope(user).select_related("channel", "campaign", "lead", "contact")
    if channel:
        queryset = queryset.filter(channel__slug=channel)
    if outcome:
        queryset = queryset.filter(outcome=outcome)
    if needs_review is not None:
        queryset = queryset.filter(needs_review=needs_review)
    return keyset_paginate(queryset, ordering="-received_at", cursor=cursor, limit=limit)


def inquiry_outcome_counts(
    *, user: User, channel: str = "", days: int = INBOX_COUNT_DAYS
) -> dict[str, int]:
    """Inquiries per outcome over the last ``days`` days, rejected spam included."""
    since = timezone.now() - datetime.timedelta(days=days)
    queryset = _inbox_scope(user).filter(received_at__gte=since)
    if channel:
        queryset = queryset.filter(channel__slug=channel)
    counts = {value: 0 for value, _label in InquiryOutcome.choices}
    for row in queryset.order_by().values("outcome").annotate(n=Count("pk")):
        counts[row["outcome"]] = row["n"]
    return counts
