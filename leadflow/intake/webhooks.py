"""Generic JSON webhooks: chat bots and other systems post inquiries to ``/hooks/<slug>/``.

Each source has its own signing secret. The sender signs the raw body with
HMAC-SHA256 and sends ``X-Leadflow-Signature: sha256=<hex digest>``; a missing
or wrong signature is refused before anything is read. The source's field
mapping says which dotted path of the JSON holds which lead field
(``{"contact.email": "email", "text": "message"}``); every other value is
kept as a custom attribute under its path, so nothing sent is lost.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from leadflow.core.services import audit_record
from leadflow.intake.models import Campaign, Channel, Inquiry, WebhookSource
from leadflow.intake.services import inquiry_submit
from leadflow.leads.services import PERSON_FIELDS

if TYPE_CHECKING:
    from leadflow.accounts.models import User

SIGNATURE_HEADER = "X-Leadflow-Signature"
SIGNATURE_PREFIX = "sha256="
MAPPABLE_FIELDS: tuple[str, ...] = (*PERSON_FIELDS, "message")
_SETTINGS = ("name", "slug", "channel", "campaign", "field_mapping", "is_active")


def webhook_sign(secret: str, body: bytes) -> str:
    """The signature header value for ``body``: what senders compute, what we check."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_PREFIX}{digest}"


def webhook_signature_valid(source: WebhookSource, body: bytes, header: str) -> bool:
    """Whether ``header`` is the source's signature of ``body`` (compared in constant time)."""
    header = header.strip()
    if not header.startswith(SIGNATURE_PREFIX) or not source.secret:
        return False
    return hmac.compare_digest(webhook_sign(source.secret, body).encode(), header.encode())


def _check_admin(actor: User) -> None:
    if not actor.is_admin:
        raise PermissionDenied(_("Only admins manage webhooks."))


def webhook_clean_mapping(mapping: Any) -> dict[str, str]:
    """``{"json.path": "lead_field"}``, checked; a ValidationError on ``field_mapping`` otherwise."""
    if not isinstance(mapping, dict):
        raise ValidationError(
            {"field_mapping": _('Write an object such as {"contact.email": "email"}.')}
        )
    cleaned: dict[str, str] = {}
    for path, field in mapping.items():
        path = str(path).strip()
        if not path or any(not part for part in path.split(".")):
            raise ValidationError(
                {"field_mapping": _("“%(path)s” is not a path.") % {"path": path}}
            )
        if field not in MAPPABLE_FIELDS:
            raise ValidationError(
                {"field_mapping": _("“%(field)s” is not a lead field.") % {"field": field}}
            )
        cleaned[path] = str(field)
    if len(set(cleaned.values())) != len(cleaned):
        raise ValidationError({"field_mapping": _("Two paths are mapped to the same field.")})
    return cleaned


def _snapshot(source: WebhookSource) -> dict[str, Any]:
    return {
        name: getattr(source, f"{name}_id" if name in ("channel", "campaign") else name)
        for name in _SETTINGS
    }


def _check(source: WebhookSource) -> None:
    if WebhookSource.objects.filter(slug=source.slug).exclude(pk=source.pk).exists():
        raise ValidationError({"slug": _("Another webhook already has this address.")})
    try:
        source.full_clean(exclude=["field_mapping"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from exc


@transaction.atomic
def webhook_source_create(
    *,
    actor: User,
    name: str,
    slug: str,
    channel: Channel,
    field_mapping: Mapping[str, str],
    campaign: Campaign | None = None,
    is_active: bool = True,
) -> WebhookSource:
    """A new webhook source with a fresh random signing secret (admins only)."""
    _check_admin(actor)
    source = WebhookSource(
        name=name.strip(),
        slug=slug.strip(),
        channel=channel,
        campaign=campaign,
        field_mapping=webhook_clean_mapping(dict(field_mapping)),
        secret=secrets.token_hex(32),
        is_active=is_active,
    )
    _check(source)
    source.save()
    audit_record(actor=actor, action="webhook.create", obj=source, after=_snapshot(source))
    return source


@transaction.atomic
def webhook_source_update(
    *, actor: User, source: WebhookSource, new_secret: bool = False, **changes: Any
) -> WebhookSource:
    """Change a source's settings; ``new_secret`` replaces its signing secret (the old one stops working)."""
    _check_admin(actor)
    unknown = set(changes) - set(_SETTINGS)
    if unknown:
        raise ValidationError(_("Unknown webhook setting “%(name)s”.") % {"name": min(unknown)})
    source = WebhookSource.objects.select_for_update().get(pk=source.pk)
    before = _snapshot(source)
    for name, value in changes.items():
        if name == "field_mapping":
            value = webhook_clean_mapping(value)
        elif isinstance(value, str):
            value = value.strip()
        setattr(source, name, value)
    _check(source)
    if new_secret:
        source.secret = secrets.token_hex(32)
    after = _snapshot(source)
    if after == before and not new_secret:
        return source
    source.save()
    # The secret itself is never written to the audit trail.
    audit_record(
        actor=actor,
        action="webhook.update",
        obj=source,
        before=before,
        after={**after, "secret_replaced": new_secret},
    )
    return source


def _leaves(value: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every scalar in a JSON document with its dotted path ("contact.emails.0")."""
    if isinstance(value, dict):
        items: list[tuple[str, Any]] = []
        for key, child in value.items():
            items += _leaves(child, f"{path}.{key}" if path else str(key))
        return items
    if isinstance(value, list):
        items = []
        for index, child in enumerate(value):
            items += _leaves(child, f"{path}.{index}" if path else str(index))
        return items
    return [(path, value)]


def webhook_map(
    source: WebhookSource, document: Mapping[str, Any]
) -> tuple[dict[str, str], str, dict[str, Any]]:
    """(person fields, message, custom attributes) of a posted document, by the source's mapping."""
    fields: dict[str, str] = {}
    message = ""
    custom: dict[str, Any] = {}
    mapping = source.field_mapping
    leaves = _leaves(dict(document))
    for path, value in leaves:
        field = mapping.get(path)
        if field is None:
            if value is not None and value != "":
                custom[path] = value
            continue
        text = "" if value is None else str(value).strip()
        if field == "message":
            message = text
        elif text:
            fields[field] = text
    present = {path for path, _value in leaves}
    for path, field in mapping.items():
        if path not in present and _has_container_at(document, path):
            raise ValidationError(
                {field: _("“%(path)s” must be text, not a list or object.") % {"path": path}}
            )
    return fields, message, custom


def _has_container_at(document: Mapping[str, Any], path: str) -> bool:
    node: Any = document
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return isinstance(node, dict | list) and bool(node)


def webhook_receive(
    *, source: WebhookSource, document: Mapping[str, Any], source_ip: str | None
) -> Inquiry:
    """Record one posted document as an inquiry of the source's channel and campaign."""
    fields, message, custom = webhook_map(source, document)
    return inquiry_submit(
        actor=None,
        channel=source.channel,
        campaign=source.campaign,
        fields=fields,
        custom=custom,
        message=message,
        payload={"webhook": source.slug, "body": dict(document)},
        source_ip=source_ip,
        triage_later=True,
    )
