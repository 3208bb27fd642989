"""``/api/v1/activities``: planning, logging, completing and deleting activities."""

from __future__ import annotations

from typing import Any

import pytest

from leadflow.accounts.models import User
from leadflow.activities.models import Activity, Notification
from leadflow.core.tests.api_client import ApiClient
from leadflow.factories import make_activity, make_contact, make_deal, make_lead
from leadflow.leads.models import Lead
from leadflow.leads.services import lead_assign

pytestmark = pytest.mark.django_db

ACTIVITY_FIELDS = {
    "id",
    "kind",
    "subject",
    "body",
    "lead",
    "contact",
    "deal",
    "owner",
    "team",
    "due_at",
    "done_at",
    "outcome",
    "created_by",
    "version",
    "created_at",
    "updated_at",
}


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def my_lead(owner: User) -> Lead:
    return lead_assign(actor=None, lead=make_lead(), owner=owner)


def test_planning_a_call_on_a_lead(rhys: User) -> None:
    lead = my_lead(rhys)

    response = ApiClient(rhys).post(
        "/activities",
        {
            "kind": "call",
            "subject": "Discuss the quote",
            "lead": lead.pk,
            "due_at": "2030-01-15T10:00:00+00:00",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == ACTIVITY_FIELDS
    assert (body["lead"], body["owner"], body["created_by"]) == (lead.pk, rhys.pk, rhys.pk)
    assert body["due_at"] == "2030-01-15T10:00:00Z"
    assert body["done_at"] is None


def test_a_time_without_a_zone_is_read_in_the_servers_zone(rhys: User) -> None:
    lead = my_lead(rhys)

    body = (
        ApiClient(rhys)
        .post(
            "/activities",
            {"kind": "task", "subject": "Send", "lead": lead.pk, "due_at": "2030-01-15T10:00:00"},
        )
        .json()
    )

    assert body["due_at"] == "2030-01-15T10:00:00Z"


def test_logging_a_done_call_starts_work_on_a_new_lead(rhys: User) -> None:
    lead = my_lead(rhys)

    ApiClient(rhys).post(
        "/activities",
        {
            "kind": "call",
            "subject": "Intro",
            "lead": lead.pk,
            "done_at": "2030-01-15T10:00:00Z",
            "outcome": "Interested",
        },
    )

    lead.refresh_from_db()
    assert lead.status == "working"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "carrier-pigeon", "subject": "X"}, "kind"),
        ({"kind": "call", "subject": " "}, "subject"),
        ({"kind": "call", "subject": "Floating"}, "lead"),
        ({"kind": "call"}, "subject"),
    ],
)
def test_an_activity_with_a_bad_field_is_refused(
    rhys: User, body: dict[str, Any], field: str
) -> None:
    lead = my_lead(rhys)
    if field != "lead":
        body = {**body, "lead": lead.pk}

    response = ApiClient(rhys).post("/activities", body)

    assert response.status_code == 422
    assert ["body", field] in [issue["loc"] for issue in response.json()["detail"]]


@pytest.mark.parametrize("link", ["lead", "contact", "deal"])
def test_an_activity_cannot_be_about_a_record_the_caller_cannot_see(
    rhys: User, sam: User, link: str
) -> None:
    hidden = {
        "lead": lambda: my_lead(sam),
        "contact": lambda: make_contact(owner=sam),
        "deal": lambda: make_deal(owner=sam),
    }[link]()

    response = ApiClient(rhys).post(
        "/activities", {"kind": "note", "subject": "X", link: hidden.pk}
    )

    assert response.status_code == 404
    assert not Activity.objects.filter(subject="X").exists()


def test_the_head_of_sales_sets_a_task_for_a_rep_who_is_told(harriet: User, rhys: User) -> None:
    lead = my_lead(rhys)

    response = ApiClient(harriet).post(
        "/activities", {"kind": "task", "subject": "Call back", "lead": lead.pk, "owner": rhys.pk}
    )

    assert response.status_code == 201
    assert response.json()["owner"] == rhys.pk
    assert Notification.objects.filter(user=rhys).count() == 1


def test_a_rep_cannot_set_a_task_for_a_teammate(rhys: User, rosa: User) -> None:
    lead = my_lead(rhys)

    response = ApiClient(rhys).post(
        "/activities", {"kind": "task", "subject": "Yours", "lead": lead.pk, "owner": rosa.pk}
    )

    assert response.status_code == 403


def test_editing_an_activity(rhys: User) -> None:
    activity = make_activity(owner=rhys, lead=my_lead(rhys))
    api = ApiClient(rhys)

    edited = api.patch(
        f"/activities/{activity.pk}", {"version": 1, "subject": "Call again", "kind": "meeting"}
    )
    stale = api.patch(f"/activities/{activity.pk}", {"version": 1, "subject": "Lost update"})

    assert edited.status_code == 200
    assert (edited.json()["subject"], edited.json()["kind"], edited.json()["version"]) == (
        "Call again",
        "meeting",
        2,
    )
    assert (stale.status_code, stale.json()["current_version"]) == (409, 2)
    assert api.get(f"/activities/{activity.pk}").json()["subject"] == "Call again"


def test_completing_a_planned_activity_once(rhys: User) -> None:
    activity = make_activity(owner=rhys, lead=my_lead(rhys))
    api = ApiClient(rhys)

    done = api.post(f"/activities/{activity.pk}/complete", {"outcome": "Sent the price list"})
    again = api.post(f"/activities/{activity.pk}/complete", {})

    assert done.status_code == 200
    assert done.json()["done_at"] is not None
    assert done.json()["outcome"] == "Sent the price list"
    assert again.status_code == 422


def test_deleting_an_activity(rhys: User) -> None:
    activity = make_activity(owner=rhys, lead=my_lead(rhys))
    api = ApiClient(rhys)

    response = api.delete(f"/activities/{activity.pk}")

    assert response.status_code == 204
    assert response.content == b""
    assert api.get(f"/activities/{activity.pk}").status_code == 404


def test_activities_are_filtered_by_kind_state_owner_and_record(harriet: User, rhys: User) -> None:
    lead = my_lead(rhys)
    Activity.objects.filter(lead=lead).delete()  # its first task: only what is made here counts
    deal = make_deal(owner=rhys)
    call = make_activity(owner=rhys, lead=lead)
    done_note = make_activity(owner=harriet, deal=deal, kind="note", done_at=deal.created_at)
    api = ApiClient(harriet)

    assert ids(api.get("/activities")) == [done_note.pk, call.pk]
    assert ids(api.get("/activities", {"kind": "note"})) == [done_note.pk]
    assert ids(api.get("/activities", {"done": "true"})) == [done_note.pk]
    assert ids(api.get("/activities", {"done": "false"})) == [call.pk]
    assert ids(api.get("/activities", {"owner": "me"})) == [done_note.pk]
    assert ids(api.get("/activities", {"lead": lead.pk})) == [call.pk]
    assert ids(api.get("/activities", {"deal": deal.pk})) == [done_note.pk]
    assert ids(api.get("/activities", {"ordering": "due_at"})) == [call.pk, done_note.pk]
    assert api.get("/activities", {"kind": "fax"}).status_code == 422
