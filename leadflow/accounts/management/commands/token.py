from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from leadflow.accounts.models import ApiToken, User
from leadflow.accounts.services import token_create, token_revoke
from leadflow.core.management.base import LeadflowCommand


class Command(LeadflowCommand):
    help = "Manage REST API tokens: create USERNAME | list USERNAME | revoke HINT."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser(
            "create", help="Create a token; it is printed once, as the last line."
        )
        create.add_argument("username")
        create.add_argument("--name", default="")
        listing = sub.add_parser("list", help="List a user's tokens.")
        listing.add_argument("username")
        revoke = sub.add_parser("revoke", help="Revoke a token by its hint (first characters).")
        revoke.add_argument("hint")

    def _user(self, username: str) -> User:
        try:
            return User.objects.get(username=username)
        except User.DoesNotExist as exc:
            raise CommandError(f"No user named {username!r}.") from exc

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            user = self._user(options["username"])
            if not user.is_active:
                raise CommandError(f"{user.username} is not active.")
            _token, raw = token_create(actor=None, user=user, name=options["name"])
            self.stdout.write(f"API token for {user.username} (shown once, keep it safe):")
            self.stdout.write(raw)
        elif action == "list":
            user = self._user(options["username"])
            for token in user.api_tokens.order_by("created_at"):
                state = "revoked" if token.revoked_at else "active"
                self.stdout.write(
                    f"{token.hint}…  {state}  {token.name}  created {token.created_at:%Y-%m-%d}"
                )
        else:
            matches = list(
                ApiToken.objects.filter(hint__startswith=options["hint"], revoked_at__isnull=True)
            )
            if len(matches) != 1:
                raise CommandError(
                    f"{len(matches)} active tokens match {options['hint']!r}; give more characters."
                )
            token_revoke(actor=None, token=matches[0])
            self.stdout.write(f"Revoked {matches[0].hint}….")
