"""The REST API, version 1, mounted at ``/api/v1/``.

Authentication: ``Authorization: Bearer <token>`` (``leadflow token create
USERNAME``), or the browser's login session — then unsafe methods need the
CSRF token in the ``X-CSRFToken`` header, as forms do.

Every answer that is not a success is JSON ``{"detail": ...}``:

| status | when |
|---|---|
| 400 | the body is not JSON |
| 401 | no valid token or session |
| 403 | the caller may view the record but not change it, may not do this action (only the head of sales gives records to others), or a session request lacks its CSRF token |
| 404 | no such record *or* one the caller may not view (another team's ids reveal nothing); no such path |
| 405 | the path exists, the method does not |
| 409 | the record changed since the caller read ``version``; ``current_version`` says what it is now |
| 422 | the request is refused field by field: ``{"detail": [{"type", "loc", "msg"}]}``, whether schema (unknown, missing, mistyped fields) or business rules found it |

Writes made here are recorded with the interface ``api`` in the audit log.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import (
    NON_FIELD_ERRORS,
    ObjectDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaValidationError
from ninja.security import HttpBearer, SessionAuth

from leadflow.accounts.api import router as accounts_router
from leadflow.accounts.services import token_authenticate
from leadflow.activities.api import router as activities_router
from leadflow.core.context import Interface, interface
from leadflow.core.exceptions import ConflictError
from leadflow.identity.api import router as duplicates_router
from leadflow.intake.api import router as inquiries_router
from leadflow.leads.api import router as leads_router
from leadflow.routing.api import router as routing_router
from leadflow.sales.api import companies_router, contacts_router, deals_router, pipelines_router
from leadflow.scoring.api import router as scoring_router

logger = logging.getLogger("leadflow.api")


class BearerToken(HttpBearer):
    """``Authorization: Bearer lf_…``: a token from ``leadflow token create``."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_authenticate(token.strip())
        if user is not None:
            request.user = user
        return user


class LoginSession(SessionAuth):
    """The web UI's login session, so pages can call the API from the browser."""

    def __call__(self, request: HttpRequest) -> Any:
        if not request.user.is_authenticated:
            # No session to protect: answer 401 rather than a CSRF failure.
            return None
        try:
            return super().__call__(request)
        except HttpError as exc:
            raise PermissionDenied(
                _("CSRF check failed: send the csrftoken cookie's value in the X-CSRFToken header.")
            ) from exc


class LeadflowAPI(NinjaAPI):
    def _get_urls(self) -> list[URLResolver | URLPattern]:
        urls = super()._get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern):
                pattern.callback = _api_view(pattern.callback)
        # Unknown paths under /api/v1/ answer JSON too, not the HTML 404 page.
        urls.append(path("<path:unknown>", _api_view(_no_such_path)))
        return urls


def _api_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Marks writes as coming from the API and answers a wrong method in JSON."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with interface(Interface.API):
            response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            response = api.create_response(
                request,
                {"detail": _("Method not allowed; use %(methods)s.") % {"methods": allowed}},
                status=405,
            )
            response["Allow"] = allowed
        return response

    return wrapper


def _no_such_path(request: HttpRequest, unknown: str) -> HttpResponse:
    return api.create_response(request, {"detail": _("Not found.")}, status=404)


api = LeadflowAPI(
    title="Leadflow API",
    version="1",
    description=__doc__ or "",
    urls_namespace="api-v1",
    auth=[BearerToken(), LoginSession()],
)

api.add_router("", accounts_router)
api.add_router("/leads", leads_router)
api.add_router("/contacts", contacts_router)
api.add_router("/companies", companies_router)
api.add_router("/deals", deals_router)
api.add_router("/activities", activities_router)
api.add_router("/pipelines", pipelines_router)
api.add_router("/inquiries", inquiries_router)
api.add_router("/duplicates", duplicates_router)
api.add_router("/scoring", scoring_router)
api.add_router("/routing", routing_router)


# --- Errors ---------------------------------------------------------------------


def _source(request: HttpRequest) -> str:
    return "query" if request.method in ("GET", "HEAD", "DELETE") else "body"


def validation_issues(exc: ValidationError, *loc_prefix: str | int) -> list[dict[str, Any]]:
    """A Django ValidationError as the API's 422 ``detail`` list."""
    issues: list[dict[str, Any]] = []
    fields = exc.error_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.error_list}
    for field, errors in fields.items():
        loc = list(loc_prefix) if field == NON_FIELD_ERRORS else [*loc_prefix, field]
        for error in errors:
            for message in error.messages:
                issues.append({"type": error.code or "invalid", "loc": loc, "msg": message})
    return issues


@api.exception_handler(ValidationError)
def _refused(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    issues = validation_issues(exc, _source(request))
    return api.create_response(request, {"detail": issues}, status=422)


@api.exception_handler(SchemaValidationError)
def _malformed(request: HttpRequest, exc: SchemaValidationError) -> HttpResponse:
    issues = []
    for error in exc.errors:
        loc = list(error.get("loc", ()))
        # Ninja puts the name of the view's body parameter after "body"; a
        # client never sees that name, so drop it: ["body", "email"].
        if len(loc) >= 2 and loc[0] == "body" and loc[1] == "payload":
            del loc[1]
        issues.append({"type": error.get("type", "invalid"), "loc": loc, "msg": error["msg"]})
    return api.create_response(request, {"detail": issues}, status=422)


@api.exception_handler(ConflictError)
def _conflict(request: HttpRequest, exc: ConflictError) -> HttpResponse:
    return api.create_response(
        request, {"detail": str(exc), "current_version": exc.current_version}, status=409
    )


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    detail = str(exc) or _("You may not do this.")
    return api.create_response(request, {"detail": detail}, status=403)


@api.exception_handler(ObjectDoesNotExist)
def _missing(request: HttpRequest, exc: ObjectDoesNotExist) -> HttpResponse:
    return api.create_response(request, {"detail": _("Not found.")}, status=404)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or _("Not found.")}, status=404)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request,
        {"detail": _("Authentication required: send “Authorization: Bearer <token>”.")},
        status=401,
    )
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    detail = _("The request body is not valid JSON.") if exc.status_code == 400 else str(exc)
    return api.create_response(request, {"detail": detail}, status=exc.status_code)


@api.exception_handler(Exception)
def _bug(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.error("API error on %s %s", request.method, request.path, exc_info=exc)
    return api.create_response(
        request, {"detail": _("Something went wrong on our side; it has been logged.")}, status=500
    )
