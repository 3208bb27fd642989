"""Intake: every channel's inquiries come through ``inquiry_submit``.

One door for every channel (API, web forms, e-mail, phone, webhooks,
referrals, imports) so that validation, spam rules, identity resolution,
events and notifications happen once, the same way.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from leadflow.core.models import EventKind
from leadflow.core.rows import RowReader, row_insert
from leadflow.core.services import event_record
from leadflow.identity.matching import Match, MatchLevel, Person, blocking_keys, person_from
from leadflow.identity.selectors import match_candidates, match_key_mark, match_keys_added
from leadflow.identity.services import duplicate_pair_record, identity_lock
from leadflow.intake.models import Inquiry, InquiryOutcome
from leadflow.leads.models import Interest, Lead, LeadStatus
from leadflow.leads.selectors import lead_with_owner
from leadflow.leads.services import (
    PERSON_FIELDS,
    lead_check_reachable,
    lead_clean_fields,
    lead_create,
    lead_update,
)

if TYPE_CHECKING:
    from leadflow.accounts.models import User
    from leadflow.intake.models import Campaign, Channel
    from leadflow.sales.models import Contact

_LINK = re.compile(r"(https?://|www\.)\S+", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
MAX_LINKS_IN_MESSAGE = 3


def spam_reason(fields: Mapping[str, str], message: str) -> str:
    """Why an inquiry is obviously spam, or "" — only rules that do not catch real people.

    The searches run only on text that could hold a match (every web address
    has "://" or "www.", and printable text has no control characters): an
    import checks a million rows, nearly all of them clean.
    """
    for name in ("first_name", "last_name", "company_name", "job_title"):
        value = fields.get(name, "")
        if ("://" in value or "www." in value.lower()) and _LINK.search(value):
            return _("A web address in the %(field)s field.") % {"field": name}
    if len(_LINK.findall(message)) > MAX_LINKS_IN_MESSAGE:
        return _("More than %(count)d web addresses in the message.") % {
            "count": MAX_LINKS_IN_MESSAGE
        }
    texts = (*fields.values(), message)
    if not all(text.isprintable() for text in texts) and any(
        _CONTROL.search(text) for text in texts
    ):
        return _("Control characters in the text.")
    return ""


# Hex digits of an inquiry's fingerprint (see ``inquiry_fingerprint``).
FINGERPRINT_LENGTH = 16

# What json.dumps(..., ensure_ascii=False, default=str) makes, without a new
# encoder for every call. Never change the text it makes: stored fingerprints
# recognise rows imported before.
_FINGERPRINT_JSON = json.JSONEncoder(ensure_ascii=False, default=str)


def inquiry_fingerprint(
    channel: Channel, fields: Mapping[str, str], custom: Mapping[str, Any], message: str
) -> str:
    """Equal for the same submission through the same channel (a double click, a retry).

    The first 64 bits of a SHA-256, as 16 hex digits: every import row and
    submission looks its fingerprint up, and a large import files a million
    of them at random places in the index, which a quarter of the full
    digest's size keeps in memory far longer. Two different submissions of a
    channel share one once in 2^64 pairs: among ten million inquiries, about
    one chance in 370,000 that any two do.
    """
    content = _FINGERPRINT_JSON.encode(
        [channel.pk, sorted(fields.items()), sorted(custom.items()), message.strip()]
    )
    return hashlib.sha256(content.encode()).hexdigest()[:FINGERPRINT_LENGTH]


def _interest_name(fields: Mapping[str, str]) -> str:
    return " ".join(part for part in (fields.get("first_name"), fields.get("last_name")) if part)


@dataclass(frozen=True)
class InquiryDraft:
    """What intake works out about a submission before it takes the write lock.

    Cleaning the fields, the blocking keys and the candidate matches only
    read, so concurrent submissions do this work side by side; the write
    transaction then only checks that nobody added a record with one of the
    same keys meanwhile (``key_mark``) before it writes.
    """

    channel: Channel
    cleaned: dict[str, Any]
    custom: dict[str, Any]
    message: str
    fingerprint: str
    person: Person
    keys: frozenset[int]
    key_mark: int
    spam: str  # why it is obviously spam, or ""
    reachable: bool  # a named person with a way to reach them
    matches: list[Match] | None  # None: not looked up (spam, or nobody to reach)


def inquiry_draft(
    *,
    channel: Channel,
    fields: Mapping[str, Any],
    custom: Mapping[str, Any] | None = None,
    message: str = "",
) -> InquiryDraft:
    """Clean and check a submission and find who it may be, without writing anything.

    Raises ValidationError for fields that cannot be right (an impossible
    phone number, a broken e-mail address, an unknown field).
    """
    custom = dict(custom or {})
    person_fields = {name: value for name, value in fields.items() if value not in (None, "")}
    cleaned = lead_clean_fields(person_fields, region=channel.default_region)
    cleaned = {name: value for name, value in cleaned.items() if value}
    person = person_from(cleaned, custom)
    keys = frozenset(blocking_keys(person))
    key_mark = match_key_mark()
    spam = spam_reason(cleaned, message)
    reachable = _reachable(cleaned)
    matches = match_candidates(person) if reachable and not spam else None
    return InquiryDraft(
        channel=channel,
        cleaned=cleaned,
        custom=custom,
        message=message,
        fingerprint=inquiry_fingerprint(channel, cleaned, custom, message),
        person=person,
        keys=keys,
        key_mark=key_mark,
        spam=spam,
        reachable=reachable,
        matches=matches,
    )


def _reachable(cleaned: Mapping[str, Any]) -> bool:
    try:
        lead_check_reachable(dict(cleaned))
    except ValidationError:
        return False
    return True


_EARLIER_SUBMISSION = RowReader(
    Inquiry,
    't."fingerprint" = %s AND t."received_at" >= %s AND t."received_at" <= %s',
    order_by='t."id"',
)


@transaction.atomic
def inquiry_submit(
    *,
    actor: User | None,
    channel: Channel,
    fields: Mapping[str, Any] | None = None,
    campaign: Campaign | None = None,
    custom: Mapping[str, Any] | None = None,
    message: str = "",
    utm: Mapping[str, str] | None = None,
    referrer_url: str = "",
    consent_text: str = "",
    referred_by: Contact | None = None,
    payload: Mapping[str, Any] | None = None,
    source_ip: str | None = None,
    received_at: datetime.datetime | None = None,
    double_submit_seconds: int | None = None,
    reject_reason: str = "",
    thread_match: Match | None = None,
    source_ref: str = "",
    triage_later: bool = False,
    draft: InquiryDraft | None = None,
) -> Inquiry:
    """Record one inbound touch and decide its outcome: created, attached, interest or rejected.

    - Fields that cannot be right (an impossible phone number, a broken
      e-mail address, an unknown field) raise ValidationError and nothing is
      stored: the sender can correct them.
    - Obvious spam is stored as ``rejected`` with the reason.
    - Without a named person and a way to reach them it is ``interest``.
    - A certain match with a known lead or contact attaches the inquiry to
      them and tells their owner; a probable match does the same but flags
      it for review; otherwise a new lead is created (``created``), and a
      possible match puts the two leads in the possible-duplicates queue.
    - The same submission again within ``double_submit_seconds`` (default
      ``LEADFLOW_DOUBLE_SUBMIT_SECONDS``) returns the first inquiry instead
      of recording another; check ``inquiry.repeated``.
    - ``reject_reason``: the channel already knows this is nobody getting in
      touch (an e-mail auto-reply or bounce); it is stored ``rejected``.
    - ``thread_match``: a card the channel found by other means (an e-mail
      reply in the thread of an earlier inquiry), used when identity matching
      finds no certain or probable match.
    - ``source_ref``: the sender's own id for the message (an e-mail's
      Message-ID), indexed so that a redelivery can be recognised.
    - ``triage_later``: a new lead is scored and routed by the background
      worker moments later instead of before this returns (``lead_create``).
    - ``draft``: ``inquiry_draft`` of the same channel, fields, custom
      attributes and message, made before the caller's transaction began
      (then ``fields``, ``custom`` and ``message`` are not needed).
    """
    now = received_at or timezone.now()
    if draft is None:
        draft = inquiry_draft(channel=channel, fields=fields or {}, custom=custom, message=message)
    cleaned, custom, message = draft.cleaned, draft.custom, draft.message
    identity_lock({f"f:{draft.fingerprint}", *draft.keys})

    window = settings.LEADFLOW_DOUBLE_SUBMIT_SECONDS
    if double_submit_seconds is not None:
        window = double_submit_seconds
    if window:
        earlier = _EARLIER_SUBMISSION.first(
            draft.fingerprint, now - datetime.timedelta(seconds=window), now
        )
        if earlier is not None:
            earlier.repeated = True  # type: ignore[attr-defined]
            return earlier

    inquiry = Inquiry(
        received_at=now,
        channel=channel,
        campaign=campaign,
        payload=dict(payload) if payload is not None else {"fields": dict(fields or cleaned)},
        fields=cleaned,
        custom=custom,
        message=message,
        utm=dict(utm or {}),
        referrer_url=referrer_url[:500],
        consent_text=consent_text,
        consent_at=now if consent_text else None,
        fingerprint=draft.fingerprint,
        source_ref=source_ref[:255],
        source_ip=source_ip,
        submitted_by=actor if actor is not None and actor.is_authenticated else None,
        referred_by=referred_by,
    )
    inquiry.repeated = False  # type: ignore[attr-defined]

    reason = reject_reason or draft.spam
    if reason:
        inquiry.outcome = InquiryOutcome.REJECTED
        inquiry.reason = reason
        row_insert(inquiry)
        return inquiry

    if not draft.reachable:
        inquiry.outcome = InquiryOutcome.INTEREST
        inquiry.interest = row_insert(
            Interest(
                channel=channel,
                campaign=campaign,
                name=_interest_name(cleaned),
                company_name=cleaned.get("company_name", ""),
                email=cleaned.get("email", ""),
                phone=cleaned.get("phone", ""),
                message=message,
            )
        )
        row_insert(inquiry)
        return inquiry

    matches = draft.matches
    if matches is None or match_keys_added(draft.keys, since=draft.key_mark):
        # Someone with one of these keys arrived since the draft: look again.
        matches = match_candidates(draft.person)
    best = matches[0] if matches else None
    if thread_match is not None and (
        best is None or best.level not in (MatchLevel.CERTAIN, MatchLevel.PROBABLE)
    ):
        best = thread_match
    if best is not None and best.level in (MatchLevel.CERTAIN, MatchLevel.PROBABLE):
        _attach(inquiry, best, actor=actor, fields=cleaned, custom=custom)
        return inquiry

    lead = lead_create(
        actor=actor,
        channel=channel,
        campaign=campaign,
        custom=custom,
        referred_by=referred_by,
        triage_later=triage_later,
        **{name: value for name, value in cleaned.items() if name in PERSON_FIELDS},
    )
    inquiry.outcome = InquiryOutcome.CREATED
    inquiry.lead = lead
    row_insert(inquiry)
    for match in matches:
        if match.lead_id is not None:
            duplicate_pair_record(
                lead_a=Lead(pk=match.lead_id),
                lead_b=lead,
                confidence=match.confidence,
                explanation=match.explanation,
            )
    return inquiry


def _attach(
    inquiry: Inquiry,
    match: Match,
    *,
    actor: User | None,
    fields: Mapping[str, str],
    custom: Mapping[str, Any],
) -> None:
    """Attach an inquiry to the lead or contact it matched; fill gaps; tell the owner."""
    from leadflow.activities.services import notification_send
    from leadflow.sales.models import Contact

    inquiry.outcome = InquiryOutcome.ATTACHED
    inquiry.match_confidence = match.confidence
    inquiry.match_explanation = match.explanation
    inquiry.needs_review = match.level != MatchLevel.CERTAIN
    lead = lead_with_owner(match.lead_id) if match.lead_id else None
    contact = Contact.objects.filter(pk=match.contact_id).first() if match.contact_id else None
    if lead is not None and lead.status == LeadStatus.CONVERTED and lead.contact_id:
        # A converted lead's person is a customer now: the contact card is theirs.
        contact = lead.contact
    inquiry.lead = lead
    inquiry.contact = contact
    row_insert(inquiry)

    data = {
        "inquiry": inquiry.pk,
        "channel": inquiry.channel.slug,
        "confidence": match.confidence,
        "matched_on": sorted(
            name for name, item in match.explanation.items() if item["weight"] > 0
        ),
        "needs_review": inquiry.needs_review,
    }
    if contact is not None:
        event_record(kind=EventKind.INQUIRY_ATTACHED, actor=actor, contact=contact, data=data)
        owner = contact.owner
        url = reverse("sales:contact_detail", args=[contact.pk])
        text = _("%(name)s, a customer, got in touch again through %(channel)s.")
        name = str(contact)
    else:
        assert lead is not None
        event_record(kind=EventKind.INQUIRY_ATTACHED, actor=actor, lead=lead, data=data)
        _lead_fill_gaps(lead, actor=actor, fields=fields, custom=custom)
        owner = lead.owner
        url = reverse("leads:detail", args=[lead.pk])
        text = _("%(name)s got in touch again through %(channel)s.")
        name = str(lead)
    if owner is not None and owner.is_active:
        notification_send(
            user=owner,
            text=text % {"name": name, "channel": inquiry.channel.name},
            url=url,
            email=settings.LEADFLOW_EMAIL_OWNER_ON_REPEAT,
        )


def _lead_fill_gaps(
    lead: Lead, *, actor: User | None, fields: Mapping[str, str], custom: Mapping[str, Any]
) -> None:
    """What the person told us this time fills what the card lacks; nothing known is overwritten.

    A newly stated purchase timeframe is the exception: it is the latest word
    on when they will buy, so it replaces the old one (and the temperature
    follows, unless a person set it).
    """
    changes: dict[str, Any] = {
        name: value
        for name, value in fields.items()
        if name in PERSON_FIELDS and value and not getattr(lead, name)
    }
    timeframe = fields.get("purchase_timeframe")
    if timeframe and timeframe != lead.purchase_timeframe:
        changes["purchase_timeframe"] = timeframe
    new_custom = {name: value for name, value in custom.items() if name not in lead.custom}
    if changes or new_custom:
        lead_update(
            actor=actor,
            lead=lead,
            version=None,
            custom={**lead.custom, **new_custom} if new_custom else None,
            **changes,
        )
