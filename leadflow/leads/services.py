"""Every write to a lead goes through here (UI, API, CLI, imports, tasks)."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from leadflow.core.models import EventKind
from leadflow.core.rows import row_insert
from leadflow.core.services import (
    UNSET,
    UnsetType,
    audit_record,
    changed_fields,
    event_record,
    lock_for_edit,
    snapshot,
)
from leadflow.identity.normalise import normalise_email, normalise_phone
from leadflow.identity.services import KEY_FIELDS, match_keys_refresh
from leadflow.intake.models import OriginClass
from leadflow.leads.models import FunnelClass, Lead, LeadStatus, PurchaseTimeframe, Temperature
from leadflow.leads.qualification import temperature_for_timeframe
from leadflow.leads.selectors import lead_with_owner
from leadflow.routing.services import active_rules, lead_route
from leadflow.routing.sla import Target
from leadflow.routing.sla import targets as response_targets
from leadflow.scoring.services import lead_score_refresh, leads_score_refresh

if TYPE_CHECKING:
    from leadflow.accounts.models import Team, User
    from leadflow.intake.models import Campaign, Channel
    from leadflow.routing.models import RoutingRule
    from leadflow.sales.models import Contact

# The person fields a lead is created and edited with; the same names in the
# API, the import mapping and CSV headers.
PERSON_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "company_name",
    "job_title",
    "street",
    "city",
    "postal_code",
    "region",
    "country",
    "language",
    "purchase_timeframe",
    "external_id",
)


# The longest value each person field takes (an import checks every field of every row).
_MAX_LENGTHS = {
    name: getattr(Lead._meta.get_field(name), "max_length", None) for name in PERSON_FIELDS
}


def lead_clean_fields(data: dict[str, Any], *, region: str = "") -> dict[str, Any]:
    """Trim, normalise and check person fields; raise one ValidationError naming every bad field."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, raw in data.items():
        if name not in PERSON_FIELDS:
            raise ValidationError(_("Unknown lead field “%(name)s”.") % {"name": name})
        value = "" if raw is None else str(raw).strip()
        max_length = _MAX_LENGTHS[name]
        try:
            if name == "email":
                value = normalise_email(value)
            elif name == "phone":
                value = normalise_phone(value, region=region or settings.LEADFLOW_DEFAULT_REGION)
            elif name == "country":
                value = value.upper()
                if value and (len(value) != 2 or not value.isalpha()):
                    raise ValidationError(_("Use the two-letter country code, such as GB or TR."))
            elif name == "language":
                value = value.lower()
            elif name == "purchase_timeframe" and value and value not in PurchaseTimeframe.values:
                raise ValidationError(
                    _("Choose one of: %(choices)s.")
                    % {"choices": ", ".join(PurchaseTimeframe.values)}
                )
            if max_length and len(value) > max_length:
                raise ValidationError(
                    _("At most %(max)d characters (this has %(length)d).")
                    % {"max": max_length, "length": len(value)}
                )
        except ValidationError as exc:
            errors.setdefault(name, []).extend(exc.messages)
        cleaned[name] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


def lead_check_reachable(fields: dict[str, Any]) -> None:
    """A lead is a named person with at least one way to reach them."""
    errors: dict[str, str] = {}
    if not (fields.get("first_name") or fields.get("last_name")):
        errors["last_name"] = _("A lead needs the name of a person.")
    full_address = all(fields.get(k) for k in ("street", "city", "postal_code"))
    if not (fields.get("email") or fields.get("phone") or full_address):
        errors["email"] = _(
            "A lead needs a way to reach the person: an e-mail address, "
            "a phone number or a full postal address."
        )
    if errors:
        raise ValidationError(errors)


def _team_for(owner: User | None, team: Team | None) -> Team | None:
    if team is not None:
        return team
    return owner.team if owner is not None else None


