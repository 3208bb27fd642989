"""Property-based tests generated from the OpenAPI document (schemathesis).

Every operation is called with generated valid and invalid requests; each
answer must be no server error, have a status the document declares, match
the declared schema and content type. Business rules that go beyond the
schema (a lead needs a name, a record must exist) may refuse schema-valid
requests, so "valid data is accepted" is not checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from leadflow.accounts.models import Role
from leadflow.accounts.services import token_create
from leadflow.api import api
from leadflow.factories import make_user

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
app = get_wsgi_application()


@pytest.fixture
def bearer(db: None) -> Iterator[dict[str, str]]:
    # Outside the test client, each request would close the connection that
    # holds the test's transaction; keep it open as the test client does.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    _token, raw = token_create(actor=None, user=make_user("fuzz", Role.HEAD_OF_SALES))
    try:
        yield {"Authorization": f"Bearer {raw}"}
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.django_db
def test_every_operation_answers_generated_requests_as_documented(
    case: Any, bearer: dict[str, str]
) -> None:
    case.call_and_validate(
        app=app,
        headers=bearer,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
            negative_data_rejection,
        ],
    )
