"""RowReader gives the same model instances as the queryset it stands in for."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from leadflow.accounts.models import ApiToken, Team, User
from leadflow.accounts.services import token_create
from leadflow.core.rows import RowReader
from leadflow.factories import channel, make_team, make_user
from leadflow.intake.models import Inquiry
from leadflow.intake.services import inquiry_submit


def _fields(obj: object) -> dict[str, object]:
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}  # type: ignore[attr-defined]


TOKEN = RowReader(ApiToken, 't."name" = %s', related=["user", "user__team"])


@pytest.mark.django_db
def test_a_row_and_its_related_rows_come_as_the_orm_builds_them() -> None:
    rep = make_user("rhys", team=make_team("North"))
    token, _raw = token_create(actor=None, user=rep, name="crm")
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    expected = ApiToken.objects.select_related("user__team").get(pk=token.pk)

    with CaptureQueriesContext(connection) as queries:
        found = TOKEN.first("crm")
        assert found is not None
        assert _fields(found) == _fields(expected)
        assert _fields(found.user) == _fields(expected.user)
        assert found.user.team is not None
        assert _fields(found.user.team) == _fields(expected.user.team)
    assert len(queries) == 1
    assert isinstance(found.last_used_at, datetime.datetime)
    assert found.last_used_at.tzinfo is not None
    assert found._state.adding is False and found._state.db == "default"


@pytest.mark.django_db
def test_a_missing_optional_related_row_is_none_and_no_match_is_none() -> None:
    loner = make_user("lone")
    token_create(actor=None, user=loner, name="solo")
    found = TOKEN.first("solo")
    assert found is not None and found.user.pk == loner.pk
    with CaptureQueriesContext(connection) as queries:
        assert found.user.team is None
    assert len(queries) == 0
    assert TOKEN.first("nobody") is None
    assert Team.objects.count() == 0 and User.objects.filter(username="lone").exists()


@pytest.mark.django_db
def test_datetime_parameters_and_json_columns_are_converted_both_ways() -> None:
    now = timezone.now()
    first = inquiry_submit(
        actor=None,
        channel=channel(),
        fields={"first_name": "Ada", "last_name": "Byron", "email": "ada@example.com"},
        custom={"size": "large"},
        received_at=now,
    )
    reader = RowReader(
        Inquiry, 't."received_at" >= %s AND t."received_at" <= %s', order_by='t."id"'
    )
    found = reader.first(now - datetime.timedelta(seconds=1), now)
    assert found is not None and found.pk == first.pk
    assert found.custom == {"size": "large"} and found.received_at == now
    assert (
        reader.first(now + datetime.timedelta(seconds=1), now + datetime.timedelta(hours=1)) is None
    )


@pytest.mark.django_db
def test_row_insert_writes_what_save_would_and_refuses_rows_that_exist() -> None:
    from leadflow.core.models import AuditEvent
    from leadflow.core.rows import row_insert

    rep = make_user("rhys")
    written = row_insert(
        AuditEvent(occurred_at=timezone.now(), actor=rep, action="x.y", after={"a": 1})
    )
    assert written.pk is not None and not written._state.adding
    stored = AuditEvent.objects.get(pk=written.pk)
    assert _fields(stored) == _fields(written)
    written.action = "x.z"
    written.save()  # an update now, as after save()
    assert AuditEvent.objects.get(pk=written.pk).action == "x.z"
    with pytest.raises(ValueError, match="new rows only"):
        row_insert(written)
    with pytest.raises(ValueError, match="unsaved related object"):
        row_insert(AuditEvent(occurred_at=timezone.now(), actor=User(username="ghost"), action="x"))