@transaction.atomic
def lead_create(
    *,
    actor: User | None,
    channel: Channel,
    campaign: Campaign | None = None,
    owner: User | None = None,
    team: Team | None = None,
    custom: dict[str, Any] | None = None,
    origin_class: str = "",
    referred_by: Contact | None = None,
    triage_later: bool = False,
    **fields: Any,
) -> Lead:
    """Create a lead from person fields; the channel is mandatory.

    Temperature follows the purchase timeframe and origin class the channel
    (a referral makes it seed), unless given. The new lead is scored and
    routed (owner, first task) in the same transaction, or with
    ``triage_later`` by the background worker moments after it commits
    (``leads_triage``): intake from the API and public forms answers sooner
    and holds the database's write lock for less.
    """
    if referred_by is not None and not origin_class:
        origin_class = OriginClass.SEED
    cleaned = lead_clean_fields(fields, region=channel.default_region)
    lead_check_reachable(cleaned)
    lead = Lead(
        channel=channel,
        campaign=campaign,
        owner=owner,
        team=_team_for(owner, team),
        custom=custom or {},
        referred_by=referred_by,
        origin_class=origin_class or channel.origin_class,
        temperature=temperature_for_timeframe(cleaned.get("purchase_timeframe", "")),
        triage_pending=triage_later,
        **cleaned,
    )
    lead.full_clean(exclude=["channel", "owner", "team", "campaign", "contact", "deal"])
    row_insert(lead)
    event_record(kind=EventKind.CREATED, actor=actor, lead=lead, to_value=lead.status)
    if owner is not None:
        event_record(kind=EventKind.OWNER_CHANGED, actor=actor, lead=lead, to_value=owner.pk)
    audit_record(actor=actor, action="lead.create", obj=lead, after=snapshot(lead))
    match_keys_refresh(lead=lead, new=True)
    if triage_later:
        transaction.on_commit(_triage_soon)
        return lead
    lead = lead_score_refresh(lead=lead)
    return lead_route(lead=lead, actor=actor)


def _triage_soon() -> None:
    from leadflow.core.tasks import task_enqueue_once
    from leadflow.leads.tasks import leads_triage_pending

    task_enqueue_once(leads_triage_pending)


# Leads scored together by leads_triage; each is then routed in its own short
# transaction, so intake waiting for the write lock never waits long.
TRIAGE_CHUNK = 50


def leads_triage(*, limit: int | None = None) -> int:
    """Score and route the leads intake left pending (``triage_later``), oldest first.

    Scores are computed for a chunk at a time (as for imports); then each lead
    is routed in its own transaction that also clears its pending mark, so a
    worker that dies half-way leaves the rest pending for the next run and no
    lead is routed twice. Returns how many leads were triaged.
    """
    done = 0
    while limit is None or done < limit:
        size = TRIAGE_CHUNK if limit is None else min(TRIAGE_CHUNK, limit - done)
        ids = list(
            Lead.objects.filter(triage_pending=True)
            .order_by("id")
            .values_list("id", flat=True)[:size]
        )
        if not ids:
            break
        leads_score_refresh(ids)
        rules, targets = active_rules(), response_targets()
        for pk in ids:
            done += _triage_one(pk, rules=rules, targets=targets)
    return done


@transaction.atomic
def _triage_one(pk: int, *, rules: list[RoutingRule], targets: dict[str, Target]) -> int:
    # Claiming by clearing the mark: a second worker's UPDATE waits for this
    # transaction and then finds nothing to claim.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Lead._meta.db_table} SET triage_pending = %s "
            "WHERE id = %s AND triage_pending = %s",
            [False, pk, True],
        )
        if not cursor.rowcount:
            return 0
    lead = lead_with_owner(pk)
    assert lead is not None
    lead_route(lead=lead, actor=None, rules=rules, targets=targets)
    return 1


@transaction.atomic
def lead_update(
    *,
    actor: User | None,
    lead: Lead,
    version: int | None,
    custom: dict[str, Any] | None = None,
    campaign: Campaign | UnsetType | None = UNSET,
    **fields: Any,
) -> Lead:
    """Change person fields (and custom attributes or campaign) of a lead.

    ``version`` is the version the editor read; a different current version
    raises ConflictError instead of overwriting someone else's change.
    """
    lead = lock_for_edit(Lead.objects.all(), lead.pk, version)
    before = snapshot(lead)
    cleaned = lead_clean_fields(fields, region=lead.channel.default_region)
    for name, value in cleaned.items():
        setattr(lead, name, value)
    if custom is not None:
        lead.custom = custom
    if campaign is not UNSET:
        lead.campaign = campaign
    lead_check_reachable({name: getattr(lead, name) for name in PERSON_FIELDS})
    old_temperature = lead.temperature
    if "purchase_timeframe" in cleaned and not lead.temperature_overridden:
        lead.temperature = temperature_for_timeframe(lead.purchase_timeframe)
    old, new = changed_fields(before, snapshot(lead))
    if not new:
        return lead
    lead.version += 1
    lead.save()
    if lead.temperature != old_temperature:
        event_record(
            kind=EventKind.TEMPERATURE_CHANGED,
            actor=actor,
            lead=lead,
            from_value=old_temperature,
            to_value=lead.temperature,
        )
    event_record(kind=EventKind.UPDATED, actor=actor, lead=lead, data={"fields": sorted(new)})
    audit_record(actor=actor, action="lead.update", obj=lead, before=old, after=new)
    if new.keys() & {*KEY_FIELDS, "custom"}:
        match_keys_refresh(lead=lead)
    return lead_score_refresh(lead=lead)


