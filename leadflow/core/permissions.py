"""Who may see and change which rows.

Every user-visible query starts from ``Model.objects.visible_to(user, action)``;
this module holds the one rule those querysets apply.

| role          | view                                   | change                         |
|---------------|----------------------------------------|--------------------------------|
| admin         | everything                             | everything                     |
| head_of_sales | own team's rows, own rows, unassigned  | the same                       |
| sales_rep     | own rows and own team's rows           | own rows only                  |
| marketer      | every lead, contact, company, activity | own rows and unassigned rows   |
|               | and deal (deal amounts only on own)    |                                |

"Unassigned" means no owner and no team: the queue routing has not placed yet.
A team's pool (team set, no owner) belongs to that team.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from django.db.models import Q

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from leadflow.accounts.models import User

Action = Literal["view", "change"]

NOTHING = Q(pk__in=[])


def scope_q(
    user: User | AnonymousUser,
    action: Action = "view",
    *,
    owner: str = "owner",
    team: str = "team",
) -> Q:
    """The filter that limits a queryset to the rows ``user`` may ``action``."""
    if not user.is_authenticated or not user.is_active:
        return NOTHING
    if user.is_admin:
        return Q()
    own = Q(**{f"{owner}_id": user.pk})
    same_team = Q(**{f"{team}_id": user.team_id}) if user.team_id else NOTHING
    unassigned = Q(**{f"{owner}__isnull": True, f"{team}__isnull": True})
    if user.is_head_of_sales:
        return own | same_team | unassigned
    if user.is_sales_rep:
        return own | same_team if action == "view" else own
    if user.is_marketer:
        return Q() if action == "view" else own | unassigned
    return NOTHING


def can_see_deal_amount(user: User | AnonymousUser, owner_id: int | None) -> bool:
    """Marketers measure campaigns, not other people's deal sizes."""
    if not user.is_authenticated:
        return False
    return not user.is_marketer or owner_id == user.pk
