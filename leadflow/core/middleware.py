from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from leadflow.core.context import Interface, interface


class InterfaceMiddleware:
    """Marks writes made while serving a web page as coming from the UI.

    API requests are marked by the API's authentication instead, because the
    same process serves both.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        kind = Interface.API if request.path.startswith("/api/") else Interface.UI
        with interface(kind):
            return self.get_response(request)
