"""``/api/v1/leads``: creating, reading, editing, listing and working leads."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from leadflow.accounts.models import User
from leadflow.core.models import Event
from leadflow.core.tests.api_client import ApiClient
from leadflow.factories import make_lead
from leadflow.intake.models import Campaign, Channel
from leadflow.leads.models import Lead
from leadflow.leads.services import lead_assign, lead_reject
from leadflow.sales.models import Contact, Deal

pytestmark = pytest.mark.django_db

LEAD_FIELDS = {
    "id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "company_name",
    "job_title",
    "street",
    "city",
    "postal_code",
    "region",
    "country",
    "language",
    "purchase_timeframe",
    "external_id",
    "custom",
    "channel",
    "campaign",
    "status",
    "temperature",
    "funnel_class",
    "origin_class",
    "owner",
    "team",
    "score",
    "predicted_probability",
    "rejection_reason",
    "postponed_until",
    "converted_at",
    "contact_id",
    "deal_id",
    "version",
    "created_at",
    "updated_at",
}
ADA = {"first_name": "Ada", "last_name": "Lovelace", "email": "Ada@Example.com"}


def in_days(days: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


@pytest.fixture
def campaign(db: None) -> Campaign:
    return Campaign.objects.create(name="Spring fair", slug="spring-fair")


def my_lead(owner: User, **fields: Any) -> Lead:
    return lead_assign(actor=None, lead=make_lead(**fields), owner=owner)


# --- Create -------------------------------------------------------------------------


def test_creating_a_lead_answers_201_with_exactly_the_documented_fields(
    rhys: User, campaign: Campaign
) -> None:
    response = ApiClient(rhys).post(
        "/leads",
        {
            **ADA,
            "phone": "029 2018 0000",
            "company_name": "Analytical Engines Ltd",
            "purchase_timeframe": "now",
            "external_id": "crm-7",
            "custom": {"fair_stand": "B12"},
            "channel": "event",
            "campaign": "spring-fair",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == LEAD_FIELDS
    assert body["email"] == "ada@example.com"
    assert body["phone"] == "+442920180000"
    assert body["channel"] == "event"
    assert body["campaign"] == "spring-fair"
    assert body["temperature"] == "hot"
    assert body["custom"] == {"fair_stand": "B12"}
    # The default scoring rules: buying now (30) and names a company (5).
    assert (body["status"], body["score"], body["version"]) == ("new", 35, 1)
    assert Lead.objects.get(pk=body["id"]).external_id == "crm-7"


def test_a_reps_new_lead_is_theirs(rhys: User) -> None:
    body = ApiClient(rhys).post("/leads", {**ADA, "channel": "phone"}).json()

    assert (body["owner"], body["team"]) == (rhys.pk, rhys.team_id)


@pytest.mark.parametrize("who", ["alice", "harriet", "mia"])
def test_anyone_elses_new_lead_waits_unassigned_for_routing(
    who: str, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(who)

    body = ApiClient(user).post("/leads", {**ADA, "channel": "api"}).json()

    assert (body["owner"], body["team"]) == (None, None)


def test_a_lead_needs_a_channel(rhys: User) -> None:
    response = ApiClient(rhys).post("/leads", ADA)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "channel"]
    assert response.json()["detail"][0]["type"] == "missing"


@pytest.mark.parametrize(
    ("field", "value"), [("channel", "carrier-pigeon"), ("campaign", "no-such-campaign")]
)
def test_an_unknown_channel_or_campaign_is_refused(rhys: User, field: str, value: str) -> None:
    body = {**ADA, "channel": "phone", field: value}

    response = ApiClient(rhys).post("/leads", body)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]


def test_a_switched_off_channel_takes_no_new_leads(rhys: User) -> None:
    Channel.objects.filter(slug="chat").update(is_active=False)

    response = ApiClient(rhys).post("/leads", {**ADA, "channel": "chat"})

    assert response.status_code == 422


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "converted"),
        ("temperature", "hot"),
        ("owner", 1),
        ("score", 100),
        ("predicted_probability", 0.9),
        ("funnel_class", "sql"),
        ("version", 7),
        ("id", 3),
    ],
)
def test_read_only_fields_are_refused_on_create(rhys: User, field: str, value: Any) -> None:
    response = ApiClient(rhys).post("/leads", {**ADA, "channel": "phone", field: value})

    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"type": "extra_forbidden", "loc": ["body", field], "msg": "Extra inputs are not permitted"}
    ]
    assert not Lead.objects.exists()


def test_a_lead_needs_a_name_and_a_way_to_reach_them(rhys: User) -> None:
    response = ApiClient(rhys).post("/leads", {"company_name": "Acme", "channel": "phone"})

    assert response.status_code == 422
    assert {tuple(i["loc"]) for i in response.json()["detail"]} == {
        ("body", "last_name"),
        ("body", "email"),
    }


def test_every_bad_field_is_reported_at_once(rhys: User) -> None:
    response = ApiClient(rhys).post(
        "/leads",
        {
            **ADA,
            "email": "nope",
            "country": "Wales",
            "purchase_timeframe": "soon",
            "channel": "api",
        },
    )

    assert response.status_code == 422
    fields = {i["loc"][1] for i in response.json()["detail"]}
    assert fields == {"email", "country", "purchase_timeframe"}


# --- Read and edit ------------------------------------------------------------------


def test_reading_a_lead(rhys: User) -> None:
    lead = my_lead(rhys, company_name="Acme")

    response = ApiClient(rhys).get(f"/leads/{lead.pk}")

    assert response.status_code == 200
    assert response.json()["company_name"] == "Acme"
    assert response.json()["owner"] == rhys.pk


def test_editing_a_lead_changes_only_the_fields_sent_and_raises_the_version(
    rhys: User, campaign: Campaign
) -> None:
    lead = my_lead(rhys, company_name="Acme", city="Cardiff")

    response = ApiClient(rhys).patch(
        f"/leads/{lead.pk}",
        {
            "version": lead.version,
            "city": "Swansea",
            "purchase_timeframe": "1_month",
            "campaign": "spring-fair",
        },
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["city"], body["company_name"]) == ("Swansea", "Acme")
    assert body["version"] == lead.version + 1
    assert body["temperature"] == "warm"
    assert body["campaign"] == "spring-fair"


def test_editing_can_clear_the_campaign_and_replace_custom_attributes(
    rhys: User, campaign: Campaign
) -> None:
    lead = my_lead(rhys, campaign=campaign, custom={"a": 1})

    body = (
        ApiClient(rhys)
        .patch(f"/leads/{lead.pk}", {"version": lead.version, "campaign": None, "custom": {"b": 2}})
        .json()
    )

    assert (body["campaign"], body["custom"]) == (None, {"b": 2})


def test_an_edit_must_name_the_version_it_read(rhys: User) -> None:
    lead = my_lead(rhys)

    response = ApiClient(rhys).patch(f"/leads/{lead.pk}", {"city": "Bangor"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "version"]


def test_an_edit_of_a_version_someone_else_changed_answers_409_and_changes_nothing(
    rhys: User,
) -> None:
    lead = my_lead(rhys, city="Cardiff")
    api = ApiClient(rhys)
    read = api.get(f"/leads/{lead.pk}").json()
    api.patch(f"/leads/{lead.pk}", {"version": read["version"], "city": "Newport"})

    response = api.patch(f"/leads/{lead.pk}", {"version": read["version"], "city": "Bangor"})

    assert response.status_code == 409
    assert response.json()["current_version"] == read["version"] + 1
    lead.refresh_from_db()
    assert lead.city == "Newport"


@pytest.mark.parametrize("field", ["status", "owner", "score", "temperature"])
def test_read_only_fields_are_refused_on_edit(rhys: User, field: str) -> None:
    lead = my_lead(rhys)

    response = ApiClient(rhys).patch(f"/leads/{lead.pk}", {"version": lead.version, field: 1})

    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "extra_forbidden"


def test_an_edit_may_not_take_away_the_last_way_to_reach_the_person(rhys: User) -> None:
    lead = my_lead(rhys, email="only@example.com")

    response = ApiClient(rhys).patch(f"/leads/{lead.pk}", {"version": lead.version, "email": ""})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "email"]


def test_a_leads_history_lists_its_events_oldest_first(rhys: User, harriet: User) -> None:
    lead = my_lead(rhys)
    ApiClient(rhys).post(f"/leads/{lead.pk}/reject", {"reason": "Spam"})

    response = ApiClient(harriet).get(f"/leads/{lead.pk}/events")

    assert response.status_code == 200
    kinds = [e["kind"] for e in response.json()["items"]]
    # The lead's first task ("Contact the lead") is planned as it arrives.
    assert kinds == ["created", "activity_logged", "owner_changed", "rejected"]
    rejected = response.json()["items"][-1]
    assert rejected["actor"] == rhys.pk
    assert rejected["interface"] == "api"
    assert (rejected["from_value"], rejected["to_value"]) == ("new", "rejected")
    assert rejected["data"] == {"reason": "Spam"}


# --- List ---------------------------------------------------------------------------


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def test_the_list_answers_items_and_cursors_newest_first(harriet: User) -> None:
    leads = [make_lead() for _ in range(3)]

    response = ApiClient(harriet).get("/leads")

    assert set(response.json()) == {"items", "next_cursor", "previous_cursor"}
    assert ids(response) == [lead.pk for lead in reversed(leads)]
    assert response.json()["next_cursor"] is None


def test_cursors_walk_every_lead_once_forwards_and_back(harriet: User) -> None:
    made = [make_lead().pk for _ in range(7)]
    api = ApiClient(harriet)
    seen: list[int] = []
    pages = []
    cursor = None
    while True:
        body = api.get("/leads", {"limit": 3, **({"cursor": cursor} if cursor else {})}).json()
        pages.append(body)
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break

    assert seen == list(reversed(made))
    assert [len(p["items"]) for p in pages] == [3, 3, 1]
    back = api.get("/leads", {"limit": 3, "cursor": pages[2]["previous_cursor"]}).json()
    assert back["items"] == pages[1]["items"]


@pytest.mark.parametrize("limit", [0, 201, -1])
def test_the_page_size_is_limited(harriet: User, limit: int) -> None:
    response = ApiClient(harriet).get("/leads", {"limit": limit})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "limit"]


def test_a_damaged_cursor_answers_422(harriet: User) -> None:
    response = ApiClient(harriet).get("/leads", {"cursor": "not-a-cursor"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "cursor"]


def test_the_list_filters_by_status_channel_campaign_temperature_and_text(
    harriet: User, campaign: Campaign
) -> None:
    hot = make_lead(purchase_timeframe="now", channel_slug="phone")
    fair = make_lead(campaign=campaign, last_name="Babbage")
    rejected = lead_reject(actor=None, lead=make_lead(), reason="spam")
    api = ApiClient(harriet)

    assert ids(api.get("/leads", {"status": "rejected"})) == [rejected.pk]
    assert ids(api.get("/leads", {"channel": "phone"})) == [hot.pk]
    assert ids(api.get("/leads", {"campaign": "spring-fair"})) == [fair.pk]
    assert ids(api.get("/leads", {"temperature": "hot"})) == [hot.pk]
    assert ids(api.get("/leads", {"q": "babbage"})) == [fair.pk]
    # The default funnel rules make a hot lead sales-qualified.
    assert ids(api.get("/leads", {"funnel_class": "sql"})) == [hot.pk]


def test_the_list_filters_by_owner_me_none_or_an_id(harriet: User, rhys: User) -> None:
    mine = my_lead(harriet)
    rhyss = my_lead(rhys)
    queued = make_lead()
    api = ApiClient(harriet)

    assert ids(api.get("/leads", {"owner": "me"})) == [mine.pk]
    assert ids(api.get("/leads", {"owner": "none"})) == [queued.pk]
    assert ids(api.get("/leads", {"owner": str(rhys.pk)})) == [rhyss.pk]
    assert api.get("/leads", {"owner": "someone"}).status_code == 422


@pytest.mark.parametrize(
    ("query", "field"),
    [({"status": "pending"}, "status"), ({"temperature": "lukewarm"}, "temperature")],
)
def test_an_unknown_filter_value_answers_422(harriet: User, query: dict, field: str) -> None:
    response = ApiClient(harriet).get("/leads", query)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", field]


@pytest.mark.parametrize("ordering", ["last_name", "-last_name", "score", "-score", "created_at"])
def test_the_list_orders_by_name_score_or_age(harriet: User, ordering: str) -> None:
    for name in ("Cole", "Adams", "Brown"):
        make_lead(last_name=name)

    names = [
        item["last_name"]
        for item in ApiClient(harriet).get("/leads", {"ordering": ordering}).json()["items"]
    ]

    if ordering.endswith("last_name"):
        assert names == sorted(names, reverse=ordering.startswith("-"))
    assert len(names) == 3


# --- Actions ------------------------------------------------------------------------


def test_assigning_to_nobody_puts_the_lead_back_in_the_queue(harriet: User, rhys: User) -> None:
    lead = my_lead(rhys)

    response = ApiClient(harriet).post(f"/leads/{lead.pk}/assign", {"owner": None})

    assert response.status_code == 200
    assert (response.json()["owner"], response.json()["team"]) == (None, None)


def test_assigning_to_an_unknown_user_answers_422(harriet: User) -> None:
    lead = make_lead()

    response = ApiClient(harriet).post(f"/leads/{lead.pk}/assign", {"owner": 987654})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "owner"]


def test_rejecting_needs_a_reason(rhys: User) -> None:
    lead = my_lead(rhys)
    api = ApiClient(rhys)

    assert api.post(f"/leads/{lead.pk}/reject", {"reason": "  "}).status_code == 422
    assert api.post(f"/leads/{lead.pk}/reject", {}).status_code == 422
    response = api.post(f"/leads/{lead.pk}/reject", {"reason": "Student project"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["rejection_reason"]) == (
        "rejected",
        "Student project",
    )


def test_postponing_puts_a_lead_aside_until_a_later_date(rhys: User) -> None:
    lead = my_lead(rhys)
    api = ApiClient(rhys)

    past = api.post(f"/leads/{lead.pk}/postpone", {"until": in_days(-1)})
    response = api.post(
        f"/leads/{lead.pk}/postpone", {"until": in_days(30), "reason": "Budget in spring"}
    )

    assert past.status_code == 422
    assert past.json()["detail"][0]["loc"] == ["body", "until"]
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["postponed_until"]) == (
        "postponed",
        in_days(30),
    )


def test_reopening_brings_a_rejected_lead_back_to_work(rhys: User) -> None:
    lead = lead_reject(actor=None, lead=my_lead(rhys), reason="spam")

    response = ApiClient(rhys).post(f"/leads/{lead.pk}/reopen", {"version": lead.version})

    assert response.status_code == 200
    assert response.json()["status"] == "working"


def test_an_action_with_a_stale_version_answers_409(rhys: User) -> None:
    lead = my_lead(rhys)

    response = ApiClient(rhys).post(
        f"/leads/{lead.pk}/reject", {"reason": "spam", "version": lead.version - 1}
    )

    assert response.status_code == 409
    assert response.json()["current_version"] == lead.version


def test_converting_answers_the_new_contact_company_and_deal(rhys: User) -> None:
    lead = my_lead(rhys, company_name="Difference Engines plc")

    response = ApiClient(rhys).post(
        f"/leads/{lead.pk}/convert",
        {"deal_title": "Engine No. 2", "amount": "25000.00", "pipeline": "sales"},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    contact = Contact.objects.get(pk=body["contact_id"])
    deal = Deal.objects.get(pk=body["deal_id"])
    assert contact.company_id == body["company_id"]
    assert (deal.title, deal.amount, deal.owner_id) == ("Engine No. 2", 25000, rhys.pk)
    assert (body["contact_created"], body["company_created"]) == (True, True)
    after = ApiClient(rhys).get(f"/leads/{lead.pk}").json()
    assert (after["status"], after["contact_id"], after["deal_id"]) == (
        "converted",
        contact.pk,
        deal.pk,
    )


def test_converting_without_a_deal(rhys: User) -> None:
    lead = my_lead(rhys)

    body = ApiClient(rhys).post(f"/leads/{lead.pk}/convert", {"create_deal": False}).json()

    assert body["deal_id"] is None
    assert Event.objects.filter(lead=lead, kind="converted").exists()


def test_converting_twice_answers_422(rhys: User) -> None:
    lead = my_lead(rhys)
    api = ApiClient(rhys)
    api.post(f"/leads/{lead.pk}/convert", {})

    response = api.post(f"/leads/{lead.pk}/convert", {})

    assert response.status_code == 422


def test_converting_into_an_unknown_pipeline_answers_422(rhys: User) -> None:
    lead = my_lead(rhys)

    response = ApiClient(rhys).post(f"/leads/{lead.pk}/convert", {"pipeline": "nope"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "pipeline"]
    lead.refresh_from_db()
    assert lead.status == "new"


def test_a_rep_cannot_convert_into_someone_elses_customer(rhys: User, rosa: User) -> None:
    lead = my_lead(rhys)

    response = ApiClient(rhys).post(f"/leads/{lead.pk}/convert", {"owner": rosa.pk})

    assert response.status_code == 403


def test_qualifying_sets_temperature_and_funnel_class_by_hand(rhys: User) -> None:
    lead = my_lead(rhys)
    api = ApiClient(rhys)

    refused = api.post(f"/leads/{lead.pk}/qualify", {"temperature": "tepid"})
    response = api.post(
        f"/leads/{lead.pk}/qualify",
        {"temperature": "hot", "funnel_class": "sql", "reason": "Asked for a quote"},
    )

    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "temperature"]
    assert response.status_code == 200
    assert (response.json()["temperature"], response.json()["funnel_class"]) == ("hot", "sql")
    kinds = {e.kind for e in Event.objects.filter(lead=lead)}
    assert {"temperature_changed", "funnel_class_changed"} <= kinds
