"""How a rule's strategy picks one owner among the people it targets.

Everyone a rule targets is a *candidate* (the rule's pool if it names one,
else the sales reps of its team, else its named person). A candidate is
*eligible* when active, available (not on leave) and below capacity (fewer
open leads — new, working, nurturing — than ``User.capacity``). Only eligible
candidates are ever chosen; when none is, the lead stays unassigned.

Candidates stand in a fixed *turn order* (by user id). Round robin goes to the
next eligible person after the one the rule last chose, and the other
strategies break their ties in the same turn order, so ties rotate instead of
always favouring the same person.

The functions here decide; they do not write. ``leadflow.routing.services``
locks the rule, calls them and records the result.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.translation import gettext as _

from leadflow.accounts.models import Role, Tier, User
from leadflow.leads.models import OPEN_LEAD_STATUSES, Lead
from leadflow.routing.models import Strategy

if TYPE_CHECKING:
    from leadflow.routing.models import RoutingRule


def window_days() -> int:
    """How far back "best performer" looks at closed leads."""
    return int(getattr(settings, "LEADFLOW_ROUTING_WINDOW_DAYS", 180))


def prior_strength() -> float:
    """How many closed leads' worth of weight the team's rate has in a rep's smoothed rate."""
    return float(getattr(settings, "LEADFLOW_ROUTING_PRIOR_STRENGTH", 10))


@dataclass(frozen=True)
class Candidate:
    user: User
    open_leads: int

    @property
    def capacity(self) -> int:
        return int(self.user.capacity)

    @property
    def has_room(self) -> bool:
        return self.open_leads < self.capacity

    @property
    def load(self) -> Fraction:
        """Open leads as a share of capacity (exact, so equal loads compare equal)."""
        return Fraction(self.open_leads, self.capacity) if self.capacity else Fraction(10**9)

    def load_text(self) -> str:
        return f"{self.user.username} {self.open_leads}/{self.capacity}"


@dataclass(frozen=True)
class Choice:
    """The person a strategy picked (None: nobody fits) and why, in words and figures."""

    owner: User | None
    why: str
    figures: dict[str, Any] = field(default_factory=dict)


def target_users(rule: RoutingRule) -> list[User]:
    """Everyone the rule may give a lead to, in turn order (user id).

    The rule's pool should be prefetched.
    """
    if rule.strategy == Strategy.NAMED_PERSON:
        return [rule.person] if rule.person is not None else []
    pool = list(rule.pool.all())
    if pool:
        return sorted(pool, key=lambda user: user.pk)
    if rule.team_id is None:
        return []
    return list(
        User.objects.filter(team_id=rule.team_id, role=Role.SALES_REP, is_active=True).order_by(
            "pk"
        )
    )


def open_lead_counts(users: Iterable[User]) -> dict[int, int]:
    """Open leads (new, working, nurturing) per person, counted up to their capacity.

    Past capacity the exact number changes nothing (the person is full), so
    each count stops there: an index range of at most ``capacity`` entries on
    (owner, status), whatever the size of the lead table.
    """
    counts: dict[int, int] = {}
    for user in users:
        open_leads = Lead.objects.filter(owner_id=user.pk, status__in=OPEN_LEAD_STATUSES)
        counts[user.pk] = open_leads.order_by()[: max(int(user.capacity), 0)].count()
    return counts


def candidates(users: Sequence[User], loads: dict[int, int]) -> list[Candidate]:
    return [Candidate(user, loads.get(user.pk, 0)) for user in users]


def is_eligible(candidate: Candidate) -> bool:
    user = candidate.user
    return bool(user.is_active and user.is_available and candidate.has_room)


def in_turn(ids: Sequence[int], last_id: int | None) -> list[int]:
    """``ids`` (ascending) rotated to start with the first one after ``last_id``."""
    if last_id is None:
        return list(ids)
    later = [pk for pk in ids if pk > last_id]
    earlier = [pk for pk in ids if pk <= last_id]
    return later + earlier


def round_robin_pick(eligible: Sequence[Candidate], last_id: int | None) -> Candidate | None:
    """The first eligible candidate after ``last_id`` in turn order, wrapping round."""
    by_id = {candidate.user.pk: candidate for candidate in eligible}
    order = in_turn(sorted(by_id), last_id)
    return by_id[order[0]] if order else None


def least_loaded_pick(eligible: Sequence[Candidate], last_id: int | None) -> Candidate | None:
    """The candidate with the smallest share of capacity in use; ties go in turn order."""
    if not eligible:
        return None
    rank = {pk: n for n, pk in enumerate(in_turn(sorted(c.user.pk for c in eligible), last_id))}
    return min(eligible, key=lambda c: (c.load, rank[c.user.pk]))


def smoothed_rate(wins: int, closed: int, prior: float, strength: float) -> float:
    """A conversion rate pulled towards ``prior`` by ``strength`` imaginary closed leads.

    (wins + strength × prior) / (closed + strength): with no history a rep
    stands at the team's rate; one lucky win out of one closed lead moves a
    rep only a little above it, while 40 wins out of 100 count almost at
    face value. This is the mean of a Beta prior centred on the team's rate.
    """
    return (wins + strength * prior) / (closed + strength)


@dataclass(frozen=True)
class Rated:
    candidate: Candidate
    wins: int
    closed: int
    rate: float

    def text(self) -> str:
        return f"{self.candidate.user.username} {self.rate:.2f} ({self.wins}/{self.closed})"


