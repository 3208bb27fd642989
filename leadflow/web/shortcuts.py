"""What every page does the same way: who is asking, fetching a record, paging links.

Permission answers match the API (see leadflow/core/api.py): a record the user
may not view is a 404, exactly as a missing one; a record they may view but
not change answers 403 to an action.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from django.core.paginator import Page as DjangoPage
    from django_htmx.middleware import HtmxDetails

    from leadflow.accounts.models import User
    from leadflow.core.pagination import Page

R = TypeVar("R")


class AuthenticatedRequest(HttpRequest):
    """The request of a page behind ``login_required``, for type checking."""

    user: User
    htmx: HtmxDetails


def get_or_404(getter: Callable[..., R], *, user: User, pk: Any, action: str = "view") -> R:
    """What the selector ``getter`` returns, or a 404 when the user may not ``action`` it."""
    try:
        return getter(user=user, pk=pk, action=action)
    except ObjectDoesNotExist:
        raise Http404(_("Not found.")) from None


def get_for_change(getter: Callable[..., R], *, user: User, pk: Any) -> R:
    """The record if the user may change it; 404 if they may not see it, 403 if only see it."""
    try:
        return getter(user=user, pk=pk, action="change")
    except ObjectDoesNotExist:
        get_or_404(getter, user=user, pk=pk)
        raise PermissionDenied(_("You may view this record but not change it.")) from None


def get_with_change_right(getter: Callable[..., R], *, user: User, pk: Any) -> tuple[R, bool]:
    """The record (404 if invisible) and whether the user may change it.

    Tries the narrower "change" scope first, so a changeable record costs one query.
    """
    try:
        return getter(user=user, pk=pk, action="change"), True
    except ObjectDoesNotExist:
        return get_or_404(getter, user=user, pk=pk), False


def url_with(request: HttpRequest, **params: Any) -> str:
    """The current URL with some query parameters replaced (None or "" drops one)."""
    query = request.GET.copy()
    for name, value in params.items():
        if value in (None, ""):
            query.pop(name, None)
        else:
            query[name] = str(value)
    encoded = query.urlencode()
    return f"{request.path}?{encoded}" if encoded else request.path


def page_links(request: HttpRequest, page: Page[Any]) -> dict[str, str | None]:
    """Links to the next and previous keyset pages, keeping the filters."""
    return {
        "next_url": url_with(request, cursor=page.next_cursor) if page.next_cursor else None,
        "previous_url": (
            url_with(request, cursor=page.previous_cursor) if page.previous_cursor else None
        ),
    }


# Short configuration lists (rules) are paged by number: a few dozen rows, whose
# place in the order matters, so "rule 26 of 40" is worth a COUNT.
LIST_PAGE_SIZE = 25


def numbered_page(
    request: HttpRequest, items: Any, *, param: str = "page", per_page: int = LIST_PAGE_SIZE
) -> tuple[DjangoPage[Any], dict[str, str | None]]:
    """One page of an ordered queryset or list (by ``?<param>=N``; a bad number gives the
    nearest page) and the links to the pages either side, keeping the other parameters."""
    page = Paginator(items, per_page).get_page(request.GET.get(param))
    return page, {
        "next_url": url_with(request, **{param: page.next_page_number()})
        if page.has_next()
        else None,
        "previous_url": url_with(request, **{param: page.previous_page_number()})
        if page.has_previous()
        else None,
    }


def is_partial(request: AuthenticatedRequest) -> bool:
    """An HTMX request for part of a page (not a history restore, which needs the whole)."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def safe_next(request: HttpRequest, default: str) -> str:
    """The ``next`` address the form came with, if it is on this site; else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
