"""``/api/v1/inquiries``: how integrators push inbound requests in.

Any signed-in caller may submit; the answer says what became of the inquiry
(``created``, ``attached``, ``interest``, ``rejected``) and which lead it
created or joined. Send an ``Idempotency-Key`` header to retry safely: the
first answer is stored and replayed for the same key and body; the same key
with a different body is refused (422).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router

from leadflow.accounts.models import User
from leadflow.core.api import request_user
from leadflow.core.proxies import client_ip
from leadflow.core.schemas import CREATE_ERRORS
from leadflow.intake.idempotency import IDEMPOTENCY_HEADER, idempotent_answer
from leadflow.intake.models import Inquiry
from leadflow.intake.schemas import InquiryBatchIn, InquiryBatchOut, InquiryIn, InquiryOut
from leadflow.intake.selectors import campaign_by_slug, channel_by_slug
from leadflow.intake.services import inquiry_draft, inquiry_submit
from leadflow.sales.selectors import contact_get

router = Router(tags=["intake"])


def _prepare(request: HttpRequest, user: User, payload: InquiryIn) -> Callable[[], Inquiry]:
    """Check the payload and draft the inquiry before the write lock; returns the submit.

    Raises ValidationError for what the sender must correct.
    """
    person = payload.model_dump(
        exclude_unset=True,
        exclude={
            "channel",
            "campaign",
            "custom",
            "message",
            "consent",
            "consent_text",
            "utm",
            "referrer_url",
            "referred_by",
        },
    )
    referrer = None
    if payload.referred_by is not None:
        try:
            referrer = contact_get(user=user, pk=payload.referred_by)
        except Exception as exc:
            raise ValidationError(
                {"referred_by": _("There is no contact %(id)s.") % {"id": payload.referred_by}}
            ) from exc
    consent_text = payload.consent_text.strip()
    if payload.consent and not consent_text:
        consent_text = _("(consent given; no wording sent)")
    channel = channel_by_slug(payload.channel)
    return functools.partial(
        inquiry_submit,
        actor=user,
        channel=channel,
        campaign=campaign_by_slug(payload.campaign),
        draft=inquiry_draft(
            channel=channel, fields=person, custom=payload.custom, message=payload.message
        ),
        utm=payload.utm,
        referrer_url=payload.referrer_url,
        consent_text=consent_text if payload.consent or consent_text else "",
        referred_by=referrer,
        payload=payload.model_dump(exclude_unset=True),
        source_ip=client_ip(request),
        triage_later=True,
    )


def _out(inquiry: Inquiry) -> dict[str, Any]:
    return InquiryOut.from_orm(inquiry).model_dump(mode="json")


def _idempotent(request: HttpRequest, user: User, body: Any, answer: Any) -> HttpResponse:
    """Run ``answer()`` → (status, body) once per Idempotency-Key; replay it for retries."""
    status, content, replayed = idempotent_answer(
        scope=f"user:{user.pk}",
        key=request.headers.get(IDEMPOTENCY_HEADER, "").strip(),
        body=body,
        answer=answer,
    )
    response = _respond(request, status, content)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def _respond(request: HttpRequest, status: int, content: Any) -> HttpResponse:
    from leadflow.api import api

    return api.create_response(request, content, status=status)


@router.post(
    "",
    response={201: InquiryOut, 200: InquiryOut, **CREATE_ERRORS},
    summary="Submit an inquiry",
    description=(
        "201 with the new inquiry; 200 with the earlier one when the same submission "
        "arrives again within minutes (a double submit)."
    ),
)
def inquiry_create(request: HttpRequest, payload: InquiryIn) -> HttpResponse:
    user = request_user(request)
    submit = _prepare(request, user, payload)

    def answer() -> tuple[int, dict[str, Any]]:
        inquiry = submit()
        return (200 if getattr(inquiry, "repeated", False) else 201), _out(inquiry)

    return _idempotent(request, user, payload.model_dump(mode="json"), answer)


@router.post(
    "/batch",
    response={200: InquiryBatchOut, **CREATE_ERRORS},
    summary="Submit up to 1,000 inquiries",
    description=(
        "Each item is recorded on its own: one refused item (status 422 with its "
        "detail) does not stop the others."
    ),
)
def inquiry_batch(request: HttpRequest, payload: InquiryBatchIn) -> HttpResponse:
    from leadflow.api import validation_issues

    user = request_user(request)
    submits: list[Callable[[], Inquiry] | ValidationError] = []
    for item in payload.items:
        try:
            submits.append(_prepare(request, user, item))
        except ValidationError as exc:
            submits.append(exc)

    def answer() -> tuple[int, dict[str, Any]]:
        results: list[dict[str, Any]] = []
        counts: dict[str, int] = {}
        for index, submit in enumerate(submits):
            try:
                if isinstance(submit, ValidationError):
                    raise submit
                with transaction.atomic():
                    inquiry = submit()
            except ValidationError as exc:
                issues = validation_issues(exc, "body", "items", index)
                results.append({"index": index, "status": 422, "inquiry": None, "detail": issues})
                counts["refused"] = counts.get("refused", 0) + 1
                continue
            repeated = getattr(inquiry, "repeated", False)
            results.append(
                {
                    "index": index,
                    "status": 200 if repeated else 201,
                    "inquiry": _out(inquiry),
                    "detail": None,
                }
            )
            outcome = "repeated" if repeated else inquiry.outcome
            counts[outcome] = counts.get(outcome, 0) + 1
        return 200, {"results": results, "counts": counts}

    return _idempotent(request, user, payload.model_dump(mode="json"), answer)
