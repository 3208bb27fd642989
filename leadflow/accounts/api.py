"""Who the caller is."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from leadflow.accounts.models import User
from leadflow.accounts.schemas import MeOut
from leadflow.core.api import request_user
from leadflow.core.schemas import ErrorOut

router = Router(tags=["me"])


@router.get("/me", response={200: MeOut, 401: ErrorOut}, summary="The authenticated user")
def me(request: HttpRequest) -> User:
    return request_user(request)
