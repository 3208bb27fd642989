"""Users, teams and API tokens."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from leadflow.accounts.models import ApiToken, Role, Team, User, hash_token, new_raw_token
from leadflow.core.rows import RowReader
from leadflow.core.services import audit_record, snapshot


def team_get_or_create(*, name: str) -> Team:
    name = name.strip()
    if not name:
        raise ValidationError({"team": _("A team needs a name.")})
    team = (
        Team.objects.filter(name__iexact=name).first()
        or Team.objects.filter(slug=slugify(name)).first()
    )
    if team is None:
        team = Team.objects.create(
            name=name, slug=slugify(name) or f"team-{Team.objects.count() + 1}"
        )
    return team


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    role: str,
    password: str | None = None,
    team: Team | None = None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    tier: int | None = None,
    check_password: bool = True,
) -> User:
    """Create a user with a role. Without a password the account cannot log in until one is set."""
    if role not in Role.values:
        raise ValidationError(
            {"role": _("Choose one of: %(roles)s.") % {"roles": ", ".join(Role.values)}}
        )
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(
            {"username": _("The username “%(name)s” is taken.") % {"name": username}}
        )
    user = User(
        username=username,
        role=role,
        team=team,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )
    if tier is not None:
        user.tier = tier
    if password:
        if check_password:
            validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    audit_record(
        actor=actor,
        action="user.create",
        obj=user,
        after=snapshot(user, ["username", "role", "team"]),
    )
    return user


@transaction.atomic
def token_create(*, actor: User | None, user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new API token; the raw value is returned once and never stored."""
    raw = new_raw_token()
    token = ApiToken.objects.create(user=user, name=name, key_hash=hash_token(raw), hint=raw[:10])
    audit_record(
        actor=actor, action="token.create", obj=token, after={"user": user.pk, "name": name}
    )
    return token, raw


# Every API request authenticates: one prepared look-up with the user and their team.
_TOKEN_BY_HASH = RowReader(
    ApiToken, 't."key_hash" = %s AND t."revoked_at" IS NULL', related=["user", "user__team"]
)


def token_authenticate(raw: str) -> User | None:
    """The active user a bearer token belongs to, or None."""
    if not raw.startswith("lf_"):
        return None
    token = _TOKEN_BY_HASH.first(hash_token(raw))
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    # Writing on every request would serialise API readers on SQLite; a minute is precise enough.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def token_revoke(*, actor: User | None, token: ApiToken) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action="token.revoke", obj=token)
