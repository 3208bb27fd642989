"""The database ``leadflow bench dedupe --part scale`` measures: many leads and their match keys.

Only what matching reads: leads with the demo's people (names, e-mail
addresses, phone numbers, companies and addresses in four locales, from
:mod:`leadflow.core.demo_people`), a few per cent of them the same person
arriving again with a typo, another address or a new e-mail, and each lead's
match keys made by the same code that files a lead at intake
(:func:`leadflow.identity.services.match_key_rows`).

The demo's name lists (a dozen first names and twenty surnames a locale)
are made for a few thousand leads; at a million they would make every
name a crowd and a few hundred companies with thousands of leads each,
and a duplicate scan would measure that. Here each locale also draws from
Faker's lists of first names and surnames for its country (hundreds each),
which gives companies enough names to be tens of thousands, and a company's
share of the leads falls off more gently than in the demo. No activities, deals or
events: a million demo histories take most of an hour to write, and a
duplicate scan never reads them.

Rows are generated in a forked process while this one writes them with one
prepared INSERT per table and batch (:mod:`leadflow.core.bulk`). On SQLite
the indexes of both tables are dropped while they are written and built again
at the end: one sort each instead of millions of inserts at random places of
B-trees bigger than SQLite's page cache.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import gc
import importlib
import itertools
import multiprocessing
import queue
import random
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, connections, transaction
from django.db.models import Model
from django.utils import timezone

from leadflow.core.bulk import BulkTable, IdReservation, instance_rows
from leadflow.core.database import planner_statistics_refresh
from leadflow.core.demo import CHANNEL_WEIGHTS, TIMEFRAME_WEIGHTS, demo_users_ensure
from leadflow.core.demo_people import (
    ENGLISH,
    LOCALES,
    SPANISH,
    TURKISH,
    WELSH,
    DemoCompany,
    Locale,
    demo_companies,
    demo_person,
    demo_phone,
)
from leadflow.identity.models import MatchKey
from leadflow.identity.services import KEY_FIELDS, match_key_rows
from leadflow.intake.models import Channel
from leadflow.leads.models import FunnelClass, Lead, LeadStatus
from leadflow.leads.qualification import temperature_for_timeframe

# Share of leads that are someone already in the database arriving again.
RETURNING_SHARE = 0.04
BATCH = 5000
# How many earlier people a returning one is drawn from (a sample of all so far).
_REMEMBERED = 100_000


@dataclass
class BuildSummary:
    leads: int = 0
    returning: int = 0
    keys: int = 0


@dataclass
class _Batch:
    leads: Sequence[Sequence[Any]]
    keys: Sequence[Sequence[Any]]
    returning: int


@dataclass
class _Failed:
    traceback: str


@dataclass(frozen=True)
class _Reference:
    """Rows the leads point at, read before the generator forks."""

    channels: list[tuple[int, str]]  # (id, origin class) with CHANNEL_WEIGHTS' weights
    channel_weights: list[int]
    owners: list[tuple[int, int | None]]  # (user id, team id) of the reps
    first_id: int
    now: datetime.datetime


def _typo(rng: random.Random, word: str) -> str:
    """One character changed, dropped or doubled."""
    if len(word) < 3:
        return word + "e"
    at = rng.randrange(1, len(word))
    kind = rng.random()
    if kind < 0.4:
        return word[:at] + rng.choice("aeilnorst") + word[at + 1 :]
    if kind < 0.7:
        return word[:at] + word[at + 1 :]
    return word[:at] + word[at] + word[at:]


def _returning(rng: random.Random, earlier: dict[str, str], locale: Locale) -> dict[str, str]:
    """The person of ``earlier`` again, as a second inquiry would bring them."""
    fields = dict(earlier)
    kind = rng.random()
    if kind < 0.3:
        # A private address this time, the same phone.
        local = "".join(ch for ch in fields["first_name"].lower() if ch.isalpha()) or "x"
        fields["email"] = f"{local}{rng.randint(100, 9999)}@{rng.choice(locale.personal_domains)}"
    elif kind < 0.55:
        # A typo in the surname, the same e-mail.
        fields["last_name"] = _typo(rng, fields["last_name"])
    elif kind < 0.8:
        # The same name at the same company, no e-mail this time, a new phone.
        fields["email"] = ""
        fields["phone"] = demo_phone(rng, locale.country, check=False)
    else:
        # The first name misspelt, from the same household, no phone.
        fields["first_name"] = _typo(rng, fields["first_name"])
        fields["phone"] = ""
    return fields


def _faker_names(module: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Male and female first names and surnames of one of Faker's person providers."""
    provider = importlib.import_module(f"faker.providers.person.{module}").Provider
    return (
        tuple(provider.first_names_male),
        tuple(provider.first_names_female),
        tuple(provider.last_names),
    )


