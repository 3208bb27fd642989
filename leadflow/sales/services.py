"""Writes to companies, contacts and deals, and lead conversion."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from leadflow.core.models import EventKind
from leadflow.core.services import (
    UNSET,
    UnsetType,
    audit_record,
    changed_fields,
    event_record,
    lock_for_edit,
    snapshot,
)
from leadflow.identity.normalise import normalise_company_name, normalise_email, normalise_phone
from leadflow.identity.services import match_keys_refresh
from leadflow.leads.models import Lead, LeadStatus, Outcome
from leadflow.leads.services import can_assign
from leadflow.sales.models import (
    Company,
    Contact,
    Deal,
    DealStatus,
    Pipeline,
    Stage,
    StageKind,
)

if TYPE_CHECKING:
    from leadflow.accounts.models import User

COMPANY_FIELDS = (
    "name",
    "domain",
    "phone",
    "industry",
    "employees",
    "street",
    "city",
    "postal_code",
    "region",
    "country",
)
CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "job_title",
    "language",
    "street",
    "city",
    "postal_code",
    "region",
    "country",
)
DEAL_FIELDS = ("title", "amount", "currency", "expected_close_on")

# Addresses at these domains say nothing about the company someone works for.
FREEMAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "yahoo.com",
        "yandex.com",
        "icloud.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "aol.com",
        "mail.ru",
    }
)


def _clean(obj: Any, fields: dict[str, Any], allowed: tuple[str, ...]) -> None:
    """Set ``fields`` on ``obj``, normalising contact details, and validate the model."""
    errors: dict[str, list[str]] = {}
    for name, value in fields.items():
        if name not in allowed:
            raise ValidationError(_("Unknown field “%(name)s”.") % {"name": name})
        if isinstance(value, str):
            value = value.strip()
        try:
            if name == "email":
                value = normalise_email(value or "")
            elif name == "phone":
                value = normalise_phone(value or "", region=settings.LEADFLOW_DEFAULT_REGION)
            elif name == "country":
                value = (value or "").upper()
        except ValidationError as exc:
            errors.setdefault(name, []).extend(exc.messages)
            continue
        setattr(obj, name, value)
    if errors:
        raise ValidationError(errors)
    obj.full_clean(
        exclude=["owner", "team", "company", "source_lead", "pipeline", "stage", "contact", "lead"]
    )


def _record_update(
    actor: User | None, obj: Any, before: dict[str, Any], action: str, **subject: Any
) -> bool:
    old, new = changed_fields(before, snapshot(obj))
    if not new:
        return False
    obj.version += 1
    obj.save()
    event_record(kind=EventKind.UPDATED, actor=actor, data={"fields": sorted(new)}, **subject)
    audit_record(actor=actor, action=action, obj=obj, before=old, after=new)
    return True


# --- Companies ----------------------------------------------------------------


@transaction.atomic
def company_create(*, actor: User | None, owner: User | None = None, **fields: Any) -> Company:
    company = Company(owner=owner, team=owner.team if owner else None)
    _clean(company, fields, COMPANY_FIELDS)
    company.normalized_name = normalise_company_name(company.name)
    company.save()
    event_record(kind=EventKind.CREATED, actor=actor, company=company)
    audit_record(actor=actor, action="company.create", obj=company, after=snapshot(company))
    return company


@transaction.atomic
def company_update(
    *, actor: User | None, company: Company, version: int | None, **fields: Any
) -> Company:
    company = lock_for_edit(Company.objects.all(), company.pk, version)
    before = snapshot(company)
    _clean(company, fields, COMPANY_FIELDS)
    company.normalized_name = normalise_company_name(company.name)
    _record_update(actor, company, before, "company.update", company=company)
    return company


# --- Contacts -----------------------------------------------------------------


def _check_contact_reachable(contact: Contact) -> None:
    if not (contact.first_name or contact.last_name):
        raise ValidationError({"last_name": _("A contact needs the name of a person.")})


@transaction.atomic
def contact_create(
    *,
    actor: User | None,
    owner: User | None = None,
    company: Company | None = None,
    custom: dict[str, Any] | None = None,
    **fields: Any,
) -> Contact:
    contact = Contact(
        owner=owner, team=owner.team if owner else None, company=company, custom=custom or {}
    )
    _clean(contact, fields, CONTACT_FIELDS)
    _check_contact_reachable(contact)
    contact.save()
    event_record(kind=EventKind.CREATED, actor=actor, contact=contact)
    audit_record(actor=actor, action="contact.create", obj=contact, after=snapshot(contact))
    match_keys_refresh(contact=contact)
    return contact


@transaction.atomic
def contact_update(
    *,
    actor: User | None,
    contact: Contact,
    version: int | None,
    company: Company | UnsetType | None = UNSET,
    custom: dict[str, Any] | None = None,
    **fields: Any,
) -> Contact:
    contact = lock_for_edit(Contact.objects.all(), contact.pk, version)
    before = snapshot(contact)
    _clean(contact, fields, CONTACT_FIELDS)
    if company is not UNSET:
        contact.company = company
    if custom is not None:
        contact.custom = custom
    _check_contact_reachable(contact)
    _record_update(actor, contact, before, "contact.update", contact=contact)
    match_keys_refresh(contact=contact)
    return contact


# --- Deals --------------------------------------------------------------------


def default_pipeline() -> Pipeline:
    pipeline = Pipeline.objects.filter(is_active=True).order_by("-is_default", "pk").first()
    if pipeline is None:
        raise ValidationError(_("There is no active pipeline to put the deal in."))
    return pipeline


def _first_open_stage(pipeline: Pipeline) -> Stage:
    stage = pipeline.stages.filter(kind=StageKind.OPEN).order_by("order").first()
    if stage is None:
        raise ValidationError(_("The pipeline “%(name)s” has no open stage.") % {"name": pipeline})
    return stage


@transaction.atomic
def deal_create(
    *,
    actor: User | None,
    title: str,
    pipeline: Pipeline | None = None,
    stage: Stage | None = None,
    owner: User | None = None,
    contact: Contact | None = None,
    company: Company | None = None,
    lead: Lead | None = None,
    amount: Decimal | None = None,
    currency: str = "",
    expected_close_on: datetime.date | None = None,
) -> Deal:
    pipeline = pipeline or (stage.pipeline if stage else default_pipeline())
    stage = stage or _first_open_stage(pipeline)
    if stage.pipeline_id != pipeline.pk:
        raise ValidationError({"stage": _("That stage belongs to another pipeline.")})
    if stage.kind != StageKind.OPEN:
        raise ValidationError({"stage": _("A new deal starts in an open stage.")})
    if amount is not None and amount < 0:
        raise ValidationError({"amount": _("The amount cannot be negative.")})
    now = timezone.now()
    deal = Deal(
        title=(title or "").strip(),
        pipeline=pipeline,
        stage=stage,
        owner=owner,
        team=owner.team if owner else None,
        contact=contact,
        company=company or (contact.company if contact else None),
        lead=lead,
        amount=amount,
        currency=(currency or settings.LEADFLOW_CURRENCY).upper(),
        expected_close_on=expected_close_on,
        stage_entered_at=now,
    )
    deal.full_clean(exclude=["owner", "team", "pipeline", "stage", "contact", "company", "lead"])
    deal.save()
    event_record(kind=EventKind.CREATED, actor=actor, deal=deal, to_value=stage.pk)
    audit_record(actor=actor, action="deal.create", obj=deal, after=snapshot(deal))
    return deal


@transaction.atomic
def deal_update(
    *,
    actor: User | None,
    deal: Deal,
    version: int | None,
    contact: Contact | UnsetType | None = UNSET,
    company: Company | UnsetType | None = UNSET,
    **fields: Any,
) -> Deal:
    deal = lock_for_edit(Deal.objects.all(), deal.pk, version)
    before = snapshot(deal)
    if fields.get("amount") is not None and Decimal(fields["amount"]) < 0:
        raise ValidationError({"amount": _("The amount cannot be negative.")})
    _clean(deal, fields, DEAL_FIELDS)
    if contact is not UNSET:
        deal.contact = contact
    if company is not UNSET:
        deal.company = company
    _record_update(actor, deal, before, "deal.update", deal=deal)
    return deal


def _deal_enter_stage(
    *, actor: User | None, deal: Deal, stage: Stage, data: dict[str, Any] | None = None
) -> None:
    previous = deal.stage_id
    now = timezone.now()
    deal.stage = stage
    deal.stage_entered_at = now
    event_record(
        kind=EventKind.STAGE_CHANGED,
        actor=actor,
        deal=deal,
        from_value=previous,
        to_value=stage.pk,
        data=data,
        occurred_at=now,
    )


@transaction.atomic
def deal_move_stage(
    *,
    actor: User | None,
    deal: Deal,
    stage: Stage,
    version: int | None = None,
    lost_reason: str = "",
) -> Deal:
    """Move a deal to another stage of its pipeline.

    Moving into the won stage wins the deal; into the lost stage loses it and
    needs a reason. Closed deals do not move (reopen them first).
    """
    if stage.kind == StageKind.WON:
        return deal_win(actor=actor, deal=deal, version=version)
    if stage.kind == StageKind.LOST:
        return deal_lose(actor=actor, deal=deal, reason=lost_reason, version=version)
    deal = lock_for_edit(Deal.objects.all(), deal.pk, version)
    if stage.pipeline_id != deal.pipeline_id:
        raise ValidationError({"stage": _("That stage belongs to another pipeline.")})
    if deal.status != DealStatus.OPEN:
        raise ValidationError(_("This deal is closed; reopen it before moving it."))
    if stage.pk == deal.stage_id:
        return deal
    before = {"stage": deal.stage_id}
    _deal_enter_stage(actor=actor, deal=deal, stage=stage)
    deal.version += 1
    deal.save(update_fields=["stage", "stage_entered_at", "version", "updated_at"])
    audit_record(
        actor=actor, action="deal.move_stage", obj=deal, before=before, after={"stage": stage.pk}
    )
    return deal


def _terminal_stage(deal: Deal, kind: StageKind) -> Stage:
    stage = deal.pipeline.stages.filter(kind=kind).order_by("order").first()
    if stage is None:
        raise ValidationError(
            _("The pipeline “%(name)s” has no %(kind)s stage.")
            % {"name": deal.pipeline, "kind": kind.label}
        )
    return stage


@transaction.atomic
def deal_win(
    *, actor: User | None, deal: Deal, amount: Decimal | None = None, version: int | None = None
) -> Deal:
    deal = lock_for_edit(Deal.objects.all(), deal.pk, version)
    if deal.status != DealStatus.OPEN:
        raise ValidationError(_("This deal is already closed."))
    if amount is not None:
        if amount < 0:
            raise ValidationError({"amount": _("The amount cannot be negative.")})
        deal.amount = amount
    before = snapshot(deal, ["status", "stage", "amount"])
    _deal_enter_stage(actor=actor, deal=deal, stage=_terminal_stage(deal, StageKind.WON))
    deal.status = DealStatus.WON
    deal.closed_at = deal.stage_entered_at
    deal.version += 1
    deal.save()
    if deal.lead_id is not None:
        # Closed history the predictive score learns from.
        Lead.objects.filter(pk=deal.lead_id).update(outcome=Outcome.WON)
    event_record(
        kind=EventKind.WON,
        actor=actor,
        deal=deal,
        from_value=DealStatus.OPEN,
        to_value=DealStatus.WON,
        data={"amount": str(deal.amount) if deal.amount is not None else None},
    )
    audit_record(
        actor=actor,
        action="deal.win",
        obj=deal,
        before=before,
        after=snapshot(deal, ["status", "stage", "amount"]),
    )
    return deal


@transaction.atomic
def deal_lose(*, actor: User | None, deal: Deal, reason: str, version: int | None = None) -> Deal:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the deal was lost.")})
    deal = lock_for_edit(Deal.objects.all(), deal.pk, version)
    if deal.status != DealStatus.OPEN:
        raise ValidationError(_("This deal is already closed."))
    before = snapshot(deal, ["status", "stage", "lost_reason"])
    _deal_enter_stage(actor=actor, deal=deal, stage=_terminal_stage(deal, StageKind.LOST))
    deal.status = DealStatus.LOST
    deal.lost_reason = reason[:255]
    deal.closed_at = deal.stage_entered_at
    deal.version += 1
    deal.save()
    if deal.lead_id is not None:
        Lead.objects.filter(pk=deal.lead_id).update(outcome=Outcome.LOST)
    event_record(
        kind=EventKind.LOST,
        actor=actor,
        deal=deal,
        from_value=DealStatus.OPEN,
        to_value=DealStatus.LOST,
        data={"reason": deal.lost_reason},
    )
    audit_record(
        actor=actor,
        action="deal.lose",
        obj=deal,
        before=before,
        after=snapshot(deal, ["status", "stage", "lost_reason"]),
    )
    return deal


@transaction.atomic
def deal_assign(
    *, actor: User | None, deal: Deal, owner: User | None, version: int | None = None
) -> Deal:
    if not can_assign(actor, owner):
        raise PermissionDenied(_("Only the head of sales can give a deal to someone else."))
    deal = lock_for_edit(Deal.objects.all(), deal.pk, version)
    if deal.owner_id == (owner.pk if owner else None):
        return deal
    before = snapshot(deal, ["owner", "team"])
    deal.owner = owner
    deal.team = owner.team if owner else None
    deal.version += 1
    deal.save(update_fields=["owner", "team", "version", "updated_at"])
    event_record(
        kind=EventKind.OWNER_CHANGED,
        actor=actor,
        deal=deal,
        from_value=before["owner"],
        to_value=deal.owner_id,
    )
    audit_record(
        actor=actor,
        action="deal.assign",
        obj=deal,
        before=before,
        after=snapshot(deal, ["owner", "team"]),
    )
    return deal


# --- Conversion -----------------------------------------------------------------


@dataclass(frozen=True)
class Conversion:
    lead: Lead
    contact: Contact
    company: Company | None
    deal: Deal | None
    contact_created: bool
    company_created: bool


def find_existing_contact(lead: Lead) -> Contact | None:
    """The customer card this person already has: same e-mail, else same phone."""
    if lead.email:
        contact = Contact.objects.filter(email=lead.email).order_by("pk").first()
        if contact:
            return contact
    if lead.phone:
        return Contact.objects.filter(phone=lead.phone).order_by("pk").first()
    return None


def find_existing_company(name: str, email: str) -> Company | None:
    """The same company by name (ignoring case, accents and legal suffix), else by e-mail domain."""
    normalized = normalise_company_name(name) if name else ""
    if normalized:
        company = Company.objects.filter(normalized_name=normalized).order_by("pk").first()
        if company:
            return company
    domain = email.rpartition("@")[2] if email else ""
    if domain and domain not in FREEMAIL_DOMAINS:
        return Company.objects.filter(domain=domain).order_by("pk").first()
    return None


@transaction.atomic
def lead_convert(
    *,
    actor: User | None,
    lead: Lead,
    owner: User | None = None,
    create_deal: bool = True,
    deal_title: str = "",
    amount: Decimal | None = None,
    pipeline: Pipeline | None = None,
    version: int | None = None,
) -> Conversion:
    """Turn a lead into a contact (+ company, + deal), linking to existing cards.

    The contact may get a different owner from the lead (``owner``); without
    one it keeps the lead's owner. If the person or their company already has
    a card, the lead is linked to it instead of creating a duplicate. The lead
    keeps its history and points at the contact; the contact points back.
    """
    if owner is not None and not can_assign(actor, owner):
        raise PermissionDenied(_("Only the head of sales can give the customer to someone else."))
    lead = lock_for_edit(Lead.objects.select_related("channel"), lead.pk, version)
    if lead.status == LeadStatus.CONVERTED:
        raise ValidationError(_("This lead is already converted."))
    if lead.status == LeadStatus.REJECTED:
        raise ValidationError(_("Reopen this rejected lead before converting it."))
    owner = owner or lead.owner
    now = timezone.now()

    company = find_existing_company(lead.company_name, lead.email)
    company_created = False
    if company is None and lead.company_name:
        domain = lead.email.rpartition("@")[2] if lead.email else ""
        company = company_create(
            actor=actor,
            owner=owner,
            name=lead.company_name,
            domain="" if domain in FREEMAIL_DOMAINS else domain,
            street=lead.street,
            city=lead.city,
            postal_code=lead.postal_code,
            region=lead.region,
            country=lead.country,
        )
        company_created = True

    contact = find_existing_contact(lead)
    contact_created = contact is None
    if contact is None:
        contact = contact_create(
            actor=actor,
            owner=owner,
            company=company,
            custom=dict(lead.custom),
            **{name: getattr(lead, name) for name in CONTACT_FIELDS},
        )
        contact.source_lead = lead
        contact.converted_at = now
        contact.save(update_fields=["source_lead", "converted_at"])

    deal = None
    if create_deal:
        deal = deal_create(
            actor=actor,
            title=deal_title or lead.company_name or lead.full_name,
            pipeline=pipeline,
            owner=owner,
            contact=contact,
            company=company,
            lead=lead,
            amount=amount,
        )

    previous_status = lead.status
    lead.status = LeadStatus.CONVERTED
    lead.converted_at = now
    lead.contact = contact
    lead.deal = deal
    lead.version += 1
    lead.save(update_fields=["status", "converted_at", "contact", "deal", "version", "updated_at"])
    event_record(
        kind=EventKind.CONVERTED,
        actor=actor,
        lead=lead,
        contact=contact,
        deal=deal,
        from_value=previous_status,
        to_value=LeadStatus.CONVERTED,
        occurred_at=now,
        data={
            "contact_created": contact_created,
            "company_created": company_created,
            "company_id": company.pk if company else None,
            "days_to_convert": (now - lead.created_at).days,
        },
    )
    audit_record(
        actor=actor,
        action="lead.convert",
        obj=lead,
        before={"status": previous_status},
        after={"status": lead.status, "contact": contact.pk, "deal": deal.pk if deal else None},
    )
    return Conversion(lead, contact, company, deal, contact_created, company_created)
