from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser

from leadflow.accounts.models import Role
from leadflow.accounts.services import team_get_or_create, user_create
from leadflow.core.management.base import LeadflowCommand


class Command(LeadflowCommand):
    help = "Create a Leadflow user with a role (and a team)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--team", help="Team name; created if it does not exist.")
        parser.add_argument(
            "--password", help="Without one the user cannot log in until it is set."
        )
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            team = team_get_or_create(name=options["team"]) if options["team"] else None
            user = user_create(
                actor=None,
                username=options["username"],
                role=options["role"],
                password=options["password"],
                team=team,
                email=options["email"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        team_text = f" in team {team}" if team else ""
        self.stdout.write(f"Created {user.role} {user.username}{team_text}.")
