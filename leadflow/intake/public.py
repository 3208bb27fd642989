"""Public web forms: setting them up, and what happens to a submission.

A form is configured by marketing (which person fields it asks for, its
channel and campaign, its consent wording, what to show afterwards) and
served at ``/f/<slug>/`` to anyone, usually inside an iframe on another site.
Submissions go through ``inquiry_submit`` like every other channel.

Protection that real people never notice:

- a honeypot field, hidden from people; a bot that fills it is thanked and
  its inquiry stored as ``rejected`` (reason "honeypot");
- a signed token with the time the page was served: a submission faster than
  the form's minimum fill time, or with a forged or stale token, is stored as
  ``rejected`` and the form is shown again;
- rate limits and a body size cap in the view (see ``intake.views``);
- a double click (the same submission within minutes) is one inquiry, thanks
  to ``inquiry_submit``'s double-submit window.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leadflow.core.services import audit_record
from leadflow.intake.models import Campaign, Channel, Inquiry, InquiryOutcome, WebForm
from leadflow.intake.services import inquiry_fingerprint, inquiry_submit
from leadflow.leads.services import PERSON_FIELDS

if TYPE_CHECKING:
    from leadflow.accounts.models import User

# What a public form may ask for: the person fields (not an internal
# external_id) and a free-text message.
OFFERABLE_FIELDS: tuple[str, ...] = (
    *(name for name in PERSON_FIELDS if name != "external_id"),
    "message",
)
UTM_PARAMETERS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
HONEYPOT_FIELD = "website"
TOKEN_FIELD = "form_token"
REFERRER_FIELD = "referrer"
# The page an embedded form sits on, passed on by the snippet's script (static/intake/embed.js).
PAGE_FIELD = "page"
CONSENT_FIELD = "consent"
# A page left open longer than this must be reloaded before it is sent.
TOKEN_MAX_AGE = datetime.timedelta(days=2)
_TOKEN_SALT = "leadflow.intake.webform"

REASON_HONEYPOT = "honeypot"
REASON_TOO_FAST = "too fast"
REASON_BAD_TOKEN = "invalid form token"

_SETTINGS = (
    "name",
    "slug",
    "fields",
    "channel",
    "campaign",
    "consent_text",
    "consent_required",
    "thank_you_message",
    "redirect_url",
    "min_fill_seconds",
    "submissions_per_hour",
    "is_active",
)


def webform_can_manage(user: User) -> bool:
    """Marketers design forms; the head of sales and admins may too."""
    return bool(
        user.is_authenticated and (user.is_admin or user.is_marketer or user.is_head_of_sales)
    )


def _check_manager(actor: User) -> None:
    if not webform_can_manage(actor):
        raise PermissionDenied(_("Only marketers, heads of sales and admins manage web forms."))


def webform_clean_fields(fields: Any) -> list[dict[str, Any]]:
    """The offered fields as ``[{"name", "required"}]``, checked; a ValidationError otherwise."""
    if not isinstance(fields, list) or not fields:
        raise ValidationError({"fields": _("Offer at least one field.")})
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for item in fields:
        name = item.get("name") if isinstance(item, dict) else None
        if name not in OFFERABLE_FIELDS:
            raise ValidationError({"fields": _("Unknown field “%(name)s”.") % {"name": name}})
        if name in seen:
            raise ValidationError({"fields": _("“%(name)s” is offered twice.") % {"name": name}})
        seen.add(name)
        cleaned.append({"name": name, "required": bool(item.get("required"))})
    return cleaned


def _snapshot(form: WebForm) -> dict[str, Any]:
    return {
        name: getattr(form, f"{name}_id" if name in ("channel", "campaign") else name)
        for name in _SETTINGS
    }


def _check(form: WebForm) -> None:
    errors: dict[str, str] = {}
    if not form.name.strip():
        errors["name"] = _("Give the form a name.")
    if WebForm.objects.filter(slug=form.slug).exclude(pk=form.pk).exists():
        errors["slug"] = _("Another form already has this address.")
    if form.consent_required and not form.consent_text.strip():
        errors["consent_text"] = _("Write the consent text people must agree to.")
    if errors:
        raise ValidationError(errors)
    try:
        form.full_clean(exclude=["fields", "consent_versions", "created_by"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc


def _new_consent_version(form: WebForm, now: datetime.datetime) -> None:
    form.consent_version += 1
    form.consent_versions = [
        *form.consent_versions,
        {"version": form.consent_version, "text": form.consent_text, "since": now.isoformat()},
    ]


@transaction.atomic
def webform_create(
    *,
    actor: User,
    name: str,
    slug: str,
    fields: list[dict[str, Any]],
    channel: Channel,
    campaign: Campaign | None = None,
    consent_text: str = "",
    consent_required: bool = False,
    thank_you_message: str = "",
    redirect_url: str = "",
    min_fill_seconds: int = 3,
    submissions_per_hour: int = 300,
    is_active: bool = True,
) -> WebForm:
    """A new public form (marketers, heads of sales, admins)."""
    _check_manager(actor)
    form = WebForm(
        name=name.strip(),
        slug=slug.strip(),
        fields=webform_clean_fields(fields),
        channel=channel,
        campaign=campaign,
        consent_text=consent_text.strip(),
        consent_required=consent_required,
        thank_you_message=thank_you_message.strip(),
        redirect_url=redirect_url.strip(),
        min_fill_seconds=min_fill_seconds,
        submissions_per_hour=submissions_per_hour,
        is_active=is_active,
        created_by=actor,
    )
    _check(form)
    if form.consent_text:
        _new_consent_version(form, timezone.now())
    form.save()
    audit_record(actor=actor, action="webform.create", obj=form, after=_snapshot(form))
    return form


@transaction.atomic
def webform_update(*, actor: User, form: WebForm, **changes: Any) -> WebForm:
    """Change a form's settings. New consent wording becomes a new version; old ones are kept."""
    _check_manager(actor)
    unknown = set(changes) - set(_SETTINGS)
    if unknown:
        raise ValidationError(_("Unknown web form setting “%(name)s”.") % {"name": min(unknown)})
    form = WebForm.objects.select_for_update().get(pk=form.pk)
    before = _snapshot(form)
    old_consent = form.consent_text
    for name, value in changes.items():
        if name == "fields":
            value = webform_clean_fields(value)
        elif isinstance(value, str):
            value = value.strip()
        setattr(form, name, value)
    _check(form)
    if form.consent_text != old_consent:
        _new_consent_version(form, timezone.now())
    after = _snapshot(form)
    if after == before:
        return form
    form.save()
    audit_record(actor=actor, action="webform.update", obj=form, before=before, after=after)
    return form


