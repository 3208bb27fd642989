"""``Idempotency-Key``: the first answer to a request is stored and replayed for retries.

Shared by the REST API and the webhooks. The same key with a different body
is refused, so a client cannot reuse a key by mistake for a new request.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from leadflow.core.rows import RowReader, row_insert
from leadflow.identity.services import identity_lock
from leadflow.intake.models import IdempotencyRecord

IDEMPOTENCY_HEADER = "Idempotency-Key"

_RECORD = RowReader(IdempotencyRecord, 't."scope" = %s AND t."key" = %s')


def idempotent_answer(
    *, scope: str, key: str, body: Any, answer: Callable[[], tuple[int, Any]]
) -> tuple[int, Any, bool]:
    """``answer()`` → (status, content) once per ``(scope, key)``; (status, content, replayed).

    Without a key the answer is simply computed. ``scope`` names the sender
    (a user, a webhook source), so two senders' keys never collide.
    """
    if not key:
        status, content = answer()
        return status, content, False
    if len(key) > 255:
        raise ValidationError({IDEMPOTENCY_HEADER: _("At most 255 characters.")})
    request_hash = hashlib.sha256(
        json.dumps(body, sort_keys=True, default=str).encode()
    ).hexdigest()
    # A retry is answered from the stored record without waiting for the write lock.
    record = _RECORD.first(scope, key)
    if record is None:
        with transaction.atomic():
            identity_lock([f"k:{scope}:{key}"])
            record = _RECORD.first(scope, key)
            if record is None:
                status, content = answer()
                row_insert(
                    IdempotencyRecord(
                        scope=scope,
                        key=key,
                        request_hash=request_hash,
                        status_code=status,
                        response=content,
                    )
                )
                return status, content, False
    if record.request_hash != request_hash:
        raise ValidationError(
            {
                IDEMPOTENCY_HEADER: _(
                    "This Idempotency-Key was used with a different request body; "
                    "use a new key for a new request."
                )
            }
        )
    return record.status_code, record.response, True
