"""Reads of users: who may be given a record, and names for ids in histories."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from leadflow.accounts.models import Role, User


def assignable_users(*, actor: User) -> QuerySet[User]:
    """People ``actor`` may make responsible for a record.

    Admins and heads of sales give work to any active salesperson; everyone
    else can only take work themselves.
    """
    queryset = User.objects.filter(is_active=True).select_related("team")
    if actor.is_admin or actor.is_head_of_sales:
        queryset = queryset.filter(role__in=[Role.SALES_REP, Role.HEAD_OF_SALES])
    else:
        queryset = queryset.filter(pk=actor.pk)
    return queryset.order_by("first_name", "last_name", "username")


def users_by_id(ids: Iterable[int]) -> dict[int, User]:
    """Users by primary key, for showing names where histories store ids."""
    wanted = {pk for pk in ids if pk}
    if not wanted:
        return {}
    return {user.pk: user for user in User.objects.filter(pk__in=wanted)}