def _widened(locale: Locale, module: str) -> Locale:
    """``locale`` with Faker's names for its country added to the demo's."""
    male, female, surnames = _faker_names(module)

    def union(ours: tuple[str, ...], theirs: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*ours, *theirs)))

    return dataclasses.replace(
        locale,
        male=union(locale.male, male),
        female=union(locale.female, female),
        surnames=union(locale.surnames, surnames),
    )


def bench_locales() -> tuple[Locale, ...]:
    faker_module = {ENGLISH: "en_GB", WELSH: "en_GB", TURKISH: "tr_TR", SPANISH: "es_ES"}
    return tuple(_widened(locale, faker_module[locale]) for locale in LOCALES)


def _lead_template() -> tuple[list[str], list[Any]]:
    """Column names and the values of a new lead, to copy and fill in per lead."""
    lead = Lead(id=0, status=LeadStatus.NEW, funnel_class=FunnelClass.SUSPECT, custom={})
    columns, rows = instance_rows([lead])
    return columns, list(rows[0])


def _generate(reference: _Reference, total: int, seed: int) -> Iterator[_Batch]:
    rng = random.Random(f"bench-dedupe-{seed}")
    columns, template = _lead_template()
    at = {name: index for index, name in enumerate(columns)}
    table = BulkTable(Lead, columns)
    timeframes = [value for value, _w in TIMEFRAME_WEIGHTS]
    timeframe_weights = list(itertools.accumulate(w for _v, w in TIMEFRAME_WEIGHTS))
    locales = bench_locales()
    locale_weights = list(itertools.accumulate(locale.weight for locale in locales))
    channel_weights = list(itertools.accumulate(reference.channel_weights))
    # Phone numbers are not checked with phonenumbers: that was a third of the time.
    companies: dict[str, list[DemoCompany]] = {
        locale.code: demo_companies(
            rng, locale, max(3, total * locale.weight // 100 // 8), check_phones=False
        )
        for locale in locales
    }
    remembered: list[tuple[Locale, dict[str, str]]] = []
    year = datetime.timedelta(days=365)
    start = reference.now - year
    pk = reference.first_id
    seen = 0
    for first in range(0, total, BATCH):
        leads: list[Sequence[Any]] = []
        key_sources: list[tuple[Any, ...]] = []
        returning = 0
        for index in range(first, min(first + BATCH, total)):
            if remembered and rng.random() < RETURNING_SHARE:
                locale, earlier = rng.choice(remembered)
                fields = _returning(rng, earlier, locale)
                returning += 1
            else:
                locale = rng.choices(locales, cum_weights=locale_weights)[0]
                pool = companies[locale.code]
                # Some companies have many more leads than others, the biggest a few hundred.
                company = (
                    pool[int(len(pool) * rng.random() ** 1.5)] if rng.random() < 0.72 else None
                )
                person = demo_person(rng, locale, company, check_phone=False)
                fields = {
                    "first_name": person.first_name,
                    "last_name": person.last_name,
                    "email": person.email,
                    "phone": person.phone,
                    "company_name": company.name if company else "",
                    "job_title": person.job_title,
                    "street": person.street,
                    "city": person.city,
                    "postal_code": person.postal_code,
                    "region": person.region,
                }
                # Reservoir sampling: every person so far equally likely to come back.
                seen += 1
                if len(remembered) < _REMEMBERED:
                    remembered.append((locale, fields))
                elif (slot := rng.randrange(seen)) < _REMEMBERED:
                    remembered[slot] = (locale, fields)
            channel_id, origin = rng.choices(reference.channels, cum_weights=channel_weights)[0]
            owner_id, team_id = rng.choice(reference.owners)
            timeframe = rng.choices(timeframes, cum_weights=timeframe_weights)[0]
            created = start + year * (index / total)
            row = list(template)
            for name, value in fields.items():
                row[at[name]] = value
            row[at["id"]] = pk
            row[at["country"]] = locale.country
            row[at["language"]] = locale.language
            row[at["purchase_timeframe"]] = timeframe
            row[at["temperature"]] = temperature_for_timeframe(timeframe)
            row[at["channel_id"]] = channel_id
            row[at["origin_class"]] = origin
            row[at["owner_id"]] = owner_id
            row[at["team_id"]] = team_id
            row[at["created_at"]] = row[at["updated_at"]] = created
            leads.append(row)
            key_sources.append((pk, *(fields.get(name, "") for name in KEY_FIELDS), {}))
            pk += 1
        yield _Batch(table.prepare(leads), match_key_rows(key_sources), returning)


def _generate_into(batches: Any, reference: _Reference, total: int, seed: int) -> None:
    gc.disable()  # many small objects, no cycles
    try:
        for batch in _generate(reference, total, seed):
            batches.put(batch)
        batches.put(None)
    except BaseException:
        batches.put(_Failed(traceback.format_exc()))
    finally:
        batches.close()
        batches.join_thread()


def _reference() -> _Reference:
    users = {name: user for name, (user, _created) in demo_users_ensure().items()}
    owners = [(users[name].pk, users[name].team_id) for name in ("rhys", "rosa", "sam")]
    by_slug = {channel.slug: channel for channel in Channel.objects.all()}
    channels = [(by_slug[slug].pk, by_slug[slug].origin_class) for slug, _w in CHANNEL_WEIGHTS]
    return _Reference(
        channels=channels,
        channel_weights=[weight for _slug, weight in CHANNEL_WEIGHTS],
        owners=owners,
        first_id=IdReservation(Lead).take(),
        now=timezone.now(),
    )


@contextlib.contextmanager
def _indexes_set_aside(models: list[type[Model]]) -> Iterator[None]:
    """On SQLite: the tables' indexes dropped (and foreign keys unchecked) until the block ends.

    Building an index from a million rows at once is a sort; keeping it up
    to date row by row, at random places, is most of the time a bulk load
    takes. The generated rows are valid by construction.
    """
    if connection.vendor != "sqlite":
        yield
        return
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({', '.join(['%s'] * len(tables))})",
            tables,
        )
        indexes = cursor.fetchall()
        for name, _sql in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        cursor.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_keys = ON")
            for _name, sql in indexes:
                cursor.execute(sql)


