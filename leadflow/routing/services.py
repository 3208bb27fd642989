"""Who works a lead: routing rules, strategies and the first-response SLA.

Every new lead passes through :func:`lead_route` inside the transaction that
created it:

1. A lead that already has an owner (a rep entered it, or someone named the
   owner) keeps it. Otherwise the active rules are tried in order and the first
   whose conditions hold decides (see ``conditions.rule_matches``); its
   strategy picks an owner among the rule's people (``strategies``). With no
   rules, or none that fits, the lead waits in the unassigned queue (its late
   first task will alert the heads of sales). When a rule matches but nobody
   can take the lead, it waits unassigned (in the rule team's pool) and the
   heads of sales are told at once.
2. Every new open lead gets its first task, "Contact the lead", due within the
   first-response target for its temperature (``sla``).

The rule row is locked while its strategy picks, so round robin's place and
everyone's load are read and written by one assignment at a time, in every
process (on SQLite the write transaction already holds the database lock).

``sla_check`` (run by ``leadflow routing sla-check`` and a periodic task)
settles first tasks that came due: done in time, or breached — recorded,
the owner and the heads of sales told, and, when the rule says so, the lead
handed to the next person by the same rule.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from leadflow.accounts.models import Role, User
from leadflow.core.models import EventKind
from leadflow.core.rows import row_insert
from leadflow.core.services import (
    audit_record,
    changed_fields,
    event_record,
    lock_for_edit,
    snapshot,
)
from leadflow.leads.models import FunnelClass, Lead, LeadStatus, Outcome, Temperature
from leadflow.routing import strategies
from leadflow.routing.conditions import rule_matches
from leadflow.routing.models import (
    FirstResponse,
    RepPerformance,
    ResponseTarget,
    RoutingRule,
    Strategy,
)
from leadflow.routing.sla import Target, response_due_at

if TYPE_CHECKING:
    from leadflow.accounts.models import Team
    from leadflow.activities.models import Activity
    from leadflow.intake.models import Campaign, Channel

# After this many hand-overs for a late first response, the lead stays where it is.
MAX_BREACH_REASSIGNMENTS = 3


# --- Routing a new lead ------------------------------------------------------


def active_rules() -> list[RoutingRule]:
    """Active rules in the order they are tried, with what matching them reads."""
    return list(
        RoutingRule.objects.filter(active=True)
        .order_by("position", "id")
        .prefetch_related("channels", "campaigns")
    )


def matching_rule(lead: Lead, rules: Iterable[RoutingRule]) -> RoutingRule | None:
    """The first rule, in order, whose conditions the lead meets."""
    return next((rule for rule in rules if rule_matches(rule, lead)), None)


@dataclass(frozen=True)
class Decision:
    rule: RoutingRule
    choice: strategies.Choice
    people: list[strategies.Candidate] = field(default_factory=list)


def route_decide(*, rule: RoutingRule, lead: Lead, exclude: Sequence[int] = ()) -> Decision:
    """Lock the rule, let its strategy pick, and move round robin's place on.

    Must run inside a transaction: the lock (and the rule's place in turn) is
    held until it commits, so concurrent leads see each other's assignments.
    ``exclude`` leaves people out (the owner who let the first response go late).
    """
    rule = (
        RoutingRule.objects.select_for_update(of=("self",))
        .select_related("person")
        .prefetch_related("pool")
        .get(pk=rule.pk)
    )
    users = [user for user in strategies.target_users(rule) if user.pk not in set(exclude)]
    loads = strategies.open_lead_counts(users)
    people = strategies.candidates(users, loads)
    performance = None
    if rule.strategy == Strategy.BEST_PERFORMER:
        performance = rep_performance_for(
            user_ids=[user.pk for user in users], temperature=lead.temperature
        )
    choice = strategies.choose(rule, lead, people, performance=performance)
    if choice.owner is not None and rule.last_assigned_id != choice.owner.pk:
        rule.last_assigned = choice.owner
        RoutingRule.objects.filter(pk=rule.pk).update(last_assigned=choice.owner)
    return Decision(rule, choice, people)


@transaction.atomic
def lead_route(
    *,
    lead: Lead,
    actor: User | None,
    rules: list[RoutingRule] | None = None,
    targets: dict[str, Target] | None = None,
) -> Lead:
    """Give a new lead an owner by the routing rules, and its first task.

    Called for every new lead, inside the transaction that created it (or by
    the background triage of leads from the API and forms). A lead that
    arrives closed (historical records) is neither routed nor tasked.
    ``rules`` (``active_rules()``) and ``targets`` (``sla.targets()``) may be
    read once by a caller routing many leads.
    """
    if lead.status not in (LeadStatus.NEW, LeadStatus.WORKING) or lead.outcome:
        return lead
    rule: RoutingRule | None = None
    if lead.owner_id is None:
        if rules is None:
            rules = active_rules()
        if rules:
            rule = matching_rule(lead, rules)
            # No rule fits: the lead waits in the unassigned queue, and its first
            # task, if nobody picks it up in time, escalates to the heads of sales.
            if rule is not None:
                decision = route_decide(rule=rule, lead=lead)
                rule = decision.rule
                if decision.choice.owner is not None:
                    lead = _assign(lead=lead, decision=decision)
                else:
                    lead = _leave_unassigned(lead=lead, decision=decision)
    first_response_open(lead=lead, rule=rule, targets=targets)
    return lead


def _event_data(decision: Decision, **extra: Any) -> dict[str, Any]:
    return {
        "rule": decision.rule.name,
        "rule_id": decision.rule.pk,
        "strategy": decision.rule.strategy,
        "why": decision.choice.why,
        **decision.choice.figures,
        **extra,
    }


def _assign(lead: Lead, decision: Decision, *, why_prefix: str = "") -> Lead:
    """Make the decision's choice the owner, with an event saying which rule and why."""
    owner = decision.choice.owner
    assert owner is not None
    previous_owner_id = lead.owner_id
    before = snapshot(lead, ["owner", "team"])
    lead.owner = owner
    lead.team = owner.team if owner.team_id else decision.rule.team
    lead.version += 1
    lead.save(update_fields=["owner", "team", "version", "updated_at"])
    data = _event_data(decision)
    if why_prefix:
        data["why"] = f"{why_prefix} {data['why']}"
        # Said again in the reader's language by the history.
        data["first_response_late"] = True
    # The rule decided, not the person whose request created the lead.
    event_record(
        kind=EventKind.OWNER_CHANGED,
        actor=None,
        lead=lead,
        from_value=previous_owner_id,
        to_value=owner.pk,
        data=data,
    )
    audit_record(
        actor=None,
        action="lead.route",
        obj=lead,
        before=before,
        after={**snapshot(lead, ["owner", "team"]), "rule": decision.rule.pk},
    )
    _notify(
        [owner],
        _("A new %(temperature)s lead for you: %(lead)s")
        % {"temperature": lead.get_temperature_display().lower(), "lead": lead},
        lead,
    )
    return lead


def _leave_unassigned(lead: Lead, decision: Decision) -> Lead:
    """Nobody fits: the lead waits without an owner (in the rule team's pool) and heads are told."""
    if decision.rule.team_id and lead.team_id is None:
        before = snapshot(lead, ["team"])
        lead.team_id = decision.rule.team_id
        lead.version += 1
        lead.save(update_fields=["team", "version", "updated_at"])
        audit_record(
            actor=None,
            action="lead.route",
            obj=lead,
            before=before,
            after={**snapshot(lead, ["team"]), "rule": decision.rule.pk},
        )
    _notify_heads(
        lead,
        team_id=decision.rule.team_id,
        text=_(
            "Nobody can take the new lead %(lead)s (rule “%(rule)s”: %(why)s); it waits unassigned."
        )
        % {"lead": lead, "rule": decision.rule.name, "why": decision.choice.why},
    )
    return lead


def _lead_url(lead: Lead) -> str:
    return reverse("leads:detail", args=[lead.pk])


def _notify(users: Iterable[User], text: str, lead: Lead) -> None:
    from leadflow.activities.services import notification_send

    url = _lead_url(lead)
    for user in {user.pk: user for user in users}.values():
        notification_send(user=user, text=text, url=url)


def heads_of_sales(team_id: int | None) -> list[User]:
    """The heads of sales of a team, or every head of sales when the team has none (or no team)."""
    heads = User.objects.filter(role=Role.HEAD_OF_SALES, is_active=True).order_by("pk")
    if team_id is not None:
        own = list(heads.filter(team_id=team_id))
        if own:
            return own
    return list(heads)


def _notify_heads(lead: Lead, *, team_id: int | None, text: str) -> None:
    _notify(heads_of_sales(team_id), text, lead)


@dataclass
class WaitingReport:
    assigned: int = 0
    still_waiting: int = 0
    first_tasks: int = 0


def leads_route_waiting(
    *, actor: User | None, lead_ids: Sequence[int] | None = None, limit: int = 1000
) -> WaitingReport:
    """Route again the open leads nobody owns (or the given ones), e.g. after someone is back.

    Each lead goes through the rules as a new one would, in its own
    transaction; one that still finds nobody keeps waiting, without another
    notification. A lead without a first task (loaded in bulk, from before
    routing) gets one, due from now. Only heads of sales, admins and the
    system do this.
    """
    routing_manager_check(actor)
    waiting = Lead.objects.filter(
        owner__isnull=True, status__in=(LeadStatus.NEW, LeadStatus.WORKING)
    )
    if lead_ids is not None:
        waiting = waiting.filter(pk__in=lead_ids)
    report = WaitingReport()
    rules = active_rules()
    for pk in waiting.order_by("created_at", "pk").values_list("pk", flat=True)[:limit]:
        outcome = _route_waiting(pk, rules)
        report.assigned += outcome["assigned"]
        report.still_waiting += not outcome["assigned"]
        report.first_tasks += outcome["first_task"]
    return report


@transaction.atomic
def _route_waiting(pk: int, rules: list[RoutingRule]) -> dict[str, bool]:
    lead = lock_for_edit(Lead.objects.all(), pk, None)
    assigned = False
    rule = None
    if lead.owner_id is None and lead.is_open and not lead.outcome:
        rule = matching_rule(lead, rules)
        if rule is not None:
            decision = route_decide(rule=rule, lead=lead)
            rule = decision.rule
            if decision.choice.owner is not None:
                lead = _assign(lead, decision)
                first_task_follow_owner(lead=lead)
                assigned = True
    has_first_task = FirstResponse.objects.filter(lead=lead).exists()
    if not has_first_task and lead.is_open and not lead.outcome:
        first_response_open(lead=lead, rule=rule, now=timezone.now())
    return {"assigned": assigned, "first_task": not has_first_task and lead.is_open}


# --- The first task and its SLA -------------------------------------------------


def first_response_open(
    *,
    lead: Lead,
    rule: RoutingRule | None = None,
    now: datetime.datetime | None = None,
    targets: dict[str, Target] | None = None,
) -> FirstResponse:
    """The lead's first task, "Contact the lead", due within the target for its temperature."""
    from leadflow.activities.models import ActivityKind
    from leadflow.activities.services import activity_create

    due = response_due_at(lead.temperature, now or lead.created_at or timezone.now(), targets)
    task = activity_create(
        actor=None,
        kind=ActivityKind.TASK,
        subject=_("Contact the lead"),
        lead=lead,
        owner=lead.owner,
        due_at=due,
    )
    return row_insert(FirstResponse(lead=lead, task=task, rule=rule, due_at=due))


@dataclass
class SlaReport:
    met: int = 0
    breached: int = 0
    reassigned: int = 0
    lead_ids: list[int] = field(default_factory=list)


def sla_check(*, now: datetime.datetime | None = None, limit: int = 1000) -> SlaReport:
    """Settle first responses that came due by ``now``: met, or breached and escalated.

    Each lead is settled in its own transaction, so one failure does not undo
    the rest and the lock on a lead is short. Safe to run in several processes
    at once: a row already settled by another is skipped.
    """
    now = now or timezone.now()
    report = SlaReport()
    due_ids = list(
        FirstResponse.objects.filter(met_at__isnull=True, breached_at__isnull=True, due_at__lte=now)
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in due_ids:
        outcome = _sla_settle(pk, now)
        if outcome == "met":
            report.met += 1
        elif outcome in ("breached", "reassigned"):
            report.breached += 1
            report.reassigned += outcome == "reassigned"
            lead_id = FirstResponse.objects.filter(pk=pk).values_list("lead_id", flat=True).first()
            if lead_id:
                report.lead_ids.append(lead_id)
    return report


@transaction.atomic
def _sla_settle(pk: int, now: datetime.datetime) -> str:
    response = (
        FirstResponse.objects.select_for_update(of=("self",))
        .select_related("task", "rule")
        .filter(pk=pk, met_at__isnull=True, breached_at__isnull=True)
        .first()
    )
    if response is None:
        return "settled elsewhere"
    lead = lock_for_edit(Lead.objects.select_related("owner"), response.lead_id, None)
    task = response.task
    if task is None or task.done_at is not None or not lead.is_open:
        # Done (in time, since it had not been checked before it came due), or the
        # lead was closed or its task removed: nothing is waiting any more.
        response.met_at = task.done_at if task is not None and task.done_at else now
        response.save(update_fields=["met_at"])
        return "met"
    response.breached_at = now
    response.save(update_fields=["breached_at"])
    late_minutes = int((now - response.due_at).total_seconds() // 60)
    event_record(
        kind=EventKind.SLA_BREACHED,
        actor=None,
        lead=lead,
        from_value=response.due_at.isoformat(),
        to_value=lead.owner_id or "",
        data={
            "due_at": response.due_at.isoformat(),
            "late_minutes": late_minutes,
            "owner": lead.owner.username if lead.owner else None,
            "task_id": task.pk,
        },
    )
    text = _("Nobody has contacted %(lead)s yet (due %(due)s).") % {
        "lead": lead,
        "due": timezone.localtime(response.due_at).strftime("%Y-%m-%d %H:%M"),
    }
    _notify([*([lead.owner] if lead.owner else []), *heads_of_sales(lead.team_id)], text, lead)
    rule = response.rule
    if (
        rule is not None
        and rule.reassign_on_breach
        and rule.active
        and response.reassignments < MAX_BREACH_REASSIGNMENTS
    ):
        exclude = [lead.owner_id] if lead.owner_id else []
        decision = route_decide(rule=rule, lead=lead, exclude=exclude)
        if decision.choice.owner is not None:
            _assign(lead, decision, why_prefix=_("first response late;"))
            response.due_at = response_due_at(lead.temperature, now)
            _task_hand_over(task, decision.choice.owner, due_at=response.due_at)
            response.breached_at = None
            response.reassignments += 1
            response.save(update_fields=["due_at", "breached_at", "reassignments"])
            return "reassigned"
    return "breached"


def _task_hand_over(
    task: Activity, owner: User | None, *, due_at: datetime.datetime | None = None
) -> None:
    """The first task follows the lead to its new owner (None: back to the queue)."""
    fields = ["owner", "team", "due_at"]
    before = snapshot(task, fields)
    task.owner = owner
    task.team = owner.team if owner is not None else None
    if due_at is not None:
        task.due_at = due_at
    task.version += 1
    task.save(update_fields=[*fields, "version", "updated_at"])
    audit_record(
        actor=None,
        action="activity.reassign",
        obj=task,
        before=before,
        after=snapshot(task, fields),
    )


def first_task_follow_owner(*, lead: Lead) -> None:
    """After a manual reassignment, the lead's open first task goes to its new owner."""
    response = (
        FirstResponse.objects.select_related("task")
        .filter(lead=lead, met_at__isnull=True, task__done_at__isnull=True)
        .first()
    )
    if response is None or response.task is None or response.task.owner_id == lead.owner_id:
        return
    _task_hand_over(response.task, lead.owner)


# --- Rep performance (for "best performer") --------------------------------------


def rep_performance_refresh(
    *, user_ids: Iterable[int] | None = None, now: datetime.datetime | None = None
) -> int:
    """Recount each rep's closed leads per temperature over the window. Returns rows written.

    A closed lead is one with an outcome (won/lost, from its deal or an
    import) or, without one, converted or rejected. It is a win when its
    outcome is won, or it has no outcome and was converted. Leads count by
    when they arrived (``created_at`` within the window) and by their current
    owner and temperature.
    """
    now = now or timezone.now()
    days = strategies.window_days()
    ids = (
        list(user_ids)
        if user_ids is not None
        else list(
            User.objects.filter(role=Role.SALES_REP, is_active=True).values_list("pk", flat=True)
        )
    )
    if not ids:
        return 0
    closed = Q(outcome__in=[Outcome.WON, Outcome.LOST]) | Q(
        outcome="", status__in=[LeadStatus.CONVERTED, LeadStatus.REJECTED]
    )
    win = Q(outcome=Outcome.WON) | Q(outcome="", status=LeadStatus.CONVERTED)
    rows = (
        Lead.objects.filter(
            closed, owner_id__in=ids, created_at__gte=now - datetime.timedelta(days=days)
        )
        .order_by()
        .values("owner_id", "temperature")
        .annotate(closed=Count("id"), wins=Count("id", filter=win))
    )
    counts = {(row["owner_id"], row["temperature"]): (row["wins"], row["closed"]) for row in rows}
    # An upsert, so that two recounts at once (the hourly task, a first
    # assignment to a new rep) both succeed instead of colliding on the key.
    RepPerformance.objects.bulk_create(
        [
            RepPerformance(
                user_id=user_id,
                temperature=temperature,
                wins=counts.get((user_id, temperature), (0, 0))[0],
                closed=counts.get((user_id, temperature), (0, 0))[1],
                window_days=days,
                computed_at=now,
            )
            for user_id in ids
            for temperature in Temperature.values
        ],
        update_conflicts=True,
        unique_fields=["user", "temperature"],
        update_fields=["wins", "closed", "window_days", "computed_at"],
    )
    return len(ids) * len(Temperature.values)


def rep_performance_for(*, user_ids: Sequence[int], temperature: str) -> dict[int, tuple[int, int]]:
    """(wins, closed) per rep for one temperature, counted now for reps never counted before.

    Counts are otherwise as fresh as the last ``rep_performance_refresh``
    (the periodic task recounts every hour).
    """
    rows = {
        row.user_id: (row.wins, row.closed)
        for row in RepPerformance.objects.filter(user_id__in=user_ids, temperature=temperature)
    }
    missing = [pk for pk in user_ids if pk not in rows]
    if missing:
        rep_performance_refresh(user_ids=missing)
        rows.update(
            {
                row.user_id: (row.wins, row.closed)
                for row in RepPerformance.objects.filter(
                    user_id__in=missing, temperature=temperature
                )
            }
        )
    return rows


# --- Managing rules --------------------------------------------------------------


def can_manage_routing(user: User | None) -> bool:
    """Heads of sales and admins set the routing rules and the first-response targets."""
    return user is None or user.is_admin or user.is_head_of_sales


def routing_manager_check(actor: User | None) -> None:
    """PermissionDenied unless ``actor`` may change routing."""
    if not can_manage_routing(actor):
        raise PermissionDenied(_("Only the head of sales or an admin can change routing."))


RULE_FIELDS = (
    "name",
    "active",
    "temperatures",
    "funnel_classes",
    "score_min",
    "score_max",
    "countries",
    "regions",
    "languages",
    "company_size_min",
    "company_size_max",
    "custom_attribute",
    "custom_value",
    "team",
    "strategy",
    "person",
    "reassign_on_breach",
)
RULE_RELATIONS = ("channels", "campaigns", "pool")


def _clean_list(values: Iterable[Any] | None, *, upper: bool = False) -> list[str]:
    cleaned: list[str] = []
    for value in values or []:
        text = str(value).strip()
        text = text.upper() if upper else text
        if text and text not in cleaned:
            cleaned.append(text)
    return cleaned


def _rule_check(
    rule: RoutingRule, *, pool: Sequence[User], errors: dict[str, list[str]] | None = None
) -> None:
    errors = errors if errors is not None else {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    rule.name = (rule.name or "").strip()
    if not rule.name:
        add("name", _("Give the rule a name."))
    if rule.strategy not in Strategy.values:
        add("strategy", _("Choose one of: %(c)s.") % {"c": ", ".join(Strategy.values)})
    rule.temperatures = _clean_list(rule.temperatures)
    if set(rule.temperatures) - set(Temperature.values):
        add("temperatures", _("Choose from: %(c)s.") % {"c": ", ".join(Temperature.values)})
    rule.funnel_classes = _clean_list(rule.funnel_classes)
    if set(rule.funnel_classes) - set(FunnelClass.values):
        add("funnel_classes", _("Choose from: %(c)s.") % {"c": ", ".join(FunnelClass.values)})
    rule.countries = _clean_list(rule.countries, upper=True)
    if any(len(code) != 2 or not code.isalpha() for code in rule.countries):
        add("countries", _("Use two-letter country codes, such as GB or TR."))
    rule.regions = _clean_list(rule.regions)
    rule.languages = [code.lower() for code in _clean_list(rule.languages)]
    for low, high, name in (
        ("score_min", "score_max", "score_max"),
        ("company_size_min", "company_size_max", "company_size_max"),
    ):
        lo, hi = getattr(rule, low), getattr(rule, high)
        if lo is not None and hi is not None and lo > hi:
            add(name, _("The upper bound is below the lower one."))
    for name in ("score_min", "score_max"):
        value = getattr(rule, name)
        if value is not None and not 0 <= value <= 100:
            add(name, _("A score is between 0 and 100."))
    rule.custom_attribute = (rule.custom_attribute or "").strip()
    rule.custom_value = (rule.custom_value or "").strip()
    if rule.custom_value and not rule.custom_attribute:
        add("custom_attribute", _("Name the custom attribute the value is for."))
    if rule.strategy == Strategy.NAMED_PERSON:
        if rule.person is None:
            add("person", _("Choose the person who gets these leads."))
        elif not rule.person.is_active:
            add("person", _("%(name)s is not an active user.") % {"name": rule.person})
    elif rule.team is None and not pool:
        add("team", _("Choose a team or a pool of people to give these leads to."))
    inactive = [str(user) for user in pool if not user.is_active]
    if inactive:
        add("pool", _("Not active: %(names)s.") % {"names": ", ".join(inactive)})
    if errors:
        raise ValidationError(errors)
    rule.full_clean(exclude=["team", "person", "last_assigned"])


def _rule_snapshot(rule: RoutingRule) -> dict[str, Any]:
    data = snapshot(rule, [*(f"{n}_id" if n in ("team", "person") else n for n in RULE_FIELDS)])
    if rule.pk:
        data["channels"] = sorted(rule.channels.values_list("pk", flat=True))
        data["campaigns"] = sorted(rule.campaigns.values_list("pk", flat=True))
        data["pool"] = sorted(rule.pool.values_list("pk", flat=True))
        data["position"] = rule.position
    return data


@transaction.atomic
def routing_rule_create(
    *,
    actor: User | None,
    name: str,
    strategy: str,
    team: Team | None = None,
    pool: Sequence[User] = (),
    person: User | None = None,
    channels: Sequence[Channel] = (),
    campaigns: Sequence[Campaign] = (),
    **conditions: Any,
) -> RoutingRule:
    """A new rule, tried after every existing one (move it up to try it earlier)."""
    routing_manager_check(actor)
    unknown = set(conditions) - set(RULE_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown rule field “%(name)s”.") % {"name": sorted(unknown)[0]})
    rule = RoutingRule(name=name, strategy=strategy, team=team, person=person, **conditions)
    _rule_check(rule, pool=pool)
    last = RoutingRule.objects.aggregate(last=Max("position"))["last"]
    rule.position = 0 if last is None else last + 1
    rule.save()
    rule.pool.set(pool)
    rule.channels.set(channels)
    rule.campaigns.set(campaigns)
    audit_record(actor=actor, action="routing_rule.create", obj=rule, after=_rule_snapshot(rule))
    return rule


@transaction.atomic
def routing_rule_update(
    *, actor: User | None, rule: RoutingRule, version: int | None, **fields: Any
) -> RoutingRule:
    """Change a rule; ``version`` is the one the editor read (a stale one is a conflict).

    Pass ``channels``, ``campaigns`` or ``pool`` to replace those lists.
    """
    routing_manager_check(actor)
    unknown = set(fields) - set(RULE_FIELDS) - set(RULE_RELATIONS)
    if unknown:
        raise ValidationError(_("Unknown rule field “%(name)s”.") % {"name": sorted(unknown)[0]})
    rule = lock_for_edit(RoutingRule.objects.all(), rule.pk, version)
    before = _rule_snapshot(rule)
    for name in RULE_FIELDS:
        if name in fields:
            setattr(rule, name, fields[name])
    pool = list(fields["pool"]) if "pool" in fields else list(rule.pool.all())
    _rule_check(rule, pool=pool)
    rule.version += 1
    rule.save()
    for name in RULE_RELATIONS:
        if name in fields:
            getattr(rule, name).set(fields[name])
    old, new = changed_fields(before, _rule_snapshot(rule))
    audit_record(actor=actor, action="routing_rule.update", obj=rule, before=old, after=new)
    return rule


@transaction.atomic
def routing_rule_delete(*, actor: User | None, rule: RoutingRule) -> None:
    """Delete a rule. Leads it routed keep their owners; their events keep its name."""
    routing_manager_check(actor)
    rule = lock_for_edit(RoutingRule.objects.all(), rule.pk, None)
    audit_record(actor=actor, action="routing_rule.delete", obj=rule, before=_rule_snapshot(rule))
    rule.delete()


@transaction.atomic
def routing_rule_move(*, actor: User | None, rule: RoutingRule, direction: str) -> RoutingRule:
    """Swap a rule with its neighbour above ("up", tried earlier) or below ("down")."""
    routing_manager_check(actor)
    if direction not in ("up", "down"):
        raise ValidationError({"direction": _("Move a rule “up” or “down”.")})
    ordered = list(RoutingRule.objects.select_for_update().order_by("position", "id"))
    index = next((n for n, item in enumerate(ordered) if item.pk == rule.pk), None)
    if index is None:
        raise RoutingRule.DoesNotExist
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(ordered):
        return ordered[index]
    ordered[index], ordered[other] = ordered[other], ordered[index]
    # Renumber all: positions may have gaps or ties from deletions and old data.
    for position, item in enumerate(ordered):
        if item.position != position:
            item.position = position
            RoutingRule.objects.filter(pk=item.pk).update(
                position=position, version=F("version") + 1
            )
            item.version += 1
    moved = ordered[other]
    audit_record(
        actor=actor,
        action="routing_rule.move",
        obj=moved,
        before={"position": index},
        after={"position": other},
    )
    return moved


@transaction.atomic
def response_target_set(
    *, actor: User | None, temperature: str, minutes: int, business_days: int
) -> ResponseTarget:
    """Set how soon new leads of a temperature must be contacted."""
    routing_manager_check(actor)
    errors: dict[str, str] = {}
    if temperature not in Temperature.values:
        errors["temperature"] = _("Choose from: %(c)s.") % {"c": ", ".join(Temperature.values)}
    if minutes < 0:
        errors["minutes"] = _("Minutes cannot be negative.")
    if business_days < 0 or business_days > 60:
        errors["business_days"] = _("Between 0 and 60 business days.")
    if not errors and minutes == 0 and business_days == 0:
        errors["minutes"] = _("Give some time: minutes, business days or both.")
    if errors:
        raise ValidationError(errors)
    target, _created = ResponseTarget.objects.select_for_update().get_or_create(
        temperature=temperature, defaults={"minutes": minutes, "business_days": business_days}
    )
    before = snapshot(target, ["minutes", "business_days"])
    target.minutes, target.business_days = minutes, business_days
    target.save()
    audit_record(
        actor=actor,
        action="response_target.set",
        obj=target,
        before=before,
        after=snapshot(target, ["minutes", "business_days"]),
    )
    return target
