from __future__ import annotations

import time
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from leadflow.accounts.models import User
from leadflow.core.bulk import ReservedIdTaken
from leadflow.core.demo import (
    DEFAULT_DEMO_LEADS,
    DEFAULT_DEMO_SEED,
    DEMO_LOGINS,
    DEMO_PASSWORD,
    DemoSeeder,
    DemoSummary,
)
from leadflow.core.management.base import LeadflowCommand
from leadflow.leads.models import Lead


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


class Command(LeadflowCommand):
    help = (
        "Load demo data: the demo logins and a year of leads, activities, deals and events. "
        f"Defaults to {DEFAULT_DEMO_LEADS:,} leads (a few seconds); "
        "100,000 take well under a minute on SQLite."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--leads",
            type=_count,
            default=DEFAULT_DEMO_LEADS,
            help=f"How many leads to create (default {DEFAULT_DEMO_LEADS}).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_DEMO_SEED,
            help="Random seed; the same seed gives the same people (default %(default)s).",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when there are leads already (for `make demo`).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and Lead.objects.exists():
            self.stdout.write(_("There are leads already; leaving the data as it is."))
            self._print_logins()
            return
        started = time.perf_counter()
        seeder = DemoSeeder(leads=options["leads"], seed=options["seed"])
        verbosity = options["verbosity"]

        def progress(done: int, total: int) -> None:
            if verbosity >= 2:
                self.stdout.write(
                    _("%(done)s of %(total)s leads (%(seconds).1f s)")
                    % {
                        "done": f"{done:,}",
                        "total": f"{total:,}",
                        "seconds": time.perf_counter() - started,
                    }
                )

        try:
            summary = seeder.run(progress=progress)
        except (LookupError, ReservedIdTaken) as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.perf_counter() - started
        self._print_summary(summary, elapsed, verbosity)
        self._print_logins()

    def _print_summary(self, summary: DemoSummary, elapsed: float, verbosity: int) -> None:
        write = self.stdout.write
        if summary.users_created:
            write(
                _("Created the demo logins: %(names)s.")
                % {"names": ", ".join(summary.users_created)}
            )
        write(
            _(
                "Created %(leads)s leads, %(contacts)s contacts, %(companies)s companies, "
                "%(deals)s deals, %(activities)s activities and %(events)s events "
                "in %(seconds).1f s."
            )
            % {
                "leads": f"{summary.leads:,}",
                "contacts": f"{summary.contacts:,}",
                "companies": f"{summary.companies:,}",
                "deals": f"{summary.deals:,}",
                "activities": f"{summary.activities:,}",
                "events": f"{summary.events:,}",
                "seconds": elapsed,
            }
        )
        if verbosity >= 2:
            for title, counter in (
                (_("Leads by status"), summary.leads_by_status),
                (_("Deals by status"), summary.deals_by_status),
                (_("Events by kind"), summary.events_by_kind),
            ):
                write(f"{title}: " + ", ".join(f"{k} {n:,}" for k, n in counter.most_common()))

    def _print_logins(self) -> None:
        existing = {
            user.username: user
            for user in User.objects.filter(username__in=[login.username for login in DEMO_LOGINS])
        }
        if not existing:
            self.stdout.write(_("No demo logins exist on this installation."))
            return
        self.stdout.write("")
        self.stdout.write(
            _("Demo logins (password “%(password)s” unless someone changed it):")
            % {"password": DEMO_PASSWORD}
        )
        for login in DEMO_LOGINS:
            user = existing.get(login.username)
            if user is None:
                continue
            team = f", {user.team}" if user.team_id else ""
            self.stdout.write(f"  {login.username:<8} {user.get_role_display()}{team}")
