"""Demo data: a year in the life of a small sales team, the same every time for a seed.

Two teams sell to people in Wales, England, Turkey and Spain. Leads arrive on
every default channel (some through campaigns), are routed and sometimes
reassigned, worked with calls, e-mails and meetings, then nurtured, postponed,
rejected or converted into a contact, a company and a deal that moves through
the default pipeline until it is won or lost. Every state change that history
implies is written as the same :class:`~leadflow.core.models.Event` a service
would have written, at the time it happened, so analytics built on events see
a real year.

Writing goes through :mod:`leadflow.core.bulk`, not the services: the
services are for single interactive writes and would take an hour for
100,000 leads. Events are still built by
:func:`~leadflow.core.services.event_build`.

E-mail addresses use the reserved ``.example`` top-level domain (RFC 2606), so
a demo install can never write to a real person.
"""

from __future__ import annotations

import datetime
import gc
import itertools
import multiprocessing
import queue
import random
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.utils import timezone

from leadflow.accounts.models import Role, Tier, User
from leadflow.accounts.services import team_get_or_create, user_create
from leadflow.activities.models import Activity, ActivityKind
from leadflow.core.bulk import BulkTable, IdReservation, instance_rows
from leadflow.core.context import Interface
from leadflow.core.database import planner_statistics_refresh
from leadflow.core.demo_people import (
    LOCALES,
    SPANISH,
    TURKISH,
    DemoCompany,
    DemoPerson,
    Locale,
    demo_companies,
    demo_person,
)
from leadflow.core.models import Event, EventKind
from leadflow.identity.normalise import normalise_company_name
from leadflow.identity.services import match_keys_rebuild
from leadflow.intake.models import Campaign, Channel
from leadflow.leads.models import (
    FunnelClass,
    Lead,
    LeadStatus,
    Outcome,
    PurchaseTimeframe,
    Temperature,
)
from leadflow.leads.qualification import temperature_for_timeframe
from leadflow.sales.models import Company, Contact, Deal, DealStatus, Stage, StageKind
from leadflow.sales.services import default_pipeline

DEMO_PASSWORD = "demo"
DEFAULT_DEMO_LEADS = 2000
DEFAULT_DEMO_SEED = 2026


# --- Logins -------------------------------------------------------------------


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    team: str
    first_name: str
    last_name: str
    tier: int | None = None


DEMO_LOGINS = (
    DemoLogin("admin", Role.ADMIN, "", "Ada", "Adams"),
    DemoLogin("harriet", Role.HEAD_OF_SALES, "North", "Harriet", "Pryce"),
    DemoLogin("rhys", Role.SALES_REP, "North", "Rhys", "Llywelyn", Tier.SENIOR),
    DemoLogin("rosa", Role.SALES_REP, "North", "Rosa", "Ibáñez", Tier.JUNIOR),
    DemoLogin("sam", Role.SALES_REP, "South", "Sam", "Whitfield"),
    DemoLogin("sian", Role.HEAD_OF_SALES, "South", "Siân", "Pritchard"),
    DemoLogin("mia", Role.MARKETER, "", "Mia", "Çelik"),
)


def demo_users_ensure() -> dict[str, tuple[User, bool]]:
    """The demo logins by username, created (password ``demo``) when missing.

    Existing accounts are left exactly as they are, so running this twice, or
    on an install where someone changed a demo password, changes nothing.
    """
    users: dict[str, tuple[User, bool]] = {}
    for login in DEMO_LOGINS:
        existing = User.objects.filter(username__iexact=login.username).first()
        if existing is not None:
            users[login.username] = (existing, False)
            continue
        team = team_get_or_create(name=login.team) if login.team else None
        user = user_create(
            actor=None,
            username=login.username,
            role=login.role,
            password=DEMO_PASSWORD,
            team=team,
            email=f"{login.username}@leadflow.example",
            first_name=login.first_name,
            last_name=login.last_name,
            tier=login.tier,
            # "demo" fails every validator; these accounts exist to be guessed.
            check_password=False,
        )
        users[login.username] = (user, True)
    return users


# --- Channels and campaigns -------------------------------------------------------

# Share of leads per default channel (slug, weight).
CHANNEL_WEIGHTS = (
    ("web-form", 26),
    ("email", 12),
    ("phone", 10),
    ("api", 8),
    ("import", 8),
    ("chat", 7),
    ("referral", 7),
    ("event", 7),
    ("social", 6),
    ("manual", 5),
    ("third-party", 4),
)
# Channels where a rep types the lead in; the rep owns it from the start.
REP_ENTERED_CHANNELS = frozenset({"phone", "referral", "manual"})
# Channels whose leads come in batches from a marketing campaign.
CAMPAIGN_DRIVEN_CHANNELS = frozenset({"event", "import"})
# Which interface a lead on each channel arrives through, for its "created" event.
CHANNEL_INTERFACE = {
    "web-form": Interface.UI,
    "api": Interface.API,
    "email": Interface.SYSTEM,
    "phone": Interface.UI,
    "import": Interface.IMPORT,
    "chat": Interface.API,
    "referral": Interface.UI,
    "event": Interface.IMPORT,
    "social": Interface.API,
    "manual": Interface.UI,
    "third-party": Interface.API,
}


@dataclass(frozen=True)
class DemoCampaign:
    slug: str
    name: str
    channel: str
    starts_days_ago: int
    ends_days_ago: int | None
    budget: int
    target_leads: int
    # Locale codes of the people it reaches; empty for everyone.
    audience: tuple[str, ...] = ()