def webform_get_public(slug: str) -> WebForm | None:
    """The active form at ``/f/<slug>/``, or None."""
    return (
        WebForm.objects.select_related("channel", "campaign")
        .filter(slug=slug, is_active=True, channel__is_active=True)
        .first()
    )


def consent_text_of_version(form: WebForm, version: int) -> str:
    """The consent wording the form showed as ``version`` ("" if it had none)."""
    for item in form.consent_versions:
        if item.get("version") == version:
            return str(item.get("text") or "")
    return ""


def form_token(form: WebForm, *, now: datetime.datetime | None = None) -> str:
    """Signed: which form, when the page was served and which consent text it showed."""
    served = now or timezone.now()
    return signing.dumps(
        {"f": form.pk, "t": served.timestamp(), "c": form.consent_version}, salt=_TOKEN_SALT
    )


@dataclass(frozen=True)
class FormToken:
    served_at: datetime.datetime
    consent_version: int


def form_token_read(form: WebForm, token: str) -> FormToken | None:
    """The token's contents if it is genuine, for this form and not too old; else None."""
    try:
        data = signing.loads(token, salt=_TOKEN_SALT, max_age=TOKEN_MAX_AGE)
        if data["f"] != form.pk:
            return None
        served = datetime.datetime.fromtimestamp(float(data["t"]), tz=datetime.UTC)
        return FormToken(served_at=served, consent_version=int(data["c"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def _raw(post: Mapping[str, Any]) -> dict[str, str]:
    """What was posted, without the protection fields, each value cut to a sane length."""
    skip = {TOKEN_FIELD, "csrfmiddlewaretoken"}
    return {str(name)[:100]: str(post.get(name, ""))[:5000] for name in post if name not in skip}


@transaction.atomic
def webform_reject(
    *,
    form: WebForm,
    post: Mapping[str, Any],
    reason: str,
    source_ip: str | None,
    now: datetime.datetime | None = None,
) -> Inquiry:
    """Store a submission the form's protection caught as a ``rejected`` inquiry, counted as spam.

    Nothing in it is validated or matched: it is kept as received, for the
    record and the counts.
    """
    now = now or timezone.now()
    raw = _raw(post)
    message = raw.get("message", "")
    fields = {name: value for name, value in raw.items() if name in PERSON_FIELDS and value}
    return Inquiry.objects.create(
        received_at=now,
        channel=form.channel,
        campaign=form.campaign,
        payload={"form": form.slug, "fields": raw},
        message=message,
        utm={name: raw[name][:200] for name in UTM_PARAMETERS if raw.get(name)},
        referrer_url=raw.get(REFERRER_FIELD, "")[:500],
        fingerprint=inquiry_fingerprint(form.channel, fields, {}, message),
        source_ip=source_ip,
        outcome=InquiryOutcome.REJECTED,
        reason=reason,
    )


def webform_submit(
    *,
    form: WebForm,
    values: Mapping[str, str],
    consent_given: bool,
    consent_version: int,
    utm: Mapping[str, str],
    referrer_url: str,
    source_ip: str | None,
    page_url: str = "",
    now: datetime.datetime | None = None,
) -> Inquiry:
    """Record what a person sent through a public form (see ``inquiry_submit`` for the outcome).

    ``values`` holds the offered fields only; the consent stored is the exact
    wording of the version the person was shown, with the time. ``page_url``
    is the site's page the form was embedded in, kept in the payload.
    """
    offered = {item["name"] for item in form.fields}
    fields = {
        name: value
        for name, value in values.items()
        if name in offered and name != "message" and value
    }
    message = values.get("message", "") if "message" in offered else ""
    consent_text = consent_text_of_version(form, consent_version) if consent_given else ""
    payload: dict[str, Any] = {"form": form.slug, "fields": dict(values)}
    if consent_text:
        payload["consent_version"] = consent_version
    if page_url:
        payload["page_url"] = page_url[:500]
    return inquiry_submit(
        actor=None,
        channel=form.channel,
        campaign=form.campaign,
        fields=fields,
        message=message,
        utm=utm,
        referrer_url=referrer_url,
        consent_text=consent_text,
        payload=payload,
        source_ip=source_ip,
        received_at=now,
        triage_later=True,
    )


FIELD_LABELS: dict[str, Any] = {
    "first_name": gettext_lazy("First name"),
    "last_name": gettext_lazy("Last name"),
    "email": gettext_lazy("E-mail"),
    "phone": gettext_lazy("Phone"),
    "company_name": gettext_lazy("Company"),
    "job_title": gettext_lazy("Job title"),
    "street": gettext_lazy("Street"),
    "city": gettext_lazy("City"),
    "postal_code": gettext_lazy("Postal code"),
    "region": gettext_lazy("Region"),
    "country": gettext_lazy("Country"),
    "language": gettext_lazy("Language"),
    "purchase_timeframe": gettext_lazy("When do you plan to buy?"),
    "message": gettext_lazy("Message"),
}