def best_performer_ranking(
    eligible: Sequence[Candidate],
    performance: dict[int, tuple[int, int]],
    last_id: int | None,
    *,
    strength: float | None = None,
) -> list[Rated]:
    """Eligible candidates from best to worst smoothed conversion rate.

    ``performance`` maps a user id to (wins, closed) for the lead's
    temperature over the window. The prior is the rate of all candidates
    together (the team's rate). Ties go to the less loaded, then in turn order.
    """
    strength = prior_strength() if strength is None else strength
    total_wins = sum(performance.get(c.user.pk, (0, 0))[0] for c in eligible)
    total_closed = sum(performance.get(c.user.pk, (0, 0))[1] for c in eligible)
    prior = total_wins / total_closed if total_closed else 0.0
    rank = {pk: n for n, pk in enumerate(in_turn(sorted(c.user.pk for c in eligible), last_id))}
    rated = []
    for candidate in eligible:
        wins, closed = performance.get(candidate.user.pk, (0, 0))
        rated.append(Rated(candidate, wins, closed, smoothed_rate(wins, closed, prior, strength)))
    rated.sort(key=lambda r: (-r.rate, r.candidate.load, rank[r.candidate.user.pk]))
    return rated


def choose(
    rule: RoutingRule,
    lead: Lead,
    people: Sequence[Candidate],
    *,
    performance: dict[int, tuple[int, int]] | None = None,
) -> Choice:
    """Apply the rule's strategy to ``people`` (its candidates with their loads).

    The reason goes into the figures as ``why_parts`` (names and numbers, no
    words) as well as into ``why``, so a history can say it again in its
    reader's language (:func:`why_text`).
    """
    eligible = [candidate for candidate in people if is_eligible(candidate)]
    skipped = {
        c.user.username: _skip_reason(c) for c in people if not is_eligible(c)
    }  # why each one was passed over, for the event
    last_id = rule.last_assigned_id
    strategy = rule.strategy
    figures: dict[str, Any] = {"skipped": skipped} if skipped else {}

    def chosen(owner: User | None, **parts: Any) -> Choice:
        figures["why_parts"] = parts
        return Choice(owner, why_text(parts), figures)

    if strategy == Strategy.NAMED_PERSON:
        picked = eligible[0] if eligible else None
        if picked is None:
            return chosen(None, kind="named_person_busy", **_nobody(rule))
        return chosen(picked.user, kind="named_person", who=picked.user.username)
    if strategy == Strategy.JUNIOR_POOL:
        juniors = [c for c in eligible if c.user.tier == Tier.JUNIOR]
        picked = round_robin_pick(juniors, last_id)
        if picked is None:
            return chosen(None, kind="junior_pool_empty")
        return chosen(picked.user, kind="junior_pool", who=picked.user.username, free=len(juniors))
    if strategy == Strategy.ROUND_ROBIN:
        picked = round_robin_pick(eligible, last_id)
        if picked is None:
            return chosen(None, kind="round_robin_empty")
        return chosen(picked.user, kind="round_robin", who=picked.user.username, free=len(eligible))
    if strategy == Strategy.LEAST_LOADED:
        picked = least_loaded_pick(eligible, last_id)
        if picked is None:
            return chosen(None, kind="least_loaded_empty")
        others = sorted((c for c in eligible if c is not picked), key=lambda c: c.load)[:3]
        figures["loads"] = {c.user.username: [c.open_leads, c.capacity] for c in eligible}
        return chosen(
            picked.user,
            kind="least_loaded",
            who=picked.load_text(),
            others=[c.load_text() for c in others],
        )
    # Best performer.
    ranking = best_performer_ranking(eligible, performance or {}, last_id)
    if not ranking:
        return chosen(None, kind="best_performer_empty")
    best = ranking[0]
    figures["rates"] = {
        r.candidate.user.username: {"rate": round(r.rate, 4), "wins": r.wins, "closed": r.closed}
        for r in ranking
    }
    return chosen(
        best.candidate.user,
        kind="best_performer",
        temperature=lead.temperature,
        days=window_days(),
        who=best.text(),
        others=[r.text() for r in ranking[1:4]],
    )


def why_text(parts: dict[str, Any]) -> str:
    """A strategy's reason in the current language, from the parts ``choose`` stored."""
    kind = parts.get("kind", "")
    values = {
        "who": parts.get("who") or "—",
        "n": int(parts.get("free") or 0),
        "temperature": parts.get("temperature", ""),
        "days": int(parts.get("days") or 0),
    }
    texts = {
        "named_person": _("named person: %(who)s"),
        "named_person_busy": _("named person: %(who)s cannot take it"),
        "junior_pool": _("junior pool: next junior in turn is %(who)s (of %(n)d free)"),
        "junior_pool_empty": _("junior pool: no junior is free"),
        "round_robin": _("round robin: next in turn is %(who)s (of %(n)d free)"),
        "round_robin_empty": _("round robin: nobody is free"),
        "least_loaded": _("least loaded: %(who)s"),
        "least_loaded_empty": _("least loaded: nobody is free"),
        "best_performer": _("best performer (%(temperature)s, %(days)d days): %(who)s"),
        "best_performer_empty": _("best performer: nobody is free"),
    }
    if kind not in texts:
        return ""
    text = texts[kind] % values
    others = parts.get("others") or []
    if others:
        text += " " + _("vs") + " " + ", ".join(str(other) for other in others)
    return text


def _nobody(rule: RoutingRule) -> dict[str, str]:
    return {"who": rule.person.username if rule.person else "—"}


def _skip_reason(candidate: Candidate) -> str:
    user = candidate.user
    if not user.is_active:
        return "inactive"
    if not user.is_available:
        return "unavailable"
    return f"at capacity {candidate.open_leads}/{candidate.capacity}"