DEMO_CAMPAIGNS = (
    DemoCampaign(
        "spring-product-webinar", "Spring product webinar", "web-form", 330, 270, 4000, 400
    ),
    DemoCampaign(
        "purchased-list-uk-logistics",
        "Purchased list: UK logistics firms",
        "import",
        240,
        232,
        1800,
        2000,
        audience=("en", "cy"),
    ),
    DemoCampaign(
        "linkedin-outreach-autumn", "LinkedIn outreach (autumn)", "social", 200, 110, 6000, 600
    ),
    DemoCampaign(
        "construtec-madrid",
        "Feria Construtec Madrid",
        "event",
        160,
        156,
        12000,
        300,
        audience=("es",),
    ),
    DemoCampaign(
        "eisteddfod-stand", "Stondin yr Eisteddfod", "event", 130, 123, 3000, 150, audience=("cy",)
    ),
    DemoCampaign(
        "istanbul-yapi-fuari", "İstanbul Yapı Fuarı", "event", 70, 65, 9000, 250, audience=("tr",)
    ),
    DemoCampaign("monthly-newsletter", "Monthly newsletter", "email", 365, None, 1500, 1200),
    DemoCampaign(
        "partner-referrals", "Partner referral programme", "referral", 365, None, 2500, 300
    ),
)


CAMPAIGN_AUDIENCE = {spec.slug: spec.audience for spec in DEMO_CAMPAIGNS if spec.audience}


def demo_campaigns_ensure(channels: dict[str, Channel], today: datetime.date) -> list[Campaign]:
    """The demo campaigns, created when missing (there is no campaign service yet)."""
    campaigns = []
    for spec in DEMO_CAMPAIGNS:
        campaign, _created = Campaign.objects.get_or_create(
            slug=spec.slug,
            defaults={
                "name": spec.name,
                "channel": channels[spec.channel],
                "starts_on": today - datetime.timedelta(days=spec.starts_days_ago),
                "ends_on": today - datetime.timedelta(days=spec.ends_days_ago)
                if spec.ends_days_ago is not None
                else None,
                "budget": Decimal(spec.budget),
                "target_leads": spec.target_leads,
            },
        )
        campaigns.append(campaign)
    return campaigns


# --- What happens to a lead ------------------------------------------------------

TIMEFRAME_WEIGHTS = (
    ("", 30),
    (PurchaseTimeframe.NOW, 8),
    (PurchaseTimeframe.ONE_MONTH, 12),
    (PurchaseTimeframe.TWO_MONTHS, 12),
    (PurchaseTimeframe.THREE_MONTHS, 13),
    (PurchaseTimeframe.SIX_MONTHS, 13),
    (PurchaseTimeframe.ONE_YEAR, 12),
)
REJECTION_REASONS_UNWORKED = ("Spam", "Duplicate of an existing lead", "Wrong contact details")
REJECTION_REASONS = (
    "No budget",
    "Not the decision maker and would not refer us",
    "Student research project",
    "Outside our service area",
    "Competitor asking for prices",
    "Already signed with a competitor",
)
POSTPONE_REASONS = (
    "Budget approved next quarter",
    "On parental leave until the spring",
    "Re-tender in the autumn",
    "Waiting for a board decision",
)
REASSIGN_REASONS = (
    "Holiday cover",
    "Speaks the customer's language",
    "Rebalancing the queue",
    "Senior rep for a large account",
)
LOST_REASONS = (
    "Price too high",
    "Chose a competitor",
    "No decision made",
    "Budget cut",
    "Went with an in-house solution",
    "Timing: revisit next year",
)
PRODUCTS = (
    "CRM licences",
    "Onboarding package",
    "Annual support",
    "Data migration",
    "Team training",
    "Integration project",
)
CALL_OUTCOMES = (
    "Interested, wants a demo",
    "Left a voicemail",
    "Asked for prices",
    "Call back next week",
    "Decision maker confirmed",
)
EMAIL_OUTCOMES = ("Replied the same day", "No reply yet", "Forwarded to finance")
MEETING_OUTCOMES = ("Needs confirmed", "Wants a proposal", "Shortlisted us", "Wants references")
PROPOSAL_OUTCOMES = ("Sent", "Under review", "Asked for a discount")
PLANNED_TASKS = (
    "Call back {name}",
    "Send a case study to {name}",
    "Prepare a quote for {company}",
    "Check budget timing with {name}",
    "Book a demo with {name}",
)
# Mean days a deal stays in each open stage of the default pipeline, in order.
STAGE_MEAN_DAYS = (3.0, 4.0, 6.0, 7.0, 6.0, 5.0, 4.0)

EVENT_COLUMNS = (
    "occurred_at",
    "kind",
    "actor_id",
    "interface",
    "lead_id",
    "contact_id",
    "company_id",
    "deal_id",
    "from_value",
    "to_value",
    "data",
)

ACTIVITY_COLUMNS = (
    "id",
    "kind",
    "subject",
    "body",
    "lead_id",
    "contact_id",
    "deal_id",
    "owner_id",
    "team_id",
    "version",
    "due_at",
    "done_at",
    "outcome",
    "created_by_id",
    "created_at",
    "updated_at",
)

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


@dataclass
class DemoSummary:
    leads: int = 0
    companies: int = 0
    contacts: int = 0
    deals: int = 0
    activities: int = 0
    events: int = 0
    events_by_kind: Counter[str] = field(default_factory=Counter)
    leads_by_status: Counter[str] = field(default_factory=Counter)
    deals_by_status: Counter[str] = field(default_factory=Counter)
    users_created: list[str] = field(default_factory=list)


@dataclass
class _Rows:
    """What the leads of one chunk add up to, while their histories are played."""

    leads: list[Lead] = field(default_factory=list)
    companies: list[Company] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    deals: list[Deal] = field(default_factory=list)
    # Values for ACTIVITY_COLUMNS.
    activities: list[tuple[Any, ...]] = field(default_factory=list)
    # Values for EVENT_COLUMNS.
    events: list[tuple[Any, ...]] = field(default_factory=list)


