"""Who may read and change what through the API: every endpoint × role × owner.

The expected answers are written out from the rules documented in
leadflow/core/permissions.py, not computed from the code under test:

| role          | view                                   | change                       |
|---------------|----------------------------------------|------------------------------|
| admin         | everything                             | everything                   |
| head_of_sales | own team's rows, own rows, unassigned  | the same                     |
| sales_rep     | own rows and own team's rows           | own rows only                |
| marketer      | everything                             | own rows and unassigned rows |

and from the API's answers for them (leadflow/core/api.py): a record the
caller may not view is 404, one they may view but not change is 403.

harriet heads North, rhys is a North rep, so "a North rep's" record (rosa's)
is their team's; "a South rep's" (sam's) is another team's.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import timezone

from leadflow.accounts.models import User
from leadflow.activities.models import Activity
from leadflow.core.tests.api_client import ApiClient
from leadflow.factories import make_activity, make_company, make_contact, make_deal, make_lead
from leadflow.leads.services import lead_assign, lead_reject

pytestmark = pytest.mark.django_db

ROLES = {"admin": "alice", "head_of_sales": "harriet", "sales_rep": "rhys", "marketer": "mia"}
OWNERS = ("own", "a North rep's", "a South rep's", "unassigned")
EVERY = set(OWNERS)

MAY_VIEW: dict[str, set[str]] = {
    "admin": EVERY,
    "head_of_sales": {"own", "a North rep's", "unassigned"},
    "sales_rep": {"own", "a North rep's"},
    "marketer": EVERY,
}
MAY_CHANGE: dict[str, set[str]] = {
    "admin": EVERY,
    "head_of_sales": {"own", "a North rep's", "unassigned"},
    "sales_rep": {"own"},
    "marketer": {"own", "unassigned"},
}


def expected_status(kind: str, role: str, owner: str, success: int) -> int:
    """What the API must answer ``role`` for ``kind`` of access to a record of ``owner``."""
    if kind == "write":
        if owner in MAY_CHANGE[role]:
            return success
        return 403 if owner in MAY_VIEW[role] else 404
    # Reads, and creating something that refers to the record, need only view.
    return success if owner in MAY_VIEW[role] else 404


def make_record(resource: str, owner: User | None) -> Any:
    if resource == "lead":
        lead = make_lead()
        return lead_assign(actor=None, lead=lead, owner=owner) if owner else lead
    if resource == "contact":
        return make_contact(owner=owner)
    if resource == "company":
        return make_company(owner=owner)
    if resource == "deal":
        return make_deal(owner=owner)
    lead = make_lead()
    Activity.objects.filter(lead=lead).delete()  # its first task: only the one made here counts
    return make_activity(owner=owner, lead=lead)


def tomorrow() -> str:
    return (timezone.localdate() + datetime.timedelta(days=1)).isoformat()


Body = Callable[[User, Any], Any]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # "{id}" is the record's id
    resource: str
    kind: str  # read, write, or link (create something that refers to the record)
    body: Body | None = None
    success: int = 200
    prepare: Callable[[Any], Any] | None = field(default=None, compare=False)

    @property
    def label(self) -> str:
        return f"{self.method} {self.path} ({self.resource})"


def edit(**fields: Any) -> Body:
    return lambda actor, record: {"version": record.version, **fields}


ENDPOINTS = [
    Endpoint("GET", "/leads/{id}", "lead", "read"),
    Endpoint("GET", "/leads/{id}/events", "lead", "read"),
    Endpoint("PATCH", "/leads/{id}", "lead", "write", edit(city="Cardiff")),
    Endpoint("POST", "/leads/{id}/assign", "lead", "write", lambda a, r: {"owner": a.pk}),
    Endpoint("POST", "/leads/{id}/reject", "lead", "write", lambda a, r: {"reason": "spam"}),
    Endpoint("POST", "/leads/{id}/postpone", "lead", "write", lambda a, r: {"until": tomorrow()}),
    Endpoint("POST", "/leads/{id}/qualify", "lead", "write", lambda a, r: {"temperature": "hot"}),
    Endpoint(
        "POST",
        "/leads/{id}/reopen",
        "lead",
        "write",
        lambda a, r: {},
        prepare=lambda lead: lead_reject(actor=None, lead=lead, reason="spam"),
    ),
    Endpoint("POST", "/leads/{id}/convert", "lead", "write", lambda a, r: {}),
    Endpoint("GET", "/scoring/leads/{id}", "lead", "read"),
    Endpoint("GET", "/contacts/{id}", "contact", "read"),
    Endpoint("GET", "/contacts/{id}/events", "contact", "read"),
    Endpoint("PATCH", "/contacts/{id}", "contact", "write", edit(city="Cardiff")),
    Endpoint("GET", "/companies/{id}", "company", "read"),
    Endpoint("PATCH", "/companies/{id}", "company", "write", edit(city="Cardiff")),
    Endpoint("GET", "/deals/{id}", "deal", "read"),
    Endpoint("GET", "/deals/{id}/events", "deal", "read"),
    Endpoint("PATCH", "/deals/{id}", "deal", "write", edit(title="Bigger deal")),
    Endpoint("POST", "/deals/{id}/move", "deal", "write", lambda a, r: {"stage": "closing"}),
    Endpoint("POST", "/deals/{id}/win", "deal", "write", lambda a, r: {}),
    Endpoint("POST", "/deals/{id}/lose", "deal", "write", lambda a, r: {"reason": "price"}),
    Endpoint("POST", "/deals/{id}/assign", "deal", "write", lambda a, r: {"owner": a.pk}),
    Endpoint("GET", "/activities/{id}", "activity", "read"),
    Endpoint("PATCH", "/activities/{id}", "activity", "write", edit(subject="Call again")),
    Endpoint("POST", "/activities/{id}/complete", "activity", "write", lambda a, r: {}),
    Endpoint("DELETE", "/activities/{id}", "activity", "write", success=204),
    Endpoint(
        "POST",
        "/activities",
        "lead",
        "link",
        lambda a, r: {"kind": "call", "subject": "Intro", "lead": r.pk},
        success=201,
    ),
    Endpoint(
        "POST",
        "/activities",
        "contact",
        "link",
        lambda a, r: {"kind": "note", "subject": "Met", "contact": r.pk},
        success=201,
    ),
    Endpoint(
        "POST",
        "/activities",
        "deal",
        "link",
        lambda a, r: {"kind": "task", "subject": "Quote", "deal": r.pk},
        success=201,
    ),
    Endpoint(
        "POST", "/deals", "contact", "link", lambda a, r: {"title": "Up", "contact": r.pk}, 201
    ),
    Endpoint(
        "POST", "/deals", "company", "link", lambda a, r: {"title": "Up", "company": r.pk}, 201
    ),
    Endpoint(
        "POST",
        "/contacts",
        "company",
        "link",
        lambda a, r: {"last_name": "Jones", "company": r.pk},
        success=201,
    ),
]

CASES = [
    pytest.param(endpoint, role, owner, id=f"{endpoint.label} as {role} on {owner} record")
    for endpoint in ENDPOINTS
    for role in ROLES
    for owner in OWNERS
]


@pytest.fixture
def people(
    alice: User, harriet: User, rhys: User, rosa: User, sam: User, mia: User
) -> dict[str, User]:
    return {user.username: user for user in (alice, harriet, rhys, rosa, sam, mia)}


@pytest.mark.parametrize(("endpoint", "role", "owner"), CASES)
def test_every_endpoint_answers_each_role_as_the_permission_rules_say(
    endpoint: Endpoint,
    role: str,
    owner: str,
    people: dict[str, User],
    openapi: dict[str, Any],
) -> None:
    actor = people[ROLES[role]]
    record_owner = {
        "own": actor,
        "a North rep's": people["rosa"],
        "a South rep's": people["sam"],
        "unassigned": None,
    }[owner]
    record = make_record(endpoint.resource, record_owner)
    if endpoint.prepare:
        record = endpoint.prepare(record)
    body = endpoint.body(actor, record) if endpoint.body else None

    response = ApiClient(actor).request(endpoint.method, endpoint.path.format(id=record.pk), body)

    expected = expected_status(endpoint.kind, role, owner, endpoint.success)
    assert response.status_code == expected, response.content
    if expected == 404 and endpoint.kind != "link":
        assert response.json() == {"detail": "Not found."}
    assert str(response.status_code) in declared_responses(openapi, endpoint), (
        "the OpenAPI document must declare every status the endpoint answers"
    )


def declared_responses(openapi: dict[str, Any], endpoint: Endpoint) -> set[str]:
    path = "/api/v1" + endpoint.path.replace("{id}", f"{{{endpoint.resource}_id}}")
    return {str(code) for code in openapi["paths"][path][endpoint.method.lower()]["responses"]}


@pytest.fixture(scope="session")
def openapi() -> dict[str, Any]:
    from leadflow.api import api

    return api.get_openapi_schema()


LISTS = {
    "lead": "/leads",
    "contact": "/contacts",
    "company": "/companies",
    "deal": "/deals",
    "activity": "/activities",
}


@pytest.mark.parametrize("resource", LISTS)
@pytest.mark.parametrize("role", ROLES)
def test_every_list_shows_a_role_exactly_the_records_it_may_view(
    resource: str, role: str, people: dict[str, User]
) -> None:
    actor = people[ROLES[role]]
    made = {
        owner: make_record(resource, who)
        for owner, who in [
            ("own", actor),
            ("a North rep's", people["rosa"]),
            ("a South rep's", people["sam"]),
            ("unassigned", None),
        ]
    }

    response = ApiClient(actor).get(LISTS[resource], {"limit": 200})

    assert response.status_code == 200
    listed = {item["id"] for item in response.json()["items"]}
    assert listed == {made[owner].pk for owner in MAY_VIEW[role]}


def test_a_reps_token_cannot_read_or_change_another_teams_lead_contact_deal_or_activity(
    rhys: User, sam: User
) -> None:
    lead = lead_assign(actor=None, lead=make_lead(), owner=sam)
    contact = make_contact(owner=sam)
    deal = make_deal(owner=sam)
    activity = make_activity(owner=sam, lead=lead)
    api = ApiClient(rhys)

    for path in (
        f"/leads/{lead.pk}",
        f"/contacts/{contact.pk}",
        f"/deals/{deal.pk}",
        f"/activities/{activity.pk}",
    ):
        read = api.get(path)
        change = api.patch(path, {"version": 1})
        assert (read.status_code, read.json()) == (404, {"detail": "Not found."}), path
        assert change.status_code == 404, path
    assert api.post(f"/leads/{lead.pk}/reject", {"reason": "mine now"}).status_code == 404
    assert api.post(f"/deals/{deal.pk}/win", {}).status_code == 404
    assert api.delete(f"/activities/{activity.pk}").status_code == 404
    lead.refresh_from_db()
    assert lead.status == "new"


def test_another_teams_record_answers_exactly_as_a_missing_one(rhys: User, sam: User) -> None:
    lead = lead_assign(actor=None, lead=make_lead(), owner=sam)
    api = ApiClient(rhys)

    hidden = api.get(f"/leads/{lead.pk}")
    missing = api.get(f"/leads/{lead.pk + 1000}")

    assert (hidden.status_code, hidden.content) == (missing.status_code, missing.content)


def test_a_rep_cannot_give_their_lead_to_someone_else(rhys: User, rosa: User) -> None:
    lead = lead_assign(actor=None, lead=make_lead(), owner=rhys)

    response = ApiClient(rhys).post(f"/leads/{lead.pk}/assign", {"owner": rosa.pk})

    assert response.status_code == 403
    assert "head of sales" in response.json()["detail"]


def test_the_head_of_sales_gives_a_lead_to_a_rep(harriet: User, rhys: User, rosa: User) -> None:
    lead = lead_assign(actor=None, lead=make_lead(), owner=rhys)

    response = ApiClient(harriet).post(
        f"/leads/{lead.pk}/assign", {"owner": rosa.pk, "reason": "holiday"}
    )

    assert response.status_code == 200
    assert response.json()["owner"] == rosa.pk