def can_assign(actor: User | None, owner: User | None) -> bool:
    """Heads of sales and admins assign anyone; others may only take a lead themselves."""
    if actor is None or actor.is_admin or actor.is_head_of_sales:
        return True
    return owner is not None and owner.pk == actor.pk


@transaction.atomic
def lead_assign(
    *,
    actor: User | None,
    lead: Lead,
    owner: User | None,
    team: Team | None = None,
    reason: str = "",
    version: int | None = None,
) -> Lead:
    """Make ``owner`` responsible for the lead (None puts it back in the queue)."""
    if not can_assign(actor, owner):
        raise PermissionDenied(_("Only the head of sales can give a lead to someone else."))
    if owner is not None and not owner.is_active:
        raise ValidationError({"owner": _("%(name)s is not an active user.") % {"name": owner}})
    lead = lock_for_edit(Lead.objects.all(), lead.pk, version)
    previous_owner_id = lead.owner_id
    before = snapshot(lead, ["owner", "team"])
    lead.owner = owner
    lead.team = _team_for(owner, team)
    if (previous_owner_id, before["team"]) == (lead.owner_id, lead.team_id):
        return lead
    lead.version += 1
    lead.save(update_fields=["owner", "team", "version", "updated_at"])
    event_record(
        kind=EventKind.OWNER_CHANGED,
        actor=actor,
        lead=lead,
        from_value=previous_owner_id,
        to_value=lead.owner_id,
        data={"reason": reason} if reason else None,
    )
    from leadflow.routing.services import first_task_follow_owner

    first_task_follow_owner(lead=lead)
    audit_record(
        actor=actor,
        action="lead.assign",
        obj=lead,
        before=before,
        after=snapshot(lead, ["owner", "team"]),
    )
    return lead


def _lead_set_status(
    *,
    actor: User | None,
    lead: Lead,
    status: LeadStatus,
    kind: EventKind,
    data: dict[str, Any] | None = None,
    extra_fields: tuple[str, ...] = (),
) -> Lead:
    previous = lead.status
    lead.status = status
    lead.version += 1
    lead.save(update_fields=["status", "version", "updated_at", *extra_fields])
    event_record(kind=kind, actor=actor, lead=lead, from_value=previous, to_value=status, data=data)
    return lead