@dataclass
class _Batch:
    """One chunk as rows ready for the database: what one transaction writes.

    It is what crosses from the generating process to the writing one, so the
    rows are converted for the database on the generating side (on SQLite:
    text pickles faster than datetimes, and the writer is the busier one).
    """

    leads: int
    # (model, column names, rows, whether the rows are converted), in insert order.
    tables: list[tuple[type[models.Model], list[str], list[Sequence[Any]], bool]]
    leads_by_status: Counter[str]
    deals_by_status: Counter[str]
    events_by_kind: Counter[str]

    @classmethod
    def of(cls, rows: _Rows) -> _Batch:
        tables: list[tuple[type[models.Model], list[str], list[Sequence[Any]], bool]] = []
        sources: list[tuple[type[models.Model], list[str], Sequence[Sequence[Any]]]] = [
            (Lead, *instance_rows(rows.leads)),
            (Company, *instance_rows(rows.companies)),
            (Contact, *instance_rows(rows.contacts)),
            (Deal, *instance_rows(rows.deals)),
            (Activity, list(ACTIVITY_COLUMNS), rows.activities),
            (Event, list(EVENT_COLUMNS), rows.events),
        ]
        for model, columns, values in sources:
            # psycopg's JSON wrappers do not pickle; PostgreSQL rows convert when written.
            prepare = bool(values) and connections[DEFAULT_DB_ALIAS].vendor == "sqlite"
            ready = BulkTable(model, columns).prepare(values) if prepare else list(values)
            tables.append((model, columns, ready, prepare))
        return cls(
            leads=len(rows.leads),
            tables=tables,
            leads_by_status=Counter(str(lead.status) for lead in rows.leads),
            deals_by_status=Counter(str(deal.status) for deal in rows.deals),
            events_by_kind=Counter(str(row[1]) for row in rows.events),
        )


@dataclass(slots=True)
class _Arrival:
    created: datetime.datetime
    index: int
    channel: Channel
    locale: Locale
    campaign: Campaign | None


@dataclass
class _GeneratorFailed:
    traceback: str


_SUMMARY_FIELD = {
    Lead: "leads",
    Company: "companies",
    Contact: "contacts",
    Deal: "deals",
    Activity: "activities",
    Event: "events",
}


class _Ids:
    def __init__(self) -> None:
        self.lead = IdReservation(Lead)
        self.company = IdReservation(Company)
        self.contact = IdReservation(Contact)
        self.deal = IdReservation(Deal)
        self.activity = IdReservation(Activity)


def _can_fork() -> bool:
    """Forking is safe here: Linux or macOS, and no transaction a child could not see."""
    return "fork" in multiprocessing.get_all_start_methods() and not any(
        connection.in_atomic_block for connection in connections.all()
    )


def _weighted(pairs: Sequence[tuple[Any, int]]) -> tuple[list[Any], list[int]]:
    """Values and cumulative weights, for ``random.choices(values, cum_weights=…)``."""
    return [value for value, _w in pairs], list(itertools.accumulate(w for _v, w in pairs))


def _pick(rng: random.Random, weighted: tuple[list[Any], list[int]]) -> Any:
    values, cumulative = weighted
    return rng.choices(values, cum_weights=cumulative)[0]


