"""Test data factories. Writes go through the services, as in the product."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from leadflow.accounts.models import Role, Team, User
from leadflow.activities.models import Activity
from leadflow.activities.services import activity_create
from leadflow.intake.models import Channel
from leadflow.leads.models import Lead
from leadflow.leads.services import lead_create
from leadflow.sales.models import Company, Contact, Deal
from leadflow.sales.services import company_create, contact_create, deal_create


def make_team(name: str) -> Team:
    return Team.objects.get_or_create(slug=name.lower(), defaults={"name": name})[0]


def make_user(username: str, role: str = Role.SALES_REP, team: Team | None = None) -> User:
    """A user who logs in with the password "password"."""
    user = User(
        username=username,
        role=role,
        team=team,
        first_name=username.capitalize(),
        email=f"{username}@example.com",
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    user.set_password("password")
    user.save()
    return user


def channel(slug: str = "web-form") -> Channel:
    return Channel.objects.get(slug=slug)


_lead_counter = iter(range(1, 10**9))


def make_lead(*, actor: User | None = None, channel_slug: str = "web-form", **fields: Any) -> Lead:
    n = next(_lead_counter)
    fields.setdefault("first_name", "Ada")
    fields.setdefault("last_name", f"Lovelace{n}")
    if not any(fields.get(k) for k in ("email", "phone", "street")):
        fields["email"] = f"ada{n}@example.com"
    return lead_create(actor=actor, channel=channel(channel_slug), **fields)


def make_company(*, owner: User | None = None, **fields: Any) -> Company:
    fields.setdefault("name", f"Company {next(_lead_counter)}")
    return company_create(actor=owner, owner=owner, **fields)


def make_contact(*, owner: User | None = None, **fields: Any) -> Contact:
    n = next(_lead_counter)
    fields.setdefault("first_name", "Grace")
    fields.setdefault("last_name", f"Hopper{n}")
    fields.setdefault("email", f"grace{n}@example.com")
    return contact_create(actor=owner, owner=owner, **fields)


def make_deal(*, owner: User | None = None, **fields: Any) -> Deal:
    fields.setdefault("title", f"Deal {next(_lead_counter)}")
    fields.setdefault("amount", Decimal("1000.00"))
    return deal_create(actor=owner, owner=owner, **fields)


def make_activity(*, owner: User | None = None, **fields: Any) -> Activity:
    fields.setdefault("kind", "call")
    fields.setdefault("subject", "Call back")
    return activity_create(actor=owner, owner=owner, **fields)