@transaction.atomic
def lead_reject(*, actor: User | None, lead: Lead, reason: str, version: int | None = None) -> Lead:
    """Rejected leads are kept, with the reason, never deleted."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the lead is rejected.")})
    lead = lock_for_edit(Lead.objects.all(), lead.pk, version)
    if lead.status == LeadStatus.CONVERTED:
        raise ValidationError(_("A converted lead cannot be rejected."))
    before = snapshot(lead, ["status", "rejection_reason"])
    lead.rejection_reason = reason[:255]
    _lead_set_status(
        actor=actor,
        lead=lead,
        status=LeadStatus.REJECTED,
        kind=EventKind.REJECTED,
        data={"reason": lead.rejection_reason},
        extra_fields=("rejection_reason",),
    )
    audit_record(
        actor=actor,
        action="lead.reject",
        obj=lead,
        before=before,
        after=snapshot(lead, ["status", "rejection_reason"]),
    )
    return lead


@transaction.atomic
def lead_postpone(
    *,
    actor: User | None,
    lead: Lead,
    until: datetime.date,
    reason: str = "",
    version: int | None = None,
) -> Lead:
    """Put a lead aside until a date; it comes back to its owner then."""
    if until <= timezone.localdate():
        raise ValidationError({"until": _("Postpone to a date after today.")})
    lead = lock_for_edit(Lead.objects.all(), lead.pk, version)
    if lead.status in (LeadStatus.CONVERTED, LeadStatus.REJECTED):
        raise ValidationError(
            _("A %(status)s lead cannot be postponed.") % {"status": lead.get_status_display()}
        )
    before = snapshot(lead, ["status", "postponed_until"])
    lead.postponed_until = until
    _lead_set_status(
        actor=actor,
        lead=lead,
        status=LeadStatus.POSTPONED,
        kind=EventKind.POSTPONED,
        data={"until": until.isoformat(), "reason": reason.strip()},
        extra_fields=("postponed_until",),
    )
    audit_record(
        actor=actor,
        action="lead.postpone",
        obj=lead,
        before=before,
        after=snapshot(lead, ["status", "postponed_until"]),
    )
    return lead


@transaction.atomic
def lead_reopen(*, actor: User | None, lead: Lead, version: int | None = None) -> Lead:
    """Bring a rejected or postponed lead back to work."""
    lead = lock_for_edit(Lead.objects.all(), lead.pk, version)
    if lead.status not in (LeadStatus.REJECTED, LeadStatus.POSTPONED):
        raise ValidationError(_("Only rejected or postponed leads can be reopened."))
    before = snapshot(lead, ["status"])
    lead.postponed_until = None
    _lead_set_status(
        actor=actor,
        lead=lead,
        status=LeadStatus.WORKING,
        kind=EventKind.STATUS_CHANGED,
        extra_fields=("postponed_until",),
    )
    audit_record(
        actor=actor, action="lead.reopen", obj=lead, before=before, after={"status": lead.status}
    )
    return lead


# Passed as ``temperature`` to hand the temperature back to the purchase timeframe.
TEMPERATURE_AUTOMATIC = "auto"


def _check_choice(name: str, value: str, choices: list[str]) -> None:
    if value not in choices:
        raise ValidationError(
            {name: _("Choose one of: %(choices)s.") % {"choices": ", ".join(choices)}}
        )


@transaction.atomic
def lead_qualify(
    *,
    actor: User | None,
    lead: Lead,
    temperature: str = "",
    funnel_class: str = "",
    origin_class: str = "",
    reason: str = "",
    version: int | None = None,
) -> Lead:
    """A person's judgement of a lead: temperature, funnel class, origin class.

    A temperature set here sticks (new timeframes no longer change it) until
    it is set to ``"auto"``. A funnel class set here sticks too: funnel rules
    do not lift it again until new evidence arrives — the person gets in touch
    again, or a conversation with them goes well (see
    ``scoring.rules.funnel_upgrade``). Every change is an event naming who and
    why. Empty arguments leave that classification as it is.
    """
    if temperature:
        _check_choice("temperature", temperature, [*Temperature.values, TEMPERATURE_AUTOMATIC])
    if funnel_class:
        _check_choice("funnel_class", funnel_class, FunnelClass.values)
    if origin_class:
        _check_choice("origin_class", origin_class, OriginClass.values)
    lead = lock_for_edit(Lead.objects.all(), lead.pk, version)
    fields = ["temperature", "temperature_overridden", "funnel_class", "origin_class"]
    before = snapshot(lead, fields)
    data = {"reason": reason.strip()} if reason.strip() else {}
    if temperature == TEMPERATURE_AUTOMATIC:
        lead.temperature_overridden = False
        lead.temperature = temperature_for_timeframe(lead.purchase_timeframe)
    elif temperature:
        lead.temperature_overridden = True
        lead.temperature = temperature
    if funnel_class:
        lead.funnel_class = funnel_class
    if origin_class:
        lead.origin_class = origin_class
    old, new = changed_fields(before, snapshot(lead, fields))
    if not new:
        return lead
    if "funnel_class" in new:
        lead.funnel_class_set_at = timezone.now()
    lead.version += 1
    lead.save(update_fields=[*fields, "funnel_class_set_at", "version", "updated_at"])
    if "temperature" in new:
        event_record(
            kind=EventKind.TEMPERATURE_CHANGED,
            actor=actor,
            lead=lead,
            from_value=old["temperature"],
            to_value=lead.temperature,
            data={**data, "overridden": lead.temperature_overridden},
        )
    if "funnel_class" in new:
        event_record(
            kind=EventKind.FUNNEL_CLASS_CHANGED,
            actor=actor,
            lead=lead,
            from_value=old["funnel_class"],
            to_value=lead.funnel_class,
            data=data,
        )
    if "origin_class" in new:
        event_record(
            kind=EventKind.UPDATED,
            actor=actor,
            lead=lead,
            from_value=old["origin_class"],
            to_value=lead.origin_class,
            data={**data, "fields": ["origin_class"]},
        )
    audit_record(actor=actor, action="lead.qualify", obj=lead, before=old, after=new)
    return lead


@transaction.atomic
def lead_mark_working(*, actor: User | None, lead: Lead) -> None:
    """The first activity on a new lead means someone is working it."""
    # Re-read under lock: the caller's copy may be older than the row.
    current = lock_for_edit(Lead.objects.all(), lead.pk, None)
    if current.status == LeadStatus.NEW:
        _lead_set_status(
            actor=actor, lead=current, status=LeadStatus.WORKING, kind=EventKind.STATUS_CHANGED
        )
        lead.status, lead.version = current.status, current.version