class DemoSeeder:
    """Generates and writes the demo history; see the module docstring.

    Who the leads are (names, addresses, companies, channels) is drawn
    without looking at the clock, so a seed always gives the same people;
    when they came in (``arrival``) and what happened to them (``story``) is
    drawn relative to ``now``.
    """

    def __init__(
        self,
        *,
        leads: int,
        seed: int = DEFAULT_DEMO_SEED,
        now: datetime.datetime | None = None,
        chunk_size: int = 2000,
    ) -> None:
        self.total = leads
        self.seed = seed
        self.now = now or timezone.now()
        self.today = timezone.localdate(self.now)
        self.chunk_size = chunk_size
        # Companies and arrivals; each lead's person and story have generators of their own.
        self.people = random.Random(f"people-{seed}")
        self.arrival = random.Random(f"arrival-{seed}")
        self.story = random.Random()  # replaced for each lead, see _lead_history
        self.summary = DemoSummary()
        self._contact_by_email: dict[str, Contact] = {}

    # -- set-up ---------------------------------------------------------------

    def _load_reference_data(self) -> None:
        users = demo_users_ensure()
        self.summary.users_created = [name for name, (_u, created) in users.items() if created]
        self.users = {name: user for name, (user, _created) in users.items()}
        self.north = team_get_or_create(name="North")
        self.south = team_get_or_create(name="South")
        self.reps = [self.users["rhys"], self.users["rosa"], self.users["sam"]]
        self.heads = {self.north.pk: self.users["harriet"], self.south.pk: self.users["sian"]}
        channels = {c.slug: c for c in Channel.objects.all()}
        missing = [slug for slug, _w in CHANNEL_WEIGHTS if slug not in channels]
        if missing:
            raise LookupError(f"Default channels missing (run migrate): {', '.join(missing)}")
        self.channels = channels
        self.channel_choices = _weighted([(channels[s], w) for s, w in CHANNEL_WEIGHTS])
        self.campaigns = demo_campaigns_ensure(channels, self.today)
        self.campaigns_by_channel: dict[int, list[Campaign]] = {}
        for campaign in self.campaigns:
            if campaign.channel_id is not None:
                self.campaigns_by_channel.setdefault(campaign.channel_id, []).append(campaign)
        pipeline = default_pipeline()
        stages = list(pipeline.stages.order_by("order"))
        self.pipeline = pipeline
        self.open_stages = [s for s in stages if s.kind == StageKind.OPEN]
        self.won_stage = next(s for s in stages if s.kind == StageKind.WON)
        self.lost_stage = next(s for s in stages if s.kind == StageKind.LOST)
        self.locale_choices = _weighted([(loc, loc.weight) for loc in LOCALES])
        self.timeframe_choices = _weighted(TIMEFRAME_WEIGHTS)
        # Enough companies that most have a handful of leads, a few many.
        self.companies: dict[str, list[DemoCompany]] = {
            loc.code: demo_companies(self.people, loc, max(3, self.total * loc.weight // 100 // 8))
            for loc in LOCALES
        }

    # -- running ----------------------------------------------------------------

    def run(
        self,
        progress: Callable[[int, int], None] | None = None,
        *,
        parallel: bool | None = None,
    ) -> DemoSummary:
        """Write the demo data in chunks of ``chunk_size`` leads, one transaction each.

        ``parallel`` (by default: when there is more than one chunk and no
        transaction is open) plays the histories in a forked process while
        this one writes, so that generating and writing use a core each.
        The data is the same either way.
        """
        self._load_reference_data()
        self._ids = _Ids()
        if parallel is None:
            parallel = self.total > self.chunk_size and _can_fork()
        # A chunk holds a few hundred thousand small objects and no reference
        # cycles; the cyclic collector would walk them again and again for nothing.
        collecting = gc.isenabled()
        gc.disable()
        try:
            if parallel:
                self._run_forked(progress)
            else:
                for batch in self._batches():
                    self._write(batch, progress)
        finally:
            if collecting:
                gc.enable()
        if self.total:
            # Bulk inserts bypass the services, which file each person under match keys.
            match_keys_rebuild()
            # Without fresh statistics SQLite plans the list pages badly after a bulk load.
            planner_statistics_refresh()
        return self.summary

    def _arrivals(self) -> list[_Arrival]:
        """When each lead came in, through which channel, oldest first.

        Leads are then written in that order, so that ids grow with
        ``created_at`` as in a real database (and the indexes on time fill
        from one end, which writes faster).
        """
        arrivals = []
        for index in range(self.total):
            channel = (
                self.channels[CHANNEL_WEIGHTS[index][0]]
                if index < len(CHANNEL_WEIGHTS)  # every channel appears even in a tiny demo
                else _pick(self.arrival, self.channel_choices)
            )
            locale: Locale = _pick(self.arrival, self.locale_choices)
            created, campaign = self._created_at(channel, locale)
            arrivals.append(_Arrival(created, index, channel, locale, campaign))
        arrivals.sort(key=lambda arrival: (arrival.created, arrival.index))
        return arrivals

    def _batches(self) -> Iterator[_Batch]:
        arrivals = self._arrivals()
        for first in range(0, self.total, self.chunk_size):
            rows = _Rows()
            for arrival in arrivals[first : first + self.chunk_size]:
                self._lead_history(arrival, rows)
            yield _Batch.of(rows)

    def _run_forked(self, progress: Callable[[int, int], None] | None) -> None:
        context = multiprocessing.get_context("fork")
        batches: multiprocessing.Queue[_Batch | _GeneratorFailed | None] = context.Queue(maxsize=3)
        # The child must not share this process's database connections.
        connections.close_all()
        generator = context.Process(target=self._generate_into, args=(batches,), daemon=True)
        generator.start()
        try:
            while True:
                try:
                    item = batches.get(timeout=5)
                except queue.Empty:
                    if not generator.is_alive():
                        raise RuntimeError(
                            "The demo data generator stopped unexpectedly."
                        ) from None
                    continue
                if item is None:
                    break
                if isinstance(item, _GeneratorFailed):
                    raise RuntimeError(f"The demo data generator failed:\n{item.traceback}")
                self._write(item, progress)
        finally:
            if generator.is_alive():
                generator.terminate()
            generator.join()

    def _generate_into(
        self, batches: multiprocessing.Queue[_Batch | _GeneratorFailed | None]
    ) -> None:
        """The forked generator: every chunk into the queue, then None."""
        gc.disable()
        try:
            for batch in self._batches():
                batches.put(batch)
            batches.put(None)
        except BaseException:
            batches.put(_GeneratorFailed(traceback.format_exc()))
        finally:
            # Only on PostgreSQL did this process open a connection (for ids).
            connections.close_all()
            batches.close()
            batches.join_thread()

    def _write(self, batch: _Batch, progress: Callable[[int, int], None] | None) -> None:
        summary = self.summary
        with transaction.atomic():
            for model, columns, values, prepared in batch.tables:
                written = BulkTable(model, columns).insert(values, prepared=prepared)
                name = _SUMMARY_FIELD[model]
                setattr(summary, name, getattr(summary, name) + written)
        summary.leads_by_status.update(batch.leads_by_status)
        summary.deals_by_status.update(batch.deals_by_status)
        summary.events_by_kind.update(batch.events_by_kind)
        if progress is not None:
            progress(summary.leads, self.total)

    # -- one lead ---------------------------------------------------------------

    def _event(
        self,
        rows: _Rows,
        kind: str,
        at: datetime.datetime,
        actor: User | None,
        via: str,
        *,
        lead: Lead | None = None,
        contact: Contact | None = None,
        company: Company | None = None,
        deal: Deal | None = None,
        from_value: str | int | None = "",
        to_value: str | int | None = "",
        data: dict[str, Any] | None = None,
    ) -> None:
        """One event row with the values ``event_build`` gives for the same arguments.

        Rows rather than ``Event`` instances: building a model instance takes
        longer than writing its row, and there is close to a million of them.
        test_seed_demo checks the rows against ``event_build``.
        """
        rows.events.append(
            (
                at,
                kind,
                actor.id if actor is not None else None,
                via,
                lead.id if lead is not None else None,
                contact.id if contact is not None else None,
                company.id if company is not None else None,
                deal.id if deal is not None else None,
                "" if from_value is None else str(from_value),
                "" if to_value is None else str(to_value),
                data or {},
            )
        )

    def _business_time(self, day: datetime.datetime) -> datetime.datetime:
        """A working-hours moment on ``day`` (UTC), never after now."""
        story = self.arrival
        moment = day.replace(
            hour=7 + int(story.random() * 11),
            minute=int(story.random() * 60),
            second=int(story.random() * 60),
            microsecond=0,
        )
        weekend_shift = story.random()
        if moment.weekday() >= 5 and weekend_shift < 0.8:
            moment -= DAY * (moment.weekday() - 4)
        if moment > self.now:
            moment = self.now - datetime.timedelta(minutes=5 + int(story.random() * 300))
        return moment

    def _created_at(
        self, channel: Channel, locale: Locale
    ) -> tuple[datetime.datetime, Campaign | None]:
        story = self.arrival
        campaigns = [
            c
            for c in self.campaigns_by_channel.get(channel.pk, [])
            if c.starts_on is not None
            and c.starts_on <= self.today
            and locale.code in CAMPAIGN_AUDIENCE.get(c.slug, (locale.code,))
        ]
        pick, in_campaign = story.random(), story.random()
        # A business that grows: somewhat more leads lately than a year ago.
        age_days = 365 * story.random() ** 1.15
        if campaigns and channel.slug in CAMPAIGN_DRIVEN_CHANNELS and in_campaign < 0.85:
            campaign = campaigns[int(pick * len(campaigns))]
            assert campaign.starts_on is not None
            ends_on = min(campaign.ends_on or self.today, self.today)
            age_days = (self.today - campaign.starts_on).days - story.random() * (
                (ends_on - campaign.starts_on).days + 1
            )
            return self._business_time(self.now - DAY * max(age_days, 0)), campaign
        created = self._business_time(self.now - DAY * age_days)
        running = [
            c
            for c in campaigns
            if c.starts_on is not None
            and c.starts_on <= created.date() <= (c.ends_on or self.today)
        ]
        chosen = running[int(pick * len(running))] if running and in_campaign < 0.6 else None
        return created, chosen

    def _owner_for(self, temperature: str, locale: Locale) -> User:
        # Hot leads go up to the senior rep, cold ones down to the junior;
        # Turkish and Spanish leads lean to the South team.
        weights = {
            Temperature.HOT: [50, 15, 35],
            Temperature.WARM: [35, 30, 35],
            Temperature.COLD: [20, 45, 35],
        }[Temperature(temperature)]
        if locale in (TURKISH, SPANISH):
            weights = [weights[0], weights[1], weights[2] * 2]
        return self.story.choices(self.reps, weights)[0]

    def _lead_history(self, arrival: _Arrival, rows: _Rows) -> None:
        index, channel, locale = arrival.index, arrival.channel, arrival.locale
        created, campaign = arrival.created, arrival.campaign
        ids = self._ids
        # Each lead draws from generators of its own: the same person for the
        # same seed and index whatever the date, and a story that only changes
        # where it reaches today, rather than every story after the first that does.
        lead_seed = (self.seed * 2**32 + index) * 2
        people = random.Random(lead_seed)
        story = self.story = random.Random(lead_seed + 1)
        pool = self.companies[locale.code]
        company = pool[int(len(pool) * people.random() ** 2)] if people.random() < 0.72 else None
        person = demo_person(people, locale, company)
        timeframe = _pick(people, self.timeframe_choices)
        # Firmographics and web engagement arrive as custom attributes; together
        # with the job title they decide how well the lead fits (see _buying_fit).
        web_visits = int(people.expovariate(1 / 3))

        # What happened: drawn from ``story``.
        temperature = temperature_for_timeframe(timeframe)
        score_base = {Temperature.HOT: 62, Temperature.WARM: 40, Temperature.COLD: 12}[temperature]
        rep_entered = channel.slug in REP_ENTERED_CHANNELS
        unassigned = not rep_entered and story.random() < 0.08
        owner = None if unassigned else self._owner_for(temperature, locale)
        custom: dict[str, Any] = {}
        external_id = ""
        if channel.slug == "import":
            external_id = f"IMP-{created.year}-{index + 1:06d}"
        elif channel.slug in {"api", "third-party"}:
            external_id = f"ext-{story.getrandbits(40):010x}"
        custom["web_visits"] = web_visits
        if company is not None:
            custom["employees"] = company.employees
            custom["industry"] = company.industry
        if channel.slug == "social":
            custom["utm_source"] = story.choice(("linkedin", "instagram", "x"))
        elif channel.slug == "web-form":
            custom["page"] = story.choice(("/pricing", "/contact", "/demo", "/webinar"))

        lead = Lead(
            id=ids.lead.take(),
            first_name=person.first_name,
            last_name=person.last_name,
            email=person.email,
            phone=person.phone,
            company_name=company.name if company else "",
            job_title=person.job_title,
            street=person.street,
            city=person.city,
            postal_code=person.postal_code,
            region=person.region,
            country=locale.country,
            language=locale.language,
            purchase_timeframe=timeframe,
            external_id=external_id,
            custom=custom,
            channel_id=channel.pk,
            campaign_id=campaign.pk if campaign else None,
            status=LeadStatus.NEW,
            temperature=temperature,
            funnel_class=FunnelClass.SUSPECT,
            origin_class=channel.origin_class,
            score=0,
            owner_id=owner.pk if owner else None,
            team_id=owner.team_id
            if owner
            else (self.north if story.random() < 0.5 else self.south).pk,
            created_at=created,
            updated_at=created,
        )
        rows.leads.append(lead)
        history = _LeadStory(self, rows, lead, person, company, owner, created)
        creator = (
            owner
            if rep_entered
            else (self.users["mia"] if channel.slug in {"import", "event"} else None)
        )
        self._event(
            rows,
            EventKind.CREATED,
            created,
            creator,
            CHANNEL_INTERFACE[channel.slug],
            lead=lead,
            to_value=LeadStatus.NEW,
        )
        if owner is not None:
            if rep_entered:
                self._event(
                    rows,
                    EventKind.OWNER_CHANGED,
                    created,
                    creator,
                    Interface.UI,
                    lead=lead,
                    to_value=owner.pk,
                )
            else:
                # Routing: lead_assign a few minutes after the lead came in.
                history.lead_change(created + datetime.timedelta(minutes=1 + story.random() * 20))
                self._event(
                    rows,
                    EventKind.OWNER_CHANGED,
                    history.clock,
                    None,
                    Interface.SYSTEM,
                    lead=lead,
                    to_value=owner.pk,
                )
        history.fit = _buying_fit(person.job_title, company, web_visits, temperature)
        history.play(score_base)


# Words in the demo job titles (every locale) of people who sign.
DECISION_MAKER_WORDS = (
    "director",
    "directora",
    "cyfarwyddwr",
    "founder",
    "fundador",
    "fundadora",
    "kurucu",
    "genel",
    "gerente",
    "head",
    "pennaeth",
)


def _buying_fit(
    job_title: str, company: DemoCompany | None, web_visits: int, temperature: str
) -> float:
    """How much likelier than usual this lead is to convert and to win.

    An interaction, as in real sales: a decision maker at a mid-sized company
    buys; either alone does not help much. Repeated website visits matter only
    for leads not already hot. This is the learnable signal beyond temperature
    that the scoring benchmark measures.
    """
    title = job_title.lower()
    decision_maker = any(word in title for word in DECISION_MAKER_WORDS)
    mid_sized = company is not None and 20 <= company.employees <= 500
    if decision_maker and mid_sized:
        fit = 2.2
    elif mid_sized:
        fit = 1.0
    elif decision_maker:
        fit = 0.7
    else:
        fit = 0.45
    if web_visits >= 4 and temperature != Temperature.HOT:
        fit *= 1.5
    return fit


class _LeadStory:
    """Plays one lead's history forward from its creation, stopping at now."""

    def __init__(
        self,
        seeder: DemoSeeder,
        rows: _Rows,
        lead: Lead,
        person: DemoPerson,
        company: DemoCompany | None,
        owner: User | None,
        created: datetime.datetime,
    ) -> None:
        self.seeder = seeder
        self.rows = rows
        self.lead = lead
        self.person = person
        self.company = company
        self.owner = owner
        self.clock = created
        self.story = seeder.story
        self.now = seeder.now
        self.fit = 1.0

    # -- small steps -------------------------------------------------------------

    def touch(self, at: datetime.datetime) -> None:
        """The lead row changed at ``at``."""
        self.clock = at
        self.lead.updated_at = at

    def lead_change(self, at: datetime.datetime) -> None:
        self.touch(at)
        self.lead.version += 1

    def later(self, mean_days: float, minimum_hours: float = 0.5) -> datetime.datetime:
        days = self.story.expovariate(1 / mean_days)
        return self.clock + max(DAY * days, HOUR * minimum_hours)

    def set_status(
        self,
        at: datetime.datetime,
        status: str,
        kind: str = EventKind.STATUS_CHANGED,
        data: dict[str, Any] | None = None,
    ) -> None:
        previous = self.lead.status
        self.lead.status = status
        self.lead_change(at)
        self.seeder._event(
            self.rows,
            kind,
            at,
            self.owner,
            Interface.UI,
            lead=self.lead,
            from_value=previous,
            to_value=status,
            data=data,
        )

    def set_funnel(self, at: datetime.datetime, funnel_class: str) -> None:
        previous = self.lead.funnel_class
        self.lead.funnel_class = funnel_class
        self.lead_change(at)
        self.seeder._event(
            self.rows,
            EventKind.FUNNEL_CLASS_CHANGED,
            at,
            self.owner,
            Interface.UI,
            lead=self.lead,
            from_value=previous,
            to_value=funnel_class,
        )

    def activity(
        self,
        kind: str,
        subject: str,
        *,
        logged_at: datetime.datetime,
        done: bool,
        due_at: datetime.datetime | None = None,
        outcome: str = "",
        deal: Deal | None = None,
        contact: Contact | None = None,
        by: User | None = None,
    ) -> None:
        """Log a done activity or plan one (``due_at``), as ``activity_create`` would."""
        owner = self.owner
        assert owner is not None
        actor = by or owner
        on_lead = deal is None and contact is None
        activity_id = self.seeder._ids.activity.take()
        # Values for ACTIVITY_COLUMNS; rows, not instances, for the same reason as events.
        self.rows.activities.append(
            (
                activity_id,
                kind,
                subject[:255],
                "",
                self.lead.id if on_lead else None,
                contact.id if contact is not None else None,
                deal.id if deal is not None else None,
                owner.id,
                owner.team_id,
                1,
                due_at or (logged_at if kind == ActivityKind.TASK and done else None),
                logged_at if done else None,
                outcome,
                actor.id,
                logged_at,
                logged_at,
            )
        )
        subjects: dict[str, Any] = (
            {"lead": self.lead} if on_lead else {"contact": contact, "deal": deal}
        )
        self.seeder._event(
            self.rows,
            EventKind.ACTIVITY_LOGGED,
            logged_at,
            actor,
            Interface.UI,
            to_value=kind,
            data={"activity_id": activity_id, "done": done},
            **subjects,
        )
        if on_lead and done and self.lead.status == LeadStatus.NEW:
            # What lead_mark_working does when the first activity is logged.
            self.set_status(logged_at, LeadStatus.WORKING)

    def plan_next(
        self, due: datetime.datetime, *, deal: Deal | None = None, contact: Contact | None = None
    ) -> None:
        """A to-do for the owner's task list, planned at the last step (or by the head of sales)."""
        story = self.story
        template = story.choice(PLANNED_TASKS)
        subject = template.format(
            name=self.lead.full_name, company=self.lead.company_name or self.lead.full_name
        )
        assigned_by = None
        if story.random() < 0.12 and self.owner is not None and self.owner.team_id:
            assigned_by = self.seeder.heads.get(self.owner.team_id)
        self.activity(
            ActivityKind.TASK if "Prepare" in template or "Send" in template else ActivityKind.CALL,
            subject,
            logged_at=min(self.clock, self.now),
            done=False,
            due_at=due,
            deal=deal,
            contact=contact,
            by=assigned_by,
        )

    def plan_soon(self, *, deal: Deal | None = None, contact: Contact | None = None) -> None:
        """Most open work has a next step; a few are overdue."""
        story = self.story
        roll, offset = story.random(), story.random()
        if roll < 0.12:
            overdue = max(self.now - DAY * (0.5 + offset * 5), self.clock + HOUR)
            self.plan_next(overdue, deal=deal, contact=contact)
        elif roll < 0.75:
            due = self.now + DAY * (offset * 14) + HOUR * 2
            self.plan_next(
                due.replace(minute=0, second=0, microsecond=0), deal=deal, contact=contact
            )

    # -- the whole story -----------------------------------------------------------

    def play(self, score_base: int) -> None:
        story, lead, now = self.story, self.lead, self.now
        lead.score = max(0, min(100, score_base + int(story.gauss(0, 12))))
        if self.owner is None:
            return  # still in the queue
        temperature = lead.temperature
        roll = story.random()
        p_convert = {Temperature.HOT: 0.4, Temperature.WARM: 0.24, Temperature.COLD: 0.09}[
            Temperature(temperature)
        ]
        p_convert = min(p_convert * self.fit, 0.6)
        if roll < p_convert:
            outcome = "convert"
        elif roll < p_convert + 0.2:
            outcome = "reject"
        elif roll < p_convert + 0.26:
            outcome = "postpone"
        elif roll < p_convert + 0.42:
            outcome = "nurture"
        elif roll < p_convert + 0.46:
            outcome = "neglected"
        else:
            outcome = "open"

        # Sometimes the head of sales gives the lead to someone else early on.
        reassign_roll, reassign_at = story.random(), self.later(0.3)
        if reassign_roll < 0.07 and reassign_at <= now:
            previous = self.owner
            others = [rep for rep in self.seeder.reps if rep.pk != previous.pk]
            new_owner = others[int(story.random() * len(others))]
            head = self.seeder.heads.get(previous.team_id) if previous.team_id else None
            self.owner = new_owner
            lead.owner_id, lead.team_id = new_owner.pk, new_owner.team_id
            self.lead_change(reassign_at)
            self.seeder._event(
                self.rows,
                EventKind.OWNER_CHANGED,
                reassign_at,
                head,
                Interface.UI,
                lead=lead,
                from_value=previous.pk,
                to_value=new_owner.pk,
                data={"reason": story.choice(REASSIGN_REASONS)},
            )

        if outcome == "reject" and story.random() < 0.3:
            at = self.later(0.4)
            if at <= now:
                lead.rejection_reason = story.choice(REJECTION_REASONS_UNWORKED)
                self.set_status(
                    at, LeadStatus.REJECTED, EventKind.REJECTED, {"reason": lead.rejection_reason}
                )
            return
        if outcome == "neglected":
            return  # assigned but never touched: the backlog a head of sales should see

        # First touch: hot leads get a call within hours, cold ones within days.
        mean = {Temperature.HOT: 0.12, Temperature.WARM: 0.4, Temperature.COLD: 1.2}[
            Temperature(temperature)
        ]
        first_touch = self.later(mean, minimum_hours=0.1)
        if first_touch > now:
            self.plan_next(first_touch)
            return
        self.clock = first_touch
        if lead.phone:
            self.activity(
                ActivityKind.CALL,
                f"Intro call with {lead.full_name}",
                logged_at=first_touch,
                done=True,
                outcome=story.choice(CALL_OUTCOMES),
            )
        else:
            self.activity(
                ActivityKind.EMAIL,
                f"Replied to the enquiry from {lead.full_name}",
                logged_at=first_touch,
                done=True,
                outcome=story.choice(EMAIL_OUTCOMES),
            )
        if outcome != "reject":
            self.set_funnel(first_touch + datetime.timedelta(minutes=10), FunnelClass.MQL)
            lead.score = min(100, lead.score + 8)

        next_step = self.later(4)
        if next_step > now:
            self.plan_next(next_step)
            return
        self.clock = next_step
        if outcome == "reject":
            lead.rejection_reason = story.choice(REJECTION_REASONS)
            self.set_status(
                next_step,
                LeadStatus.REJECTED,
                EventKind.REJECTED,
                {"reason": lead.rejection_reason},
            )
            return
        if outcome == "nurture":
            self.set_status(next_step, LeadStatus.NURTURING)
            self.activity(
                ActivityKind.MAILING, "Added to the nurture mailing", logged_at=next_step, done=True
            )
            if story.random() < 0.3:
                self.plan_next(self.now + DAY * (20 + story.random() * 60))
            return
        if outcome == "postpone":
            until = self.seeder.today + DAY * int(7 + story.random() * 110)
            lead.postponed_until = until
            self.set_status(
                next_step,
                LeadStatus.POSTPONED,
                EventKind.POSTPONED,
                {"until": until.isoformat(), "reason": story.choice(POSTPONE_REASONS)},
            )
            return
        company = lead.company_name or lead.full_name
        self.activity(
            ActivityKind.MEETING,
            f"Needs-assessment meeting: {company}",
            logged_at=next_step,
            done=True,
            outcome=story.choice(MEETING_OUTCOMES),
        )
        if outcome == "open":
            if story.random() < 0.4:
                self.set_funnel(next_step + HOUR, FunnelClass.SQL)
            self.plan_soon()
            return
        self.set_funnel(next_step + HOUR, FunnelClass.SQL)
        lead.score = min(100, lead.score + 15)
        converted_at = self.later(7)
        if converted_at > now:
            self.plan_next(converted_at)
            return
        self.convert(converted_at)

    def convert(self, at: datetime.datetime) -> None:
        """What lead_convert writes, at ``at``: company, contact, deal, then the deal's life."""
        seeder, story, lead, rows = self.seeder, self.story, self.lead, self.rows
        ids = seeder._ids
        owner = self.owner
        assert owner is not None
        if lead.temperature == Temperature.HOT and story.random() < 0.25:
            # A big customer goes to the senior rep; the lead keeps its owner.
            owner = seeder.users["rhys"]
        self.owner = owner
        demo_company = self.company
        company: Company | None = None
        company_created = False
        if demo_company is not None:
            if demo_company.pk is None:
                demo_company.pk = ids.company.take()
                company = Company(
                    id=demo_company.pk,
                    name=demo_company.name,
                    normalized_name=normalise_company_name(demo_company.name),
                    domain=demo_company.domain,
                    phone=demo_company.phone,
                    industry=demo_company.industry,
                    employees=demo_company.employees,
                    street=demo_company.street,
                    city=demo_company.city,
                    postal_code=demo_company.postal_code,
                    region=demo_company.region,
                    country=demo_company.locale.country,
                    owner_id=owner.pk,
                    team_id=owner.team_id,
                    created_at=at,
                    updated_at=at,
                )
                rows.companies.append(company)
                company_created = True
                seeder._event(rows, EventKind.CREATED, at, owner, Interface.UI, company=company)
            else:
                company = Company(id=demo_company.pk)
        contact = seeder._contact_by_email.get(lead.email) if lead.email else None
        contact_created = contact is None
        if contact is None:
            contact = Contact(
                id=ids.contact.take(),
                first_name=lead.first_name,
                last_name=lead.last_name,
                email=lead.email,
                phone=lead.phone,
                job_title=lead.job_title,
                language=lead.language,
                street=lead.street,
                city=lead.city,
                postal_code=lead.postal_code,
                region=lead.region,
                country=lead.country,
                company_id=company.pk if company else None,
                source_lead_id=lead.pk,
                converted_at=at,
                custom=dict(lead.custom),
                owner_id=owner.pk,
                team_id=owner.team_id,
                created_at=at,
                updated_at=at,
            )
            rows.contacts.append(contact)
            if lead.email:
                seeder._contact_by_email[lead.email] = contact
            seeder._event(rows, EventKind.CREATED, at, owner, Interface.UI, contact=contact)

        first_stage = seeder.open_stages[0]
        estimate = Decimal(int(1500 + story.lognormvariate(8.6, 0.9)) // 50 * 50)
        deal = Deal(
            id=ids.deal.take(),
            title=f"{lead.company_name or lead.full_name}: {story.choice(PRODUCTS)}",
            pipeline_id=seeder.pipeline.pk,
            stage_id=first_stage.pk,
            status=DealStatus.OPEN,
            amount=estimate if story.random() < 0.7 else None,
            currency=settings.LEADFLOW_CURRENCY,
            contact_id=contact.pk,
            company_id=company.pk if company else contact.company_id,
            lead_id=lead.pk,
            expected_close_on=(at + DAY * (30 + story.random() * 60)).date(),
            stage_entered_at=at,
            owner_id=owner.pk,
            team_id=owner.team_id,
            created_at=at,
            updated_at=at,
        )
        rows.deals.append(deal)
        seeder._event(
            rows, EventKind.CREATED, at, owner, Interface.UI, deal=deal, to_value=first_stage.pk
        )

        previous_status = lead.status
        lead.status = LeadStatus.CONVERTED
        lead.converted_at = at
        lead.contact_id = contact.pk
        lead.deal_id = deal.pk
        self.lead_change(at)
        seeder._event(
            rows,
            EventKind.CONVERTED,
            at,
            self.owner,
            Interface.UI,
            lead=lead,
            contact=contact,
            deal=deal,
            from_value=previous_status,
            to_value=LeadStatus.CONVERTED,
            data={
                "contact_created": contact_created,
                "company_created": company_created,
                "company_id": company.pk if company else None,
                "days_to_convert": (at - lead.created_at).days,
            },
        )
        self.deal_history(deal, contact, estimate)

    def deal_history(self, deal: Deal, contact: Contact, estimate: Decimal) -> None:
        """Move the deal through the stages until it is won, lost, or now arrives."""
        seeder, story, now, rows = self.seeder, self.story, self.now, self.rows
        stages = seeder.open_stages
        roll = story.random()
        p_won = {Temperature.HOT: 0.5, Temperature.WARM: 0.4, Temperature.COLD: 0.28}[
            Temperature(self.lead.temperature)
        ]
        p_won = min(p_won * self.fit, 0.85)
        last = len(stages) - 1
        if roll < p_won:
            ending, target = "won", last if story.random() < 0.5 else last - 1
        elif roll < p_won + 0.3:
            ending, target = "lost", int(story.random() * last)
        else:
            ending, target = "open", int(story.random() * len(stages))
        clock = deal.created_at
        current = 0
        owner = self.owner

        def move(to: Stage, at: datetime.datetime) -> None:
            seeder._event(
                rows,
                EventKind.STAGE_CHANGED,
                at,
                owner,
                Interface.UI,
                deal=deal,
                from_value=deal.stage_id,
                to_value=to.pk,
            )
            deal.stage_id = to.pk
            deal.stage_entered_at = at
            deal.updated_at = at
            deal.version += 1

        for step in range(1, target + 1):
            skip = story.random() < 0.12 and step < target
            at = clock + max(DAY * story.expovariate(1 / STAGE_MEAN_DAYS[current]), HOUR * 2)
            if at > now:
                ending = "open"
                break
            if skip:
                continue
            clock = at
            move(stages[step], at)
            current = step
            slug = stages[step].slug
            if slug == "needs-assessment":
                self.activity(
                    ActivityKind.MEETING,
                    f"Needs assessment: {deal.title}",
                    logged_at=at,
                    done=True,
                    outcome=story.choice(MEETING_OUTCOMES),
                    deal=deal,
                    contact=contact,
                )
            elif slug == "presentation":
                self.activity(
                    ActivityKind.PROPOSAL,
                    f"Proposal: {deal.title}",
                    logged_at=at,
                    done=True,
                    outcome=story.choice(PROPOSAL_OUTCOMES),
                    deal=deal,
                    contact=contact,
                )
            elif slug == "closing":
                self.activity(
                    ActivityKind.CALL,
                    f"Closing call: {deal.title}",
                    logged_at=at,
                    done=True,
                    outcome="Agreed terms",
                    deal=deal,
                    contact=contact,
                )
        if ending != "open":
            closed_at = clock + max(DAY * story.expovariate(1 / 4), HOUR * 2)
            if closed_at > now:
                ending = "open"
            else:
                self.clock = closed_at
                if ending == "won":
                    amount = (
                        estimate * Decimal(str(round(0.8 + story.random() * 0.3, 2)))
                    ).quantize(Decimal("0.01"))
                    deal.amount = amount
                    move(seeder.won_stage, closed_at)
                    deal.status = DealStatus.WON
                    self.lead.outcome = Outcome.WON  # what deal_win records on the lead
                    seeder._event(
                        rows,
                        EventKind.WON,
                        closed_at,
                        owner,
                        Interface.UI,
                        deal=deal,
                        from_value=DealStatus.OPEN,
                        to_value=DealStatus.WON,
                        data={"amount": str(amount)},
                    )
                else:
                    deal.lost_reason = story.choice(LOST_REASONS)
                    move(seeder.lost_stage, closed_at)
                    deal.status = DealStatus.LOST
                    self.lead.outcome = Outcome.LOST
                    seeder._event(
                        rows,
                        EventKind.LOST,
                        closed_at,
                        owner,
                        Interface.UI,
                        deal=deal,
                        from_value=DealStatus.OPEN,
                        to_value=DealStatus.LOST,
                        data={"reason": deal.lost_reason},
                    )
                deal.closed_at = closed_at
        if ending == "open":
            self.clock = clock
            self.plan_soon(deal=deal, contact=contact)
