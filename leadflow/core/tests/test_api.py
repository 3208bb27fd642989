"""The API as a whole: authentication, error shapes, audit interface, OpenAPI."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.utils import timezone

from leadflow.accounts.models import ApiToken, User
from leadflow.accounts.services import token_create, token_revoke
from leadflow.core.models import AuditEvent
from leadflow.core.tests.api_client import ApiClient
from leadflow.factories import make_activity, make_company, make_contact, make_deal, make_lead
from leadflow.identity.services import duplicate_pair_record, leads_merge
from leadflow.leads import selectors as lead_selectors
from leadflow.leads.services import lead_assign
from leadflow.routing.services import routing_rule_create
from leadflow.scoring.models import QualificationRule, ScoringRule

pytestmark = pytest.mark.django_db

LEAD = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}


# --- Authentication ---------------------------------------------------------------


def test_a_bearer_token_authenticates_as_its_user(rhys: User) -> None:
    response = ApiClient(rhys).get("/me")

    assert response.status_code == 200
    assert response.json() == {
        "id": rhys.pk,
        "username": "rhys",
        "first_name": "Rhys",
        "last_name": "",
        "email": "rhys@example.com",
        "role": "sales_rep",
        "team": rhys.team_id,
        "team_name": "North",
        "language": "",
        "is_available": True,
    }


def test_a_request_without_credentials_answers_401_in_json() -> None:
    response = ApiClient().get("/leads")

    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header", ["Bearer lf_not-a-real-token", "Bearer ", "Basic cmh5czpwYXNzd29yZA==", "lf_x"]
)
def test_a_wrong_token_answers_401(header: str, rhys: User) -> None:
    response = Client(headers={"Authorization": header}).get("/api/v1/leads")

    assert response.status_code == 401
    assert set(response.json()) == {"detail"}


def test_a_revoked_token_answers_401(rhys: User) -> None:
    token, raw = token_create(actor=None, user=rhys)
    token_revoke(actor=None, token=token)

    response = Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/me")

    assert response.status_code == 401


def test_a_deactivated_users_token_answers_401(rhys: User) -> None:
    api = ApiClient(rhys)
    rhys.is_active = False
    rhys.save()

    assert api.get("/me").status_code == 401


def test_using_a_token_records_when_it_was_last_used(rhys: User) -> None:
    ApiClient(rhys).get("/me")

    assert ApiToken.objects.get(user=rhys).last_used_at is not None


def test_the_login_session_reads_the_api_without_a_token(rhys: User) -> None:
    client = Client()
    client.force_login(rhys)

    response = client.get("/api/v1/me")

    assert response.status_code == 200
    assert response.json()["username"] == "rhys"


def test_a_session_write_without_the_csrf_token_is_refused(rhys: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(rhys)

    response = client.post(
        "/api/v1/leads", {**LEAD, "channel": "phone"}, content_type="application/json"
    )

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_a_session_write_with_the_csrf_token_is_accepted_and_audited(rhys: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(rhys)
    secret = "a" * 32
    client.cookies[settings.CSRF_COOKIE_NAME] = secret

    response = client.post(
        "/api/v1/leads",
        {**LEAD, "channel": "phone"},
        content_type="application/json",
        headers={"X-CSRFToken": secret},
    )

    assert response.status_code == 201, response.content
    audit = AuditEvent.objects.get(action="lead.create")
    assert (audit.actor_id, audit.interface) == (rhys.pk, "api")


def test_a_bearer_write_needs_no_csrf_token(rhys: User) -> None:
    _token, raw = token_create(actor=None, user=rhys)
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {raw}"})

    response = client.post(
        "/api/v1/leads", {**LEAD, "channel": "phone"}, content_type="application/json"
    )

    assert response.status_code == 201


# --- Error shapes -------------------------------------------------------------------


def test_a_body_that_is_not_json_answers_400(rhys: User) -> None:
    response = ApiClient(rhys).client.post(
        "/api/v1/leads", "{not json", content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "The request body is not valid JSON."}


def test_a_body_that_is_not_an_object_answers_422(rhys: User) -> None:
    response = ApiClient(rhys).post("/leads", ["first_name", "Ada"])

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body"]


def test_unknown_fields_are_refused_naming_each_one(rhys: User) -> None:
    response = ApiClient(rhys).post(
        "/leads", {**LEAD, "channel": "phone", "status": "converted", "shoe_size": 9}
    )

    assert response.status_code == 422
    issues = response.json()["detail"]
    assert {(tuple(i["loc"]), i["type"]) for i in issues} == {
        (("body", "status"), "extra_forbidden"),
        (("body", "shoe_size"), "extra_forbidden"),
    }


def test_business_rules_answer_422_in_the_same_shape_as_schema_errors(rhys: User) -> None:
    response = ApiClient(rhys).post(
        "/leads", {"first_name": "Ada", "email": "not-an-address", "channel": "phone"}
    )

    assert response.status_code == 422
    [issue] = response.json()["detail"]
    assert issue["loc"] == ["body", "email"]
    assert issue["msg"]
    assert set(issue) == {"type", "loc", "msg"}


def test_a_bad_query_parameter_is_located_in_the_query(rhys: User) -> None:
    response = ApiClient(rhys).get("/leads", {"ordering": "shoe_size"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "ordering"]


def test_a_rule_about_the_whole_record_is_located_at_the_body(alice: User) -> None:
    lead = make_lead()

    response = ApiClient(alice).post(f"/leads/{lead.pk}/reopen")

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body"]


def test_an_id_too_large_for_the_database_answers_422(rhys: User) -> None:
    response = ApiClient(rhys).get(f"/leads/{2**70}")

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "lead_id"]


def test_an_unknown_api_path_answers_404_in_json(rhys: User) -> None:
    response = ApiClient(rhys).get("/no-such-thing/1")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_method_a_path_does_not_have_answers_405_in_json(rhys: User) -> None:
    response = ApiClient(rhys).delete("/leads")

    assert response.status_code == 405
    assert "detail" in response.json()
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}


def test_a_stale_version_answers_409_with_the_current_one(rhys: User) -> None:
    lead = lead_assign(actor=None, lead=make_lead(), owner=rhys)

    response = ApiClient(rhys).patch(f"/leads/{lead.pk}", {"version": 1, "city": "Bangor"})

    assert response.status_code == 409
    assert response.json()["current_version"] == lead.version
    assert response.json()["detail"]


def test_an_unexpected_failure_answers_500_in_json(
    rhys: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(lead_selectors, "lead_list", broken)

    response = ApiClient(rhys).get("/leads")

    assert response.status_code == 500
    assert "boom" not in response.json()["detail"]


# --- Audit --------------------------------------------------------------------------


def test_api_writes_are_recorded_as_coming_from_the_api(alice: User) -> None:
    api = ApiClient(alice)
    lead_id = api.post("/leads", {**LEAD, "channel": "api"}).json()["id"]
    api.post(f"/leads/{lead_id}/reject", {"reason": "duplicate"})
    contact_id = api.post("/contacts", {"last_name": "Hopper"}).json()["id"]
    api.post("/activities", {"kind": "call", "subject": "Intro", "contact": contact_id})

    interfaces = dict(
        AuditEvent.objects.exclude(action="token.create").values_list("action", "interface")
    )

    assert interfaces == {
        "lead.create": "api",
        "lead.reject": "api",
        "contact.create": "api",
        "activity.create": "api",
    }


def test_api_writes_are_marked_api_even_without_the_interface_middleware(alice: User) -> None:
    middleware = [m for m in settings.MIDDLEWARE if not m.endswith("InterfaceMiddleware")]
    with override_settings(MIDDLEWARE=middleware):
        response = ApiClient(alice).post("/leads", {**LEAD, "channel": "api"})

    assert response.status_code == 201
    assert AuditEvent.objects.get(action="lead.create").interface == "api"


# --- OpenAPI --------------------------------------------------------------------------


def test_the_openapi_document_loads_without_authentication() -> None:
    response = Client().get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert set(document["components"]["securitySchemes"]) == {"BearerToken", "LoginSession"}


# Paths that answer 404 until there is something to show (no model trained yet).
NOTHING_YET = {"/api/v1/scoring/model"}


def _pair_id() -> int:
    pair = duplicate_pair_record(
        lead_a=make_lead(), lead_b=make_lead(), confidence=0.7, explanation={}
    )
    assert pair is not None
    return pair.pk


def _merge_audit(actor: User) -> int:
    """The audit record of a merge, for the unmerge path."""
    survivor, other = make_lead(), make_lead()
    leads_merge(actor=actor, survivor=survivor, other=other, choices={})
    return AuditEvent.objects.filter(action="lead.merge").latest("pk").pk


def test_every_path_in_the_openapi_document_is_served_and_answers_as_declared(
    alice: User,
) -> None:
    lead = make_lead()
    ids = {
        "lead_id": lead.pk,
        "contact_id": make_contact(owner=alice).pk,
        "company_id": make_company(owner=alice).pk,
        "deal_id": make_deal(owner=alice).pk,
        "activity_id": make_activity(owner=alice, lead=lead).pk,
        "slug": "sales",
        "rule_id": routing_rule_create(
            actor=None, name="All", strategy="round_robin", pool=[alice]
        ).pk,
        "temperature": "hot",
        "pair_id": _pair_id(),
        "audit_id": _merge_audit(alice),
    }
    # Paths whose id names another record: another app's rule, a pair still
    # open after the merge path has merged the first one.
    own_ids: dict[str, dict[str, Any]] = {
        "/api/v1/scoring/rules/": {
            "rule_id": ScoringRule.objects.values_list("pk", flat=True).first()
        },
        "/api/v1/scoring/funnel-rules/": {
            "rule_id": QualificationRule.objects.values_list("pk", flat=True).first()
        },
        "/api/v1/duplicates/{pair_id}/dismiss": {"pair_id": _pair_id()},
    }
    api = ApiClient(alice)
    document = api.get("/openapi.json").json()
    served = 0

    # Deletes last, so that every other operation still finds its record.
    operations = sorted(
        (
            (method.upper(), path, operation)
            for path, methods in document["paths"].items()
            for method, operation in methods.items()
        ),
        key=lambda op: op[0] == "DELETE",
    )
    for method, path, operation in operations:
        path_ids = dict(ids)
        for prefix, overrides in own_ids.items():
            if path.startswith(prefix):
                path_ids.update(overrides)
        url = path.format(**path_ids)
        body: dict[str, Any] | None = {} if method in ("POST", "PATCH") else None
        response = api.request(method, url.removeprefix("/api/v1"), body)
        if path not in NOTHING_YET:
            assert response.status_code not in (404, 405), (method, path, response.content)
        assert str(response.status_code) in operation["responses"], (method, path, response)
        if response.status_code != 204:
            assert response["Content-Type"] == "application/json; charset=utf-8"
        served += 1
    assert served >= 35


def test_the_interactive_docs_are_served_from_our_own_static_files() -> None:
    response = Client().get("/api/v1/docs")

    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()


def test_time_stamps_are_iso_8601_in_utc(alice: User) -> None:
    lead = make_lead()

    created_at = ApiClient(alice).get(f"/leads/{lead.pk}").json()["created_at"]

    assert created_at.startswith(timezone.now().strftime("%Y-%m-%d"))
    assert created_at.endswith("Z")


# --- Hostile input ----------------------------------------------------------------------


def crafted_cursor(data: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "data",
    [
        {"d": "n", "v": "2030-01-01T00:00:00Z", "id": 10**30},
        {"d": "n", "v": "2030-01-01T00:00:00Z", "id": {"a": 1}},
        {"d": "n", "v": "2030-01-01T00:00:00Z", "id": "7"},
        {"d": "n", "v": [1], "id": 1},
        {"d": "x", "v": None, "id": 1},
        {"d": "p", "v": "not a time", "id": 1},
        [1, 2],
    ],
)
@pytest.mark.parametrize("ordering", ["-created_at", "score"])
def test_a_forged_cursor_answers_422_not_an_error(alice: User, data: Any, ordering: str) -> None:
    make_lead()

    response = ApiClient(alice).get(
        "/leads", {"cursor": crafted_cursor(data), "ordering": ordering}
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "cursor"]


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/leads", {"owner": "9" * 30}),
        ("/contacts", {"owner": "²"}),
        ("/deals", {"owner": "-1"}),
        ("/activities", {"lead": "9" * 30}),
        ("/leads", {"q": "Ada\x00"}),
        ("/leads", {"channel": "web\x00form"}),
    ],
)
def test_hostile_filters_answer_422(alice: User, path: str, query: dict[str, str]) -> None:
    response = ApiClient(alice).get(path, query)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] == "query"


@pytest.mark.parametrize("stage", ["9" * 30, "²", "١٢"])
def test_a_stage_filter_that_is_no_id_is_read_as_a_slug(alice: User, stage: str) -> None:
    make_deal(owner=alice)

    response = ApiClient(alice).get("/deals", {"stage": stage})

    assert (response.status_code, response.json()["items"]) == (200, [])


@pytest.mark.parametrize(
    "body",
    [
        {"last_name": "Nul\x00l"},
        {"last_name": "Lovelace", "custom": {"note": ["ok", "nul\x00"]}},
        {"last_name": "Lovelace", "custom": {"\x00": 1}},
    ],
)
def test_text_no_database_can_store_is_refused(alice: User, body: dict[str, Any]) -> None:
    response = ApiClient(alice).post("/leads", {**body, "email": "a@example.com", "channel": "api"})

    assert response.status_code == 422
    assert not AuditEvent.objects.filter(action="lead.create").exists()


def test_a_lone_surrogate_in_the_json_is_refused(alice: User) -> None:
    raw = '{"last_name": "\\ud800", "email": "a@example.com", "channel": "api"}'

    response = ApiClient(alice).client.post("/api/v1/leads", raw, content_type="application/json")

    assert response.status_code == 422


@pytest.mark.parametrize("slug", ["sa les", "sales%00", "a" * 101])
def test_a_pipeline_slug_that_cannot_be_one_answers_422(alice: User, slug: str) -> None:
    response = ApiClient(alice).get(f"/pipelines/{slug}")

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "slug"]


@pytest.mark.parametrize("due_at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_time_beyond_the_calendar_answers_422(alice: User, due_at: str) -> None:
    lead = make_lead()

    response = ApiClient(alice).post(
        "/activities", {"kind": "task", "subject": "Far", "lead": lead.pk, "due_at": due_at}
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "due_at"]


def test_actions_whose_fields_are_all_optional_need_no_body(alice: User) -> None:
    lead = make_lead()
    deal = make_deal(owner=alice)
    activity = make_activity(owner=alice, lead=lead)
    api = ApiClient(alice)

    assert api.post(f"/leads/{lead.pk}/convert").status_code == 200
    assert api.post(f"/deals/{deal.pk}/win").status_code == 200
    assert api.post(f"/activities/{activity.pk}/complete").status_code == 200
