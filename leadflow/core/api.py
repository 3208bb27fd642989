"""What every API router does the same way: who is asking, fetching a record
for a write, and turning the ids and slugs in a request body into rows.

Permission answers (see leadflow/core/permissions.py for who may do what):

- A record the caller may not view answers 404 ``{"detail": "Not found."}``,
  exactly as a missing one, for reads and writes alike: another team's ids
  reveal nothing.
- A record the caller may view but not change answers 403 to a write.
- An id in a request body (the lead an activity is about, a deal's contact)
  must name a record the caller may view, else 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from leadflow.core.pagination import Page

if TYPE_CHECKING:
    from leadflow.accounts.models import User

R = TypeVar("R")


def request_user(request: HttpRequest) -> User:
    """The user the request authenticated as (API operations all require one)."""
    return cast("User", request.auth)  # type: ignore[attr-defined]


def get_for_change(getter: Callable[..., R], *, user: User, pk: int) -> R:
    """The record ``getter`` returns if ``user`` may change it.

    Invisible records raise the model's ``DoesNotExist`` (404); visible but
    not changeable ones ``PermissionDenied`` (403).
    """
    try:
        return getter(user=user, pk=pk, action="change")
    except ObjectDoesNotExist:
        getter(user=user, pk=pk, action="view")
        raise PermissionDenied(_("You may view this record but not change it.")) from None


def get_linked(getter: Callable[..., R], *, user: User, pk: int | None, field: str) -> R | None:
    """The record a body field refers to, if ``user`` may view it; 404 otherwise."""
    if pk is None:
        return None
    try:
        return getter(user=user, pk=pk, action="view")
    except ObjectDoesNotExist:
        raise Http404(
            _("No %(field)s with id %(id)s was found.") % {"field": field, "id": pk}
        ) from None


def active_user(pk: int | None, *, field: str = "owner") -> User | None:
    """The active user with id ``pk`` (None for None); 422 naming ``field`` otherwise."""
    from leadflow.accounts.models import User

    if pk is None:
        return None
    user = User.objects.select_related("team").filter(pk=pk, is_active=True).first()
    if user is None:
        raise ValidationError({field: _("There is no active user with id %(id)s.") % {"id": pk}})
    return user


def new_record_owner(actor: User, owner_id: int | None) -> User:
    """Who a new record belongs to: the caller, or whom an admin or head of sales names (403)."""
    from leadflow.leads.services import can_assign

    owner = active_user(owner_id) or actor
    if not can_assign(actor, owner):
        raise PermissionDenied(_("Only the head of sales can give a record to someone else."))
    return owner


def page_out(page: Page[Any]) -> dict[str, Any]:
    return {
        "items": page.items,
        "next_cursor": page.next_cursor,
        "previous_cursor": page.previous_cursor,
    }
