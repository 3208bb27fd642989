from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from leadflow.accounts.models import ApiToken, Role, User
from leadflow.accounts.services import token_authenticate, token_create, token_revoke
from leadflow.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_createuser_makes_a_user_with_role_and_team(db: None) -> None:
    run(
        "createuser",
        "gwen",
        "--role",
        "sales_rep",
        "--team",
        "West",
        "--password",
        "a-long-pass-phrase",
    )
    user = User.objects.get(username="gwen")
    assert user.role == Role.SALES_REP and user.team is not None and user.team.name == "West"
    assert user.check_password("a-long-pass-phrase")
    assert AuditEvent.objects.get(action="user.create").interface == "cli"


def test_createuser_refuses_an_unknown_role_and_a_taken_name(db: None) -> None:
    with pytest.raises(CommandError):
        run("createuser", "gwen", "--role", "wizard")
    run("createuser", "gwen", "--role", "marketer")
    with pytest.raises(CommandError, match="taken"):
        run("createuser", "GWEN", "--role", "marketer")


def test_createuser_refuses_a_weak_password(db: None) -> None:
    with pytest.raises(CommandError):
        run("createuser", "gwen", "--role", "admin", "--password", "123")


def test_token_create_prints_a_working_token_as_its_last_line(rhys: User) -> None:
    raw = run("token", "create", "rhys").strip().splitlines()[-1]
    assert token_authenticate(raw) == rhys
    stored = ApiToken.objects.get(user=rhys)
    assert raw not in (stored.key_hash, stored.hint)


def test_revoked_tokens_and_inactive_users_are_refused(rhys: User) -> None:
    token, raw = token_create(actor=None, user=rhys)
    rhys.is_active = False
    rhys.save()
    assert token_authenticate(raw) is None
    rhys.is_active = True
    rhys.save()
    token_revoke(actor=None, token=token)
    assert token_authenticate(raw) is None
    assert token_authenticate("lf_made-up") is None