def scale_database_build(
    total: int, *, seed: int = 2026, progress: Callable[[int, int], None] | None = None
) -> BuildSummary:
    """Add ``total`` leads and their match keys to this (empty, migrated) database."""
    reference = _reference()
    columns, _template = _lead_template()
    lead_table = BulkTable(Lead, columns)
    key_table = BulkTable(MatchKey, ["value", "lead_id", "contact_id"])
    summary = BuildSummary()
    with _indexes_set_aside([Lead, MatchKey]):
        context = multiprocessing.get_context("fork")
        batches: Any = context.Queue(maxsize=4)
        connections.close_all()  # the child must not share this process's connection
        generator = context.Process(
            target=_generate_into, args=(batches, reference, total, seed), daemon=True
        )
        generator.start()
        try:
            while True:
                try:
                    item = batches.get(timeout=5)
                except queue.Empty:
                    if not generator.is_alive():
                        raise RuntimeError("The lead generator stopped unexpectedly.") from None
                    continue
                if item is None:
                    break
                if isinstance(item, _Failed):
                    raise RuntimeError(f"The lead generator failed:\n{item.traceback}")
                with transaction.atomic():
                    summary.leads += lead_table.insert(item.leads, prepared=True)
                    summary.keys += key_table.insert(item.keys)
                summary.returning += item.returning
                if progress is not None:
                    progress(summary.leads, total)
        finally:
            if generator.is_alive():
                generator.terminate()
            generator.join()
    planner_statistics_refresh()
    return summary
