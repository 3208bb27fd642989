"""Reading helpers shared by every app's selectors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from leadflow.identity.normalise import normalise_phone

if TYPE_CHECKING:
    from leadflow.accounts.models import User

QS = TypeVar("QS", bound=QuerySet[Any])


def owner_q(value: str | int | None, user: User) -> Q:
    """``owner`` filter: a user id, "me", or "none" for the unassigned."""
    if value in (None, ""):
        return Q()
    if value == "me":
        return Q(owner_id=user.pk)
    if value == "none":
        return Q(owner__isnull=True)
    text = str(value)
    # ASCII digits only, and few enough for a 64-bit id ("²".isdigit() is true).
    if not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise ValidationError({"owner": _("Give a user id, “me” or “none”.")})
    return Q(owner_id=int(text))


def person_search_q(q: str, *, region: str, company_field: str = "company_name") -> Q:
    """Free-text search over a person: e-mail, phone, name or company.

    An e-mail address or phone number is matched exactly on its normalised
    form (an index look-up); other text matches names and company names.
    """
    q = q.strip()
    if not q:
        return Q()
    if "@" in q:
        # Addresses are stored lower-case; a range (not LIKE, which SQLite
        # cannot serve from an index) finds every address with this prefix.
        prefix = q.lower()
        return Q(email__gte=prefix, email__lt=prefix + "\U0010ffff")
    digits = sum(ch.isdigit() for ch in q)
    if digits >= 6 and digits >= len(q.replace(" ", "")) - 3:
        try:
            return Q(phone=normalise_phone(q, region=region))
        except ValidationError:
            return Q(phone__contains="".join(ch for ch in q if ch.isdigit()))
    condition = Q()
    for word in q.split()[:4]:
        condition &= (
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(**{f"{company_field}__icontains": word})
        )
    return condition


def choice_filter(
    queryset: QuerySet[Any], field: str, value: str, choices: list[str]
) -> QuerySet[Any]:
    if not value:
        return queryset
    if value not in choices:
        raise ValidationError(
            {field: _("Choose one of: %(choices)s.") % {"choices": ", ".join(choices)}}
        )
    return queryset.filter(**{field: value})


def check_ordering(ordering: str, allowed: tuple[str, ...]) -> str:
    if ordering.lstrip("-") not in allowed:
        raise ValidationError(
            {
                "ordering": _("Order by one of: %(fields)s (prefix “-” for descending).")
                % {"fields": ", ".join(allowed)}
            }
        )
    return ordering
