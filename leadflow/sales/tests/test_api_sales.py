"""``/api/v1/companies``, ``/contacts``, ``/deals`` and ``/pipelines``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from leadflow.accounts.models import User
from leadflow.core.tests.api_client import ApiClient
from leadflow.factories import make_company, make_contact, make_deal
from leadflow.sales.models import Deal, Pipeline, Stage
from leadflow.sales.services import deal_win

pytestmark = pytest.mark.django_db


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


# --- Companies ----------------------------------------------------------------------


def test_creating_reading_and_editing_a_company(rhys: User) -> None:
    api = ApiClient(rhys)

    created = api.post(
        "/companies",
        {"name": "Analytical Engines Ltd", "domain": "engines.example", "employees": 12},
    )
    company_id = created.json()["id"]
    edited = api.patch(f"/companies/{company_id}", {"version": 1, "city": "London"})

    assert created.status_code == 201, created.content
    assert (created.json()["owner"], created.json()["team"]) == (rhys.pk, rhys.team_id)
    assert edited.status_code == 200
    assert api.get(f"/companies/{company_id}").json() | {"updated_at": None} == edited.json() | {
        "updated_at": None
    }
    assert (edited.json()["city"], edited.json()["name"], edited.json()["version"]) == (
        "London",
        "Analytical Engines Ltd",
        2,
    )


def test_a_company_needs_a_name(rhys: User) -> None:
    assert ApiClient(rhys).post("/companies", {"domain": "x.example"}).status_code == 422
    assert ApiClient(rhys).post("/companies", {"name": "  "}).status_code == 422


def test_companies_are_listed_by_name_and_found_by_part_of_it(harriet: User) -> None:
    b = make_company(owner=harriet, name="Babbage & Co")
    a = make_company(owner=harriet, name="Ada Industries")
    api = ApiClient(harriet)

    assert ids(api.get("/companies")) == [a.pk, b.pk]
    assert ids(api.get("/companies", {"q": "babb"})) == [b.pk]
    assert ids(api.get("/companies", {"ordering": "-name"})) == [b.pk, a.pk]


# --- Contacts -----------------------------------------------------------------------


def test_creating_reading_and_editing_a_contact(rhys: User) -> None:
    company = make_company(owner=rhys)
    api = ApiClient(rhys)

    created = api.post(
        "/contacts",
        {
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "Grace@Navy.example",
            "company": company.pk,
            "custom": {"rank": "Rear admiral"},
        },
    )
    contact_id = created.json()["id"]
    edited = api.patch(
        f"/contacts/{contact_id}", {"version": 1, "job_title": "Admiral", "company": None}
    )

    assert created.status_code == 201, created.content
    assert created.json()["email"] == "grace@navy.example"
    assert created.json()["company"] == company.pk
    assert created.json()["custom"] == {"rank": "Rear admiral"}
    assert edited.status_code == 200
    assert (edited.json()["job_title"], edited.json()["company"]) == ("Admiral", None)
    assert api.get(f"/contacts/{contact_id}").json()["version"] == 2


def test_a_contact_needs_the_name_of_a_person(rhys: User) -> None:
    response = ApiClient(rhys).post("/contacts", {"email": "info@example.com"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "last_name"]


def test_a_contact_cannot_join_a_company_the_caller_cannot_see(rhys: User, sam: User) -> None:
    hidden = make_company(owner=sam)

    response = ApiClient(rhys).post("/contacts", {"last_name": "Jones", "company": hidden.pk})

    assert response.status_code == 404


def test_contacts_are_found_by_name_email_or_company(harriet: User) -> None:
    company = make_company(owner=harriet, name="Lighthouse Ltd")
    grace = make_contact(owner=harriet, last_name="Hopper", email="grace@example.com")
    ada = make_contact(owner=harriet, last_name="Lovelace", company=company)
    api = ApiClient(harriet)

    assert ids(api.get("/contacts")) == [grace.pk, ada.pk]
    assert ids(api.get("/contacts", {"q": "grace@example.com"})) == [grace.pk]
    assert ids(api.get("/contacts", {"q": "lighthouse"})) == [ada.pk]
    assert ids(api.get("/contacts", {"company": company.pk})) == [ada.pk]


def test_a_contacts_history(rhys: User) -> None:
    contact = make_contact(owner=rhys)
    ApiClient(rhys).patch(f"/contacts/{contact.pk}", {"version": 1, "city": "Leeds"})

    response = ApiClient(rhys).get(f"/contacts/{contact.pk}/events")

    assert [e["kind"] for e in response.json()["items"]] == ["created", "updated"]
    assert response.json()["items"][1]["data"] == {"fields": ["city"]}


def test_a_stale_contact_edit_answers_409(rhys: User) -> None:
    contact = make_contact(owner=rhys)
    api = ApiClient(rhys)
    api.patch(f"/contacts/{contact.pk}", {"version": 1, "city": "Leeds"})

    response = api.patch(f"/contacts/{contact.pk}", {"version": 1, "city": "York"})

    assert (response.status_code, response.json()["current_version"]) == (409, 2)


# --- Pipelines ----------------------------------------------------------------------


def test_pipelines_list_their_stages_in_order(rhys: User) -> None:
    response = ApiClient(rhys).get("/pipelines")

    assert response.status_code == 200
    [sales] = response.json()["items"]
    assert (sales["slug"], sales["is_default"]) == ("sales", True)
    assert [s["slug"] for s in sales["stages"]][:2] == ["prospecting", "preparation"]
    assert set(sales["stages"][0]) == {"id", "slug", "name", "order", "probability", "kind"}
    assert [s["kind"] for s in sales["stages"]][-2:] == ["won", "lost"]


def test_one_pipeline_by_slug(rhys: User) -> None:
    api = ApiClient(rhys)

    assert api.get("/pipelines/sales").json()["stages"][-1]["slug"] == "lost"
    assert api.get("/pipelines/nope").status_code == 404


# --- Deals --------------------------------------------------------------------------


def stage(slug: str) -> Stage:
    return Stage.objects.get(pipeline__slug="sales", slug=slug)


def test_creating_a_deal_starts_it_in_the_first_stage_of_the_default_pipeline(rhys: User) -> None:
    contact = make_contact(owner=rhys)

    response = ApiClient(rhys).post(
        "/deals", {"title": "Fifty looms", "amount": "12500.50", "contact": contact.pk}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["pipeline"], body["stage_slug"], body["status"]) == (
        "sales",
        "prospecting",
        "open",
    )
    assert body["amount"] == "12500.50"
    assert (body["owner"], body["contact"]) == (rhys.pk, contact.pk)


def test_a_deal_may_start_in_a_named_stage(rhys: User) -> None:
    api = ApiClient(rhys)

    by_slug = api.post("/deals", {"title": "A", "stage": "presentation"}).json()
    by_id = api.post("/deals", {"title": "B", "stage": stage("closing").pk}).json()
    won = api.post("/deals", {"title": "C", "stage": "won"})

    assert by_slug["stage_slug"] == "presentation"
    assert by_id["stage_slug"] == "closing"
    assert won.status_code == 422


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "X", "pipeline": "nope"}, "pipeline"),
        ({"title": "X", "stage": "nope"}, "stage"),
        ({"title": "X", "amount": "-1"}, "amount"),
        ({"title": "X", "amount": "1.234"}, "amount"),
        ({"title": ""}, "title"),
    ],
)
def test_a_deal_with_a_bad_field_is_refused(rhys: User, body: dict, field: str) -> None:
    response = ApiClient(rhys).post("/deals", body)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][:2] == ["body", field]


def test_a_rep_cannot_create_a_deal_for_someone_else_but_the_head_of_sales_can(
    rhys: User, rosa: User, harriet: User
) -> None:
    refused = ApiClient(rhys).post("/deals", {"title": "X", "owner": rosa.pk})
    given = ApiClient(harriet).post("/deals", {"title": "X", "owner": rosa.pk})

    assert refused.status_code == 403
    assert given.status_code == 201
    assert (given.json()["owner"], given.json()["team"]) == (rosa.pk, rosa.team_id)


def test_editing_a_deal(rhys: User) -> None:
    deal = make_deal(owner=rhys)
    company = make_company(owner=rhys)

    response = ApiClient(rhys).patch(
        f"/deals/{deal.pk}",
        {"version": 1, "title": "Bigger", "amount": "2000", "company": company.pk},
    )

    assert response.status_code == 200, response.content
    assert (response.json()["title"], response.json()["amount"]) == ("Bigger", "2000.00")
    assert response.json()["company"] == company.pk


def test_moving_a_deal_through_its_stages_by_slug_or_id(rhys: User) -> None:
    deal = make_deal(owner=rhys)
    api = ApiClient(rhys)

    first = api.post(f"/deals/{deal.pk}/move", {"stage": "preparation"})
    second = api.post(
        f"/deals/{deal.pk}/move", {"stage": stage("closing").pk, "version": first.json()["version"]}
    )

    assert first.json()["stage_slug"] == "preparation"
    assert second.json()["stage_slug"] == "closing"
    events = api.get(f"/deals/{deal.pk}/events").json()["items"]
    assert [e["kind"] for e in events] == ["created", "stage_changed", "stage_changed"]


def test_moving_into_another_pipelines_stage_is_refused(rhys: User) -> None:
    other = Pipeline.objects.create(name="Renewals", slug="renewals")
    Stage.objects.create(pipeline=other, name="Due", slug="due", order=1, probability=50)
    deal = make_deal(owner=rhys)

    response = ApiClient(rhys).post(f"/deals/{deal.pk}/move", {"stage": "due"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "stage"]


def test_moving_into_the_lost_stage_needs_a_reason(rhys: User) -> None:
    deal = make_deal(owner=rhys)
    api = ApiClient(rhys)

    refused = api.post(f"/deals/{deal.pk}/move", {"stage": "lost"})
    lost = api.post(f"/deals/{deal.pk}/move", {"stage": "lost", "lost_reason": "Went quiet"})

    assert refused.status_code == 422
    assert (lost.json()["status"], lost.json()["lost_reason"]) == ("lost", "Went quiet")


def test_winning_a_deal_with_its_final_amount(rhys: User) -> None:
    deal = make_deal(owner=rhys)

    response = ApiClient(rhys).post(f"/deals/{deal.pk}/win", {"amount": 1800})

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["amount"]) == ("won", "1800.00")
    assert response.json()["closed_at"] is not None


def test_a_closed_deal_cannot_be_won_or_lost_again(rhys: User) -> None:
    deal = deal_win(actor=None, deal=make_deal(owner=rhys))
    api = ApiClient(rhys)

    assert api.post(f"/deals/{deal.pk}/win", {}).status_code == 422
    assert api.post(f"/deals/{deal.pk}/lose", {"reason": "x"}).status_code == 422


def test_losing_a_deal_needs_a_reason(rhys: User) -> None:
    deal = make_deal(owner=rhys)
    api = ApiClient(rhys)

    assert api.post(f"/deals/{deal.pk}/lose", {"reason": ""}).status_code == 422
    response = api.post(f"/deals/{deal.pk}/lose", {"reason": "Price"})
    assert (response.json()["status"], response.json()["lost_reason"]) == ("lost", "Price")


def test_the_head_of_sales_reassigns_a_deal(harriet: User, rhys: User, rosa: User) -> None:
    deal = make_deal(owner=rhys)

    response = ApiClient(harriet).post(f"/deals/{deal.pk}/assign", {"owner": rosa.pk})

    assert response.json()["owner"] == rosa.pk
    assert ApiClient(rosa).post(f"/deals/{deal.pk}/assign", {"owner": rhys.pk}).status_code == 403


def test_deals_are_filtered_by_status_stage_pipeline_owner_and_text(
    harriet: User, rhys: User
) -> None:
    open_deal = make_deal(owner=rhys, title="Looms for Leeds")
    won = deal_win(actor=None, deal=make_deal(owner=harriet, title="Gears", amount=Decimal(9)))
    api = ApiClient(harriet)

    assert ids(api.get("/deals", {"status": "won"})) == [won.pk]
    assert ids(api.get("/deals", {"stage": "prospecting"})) == [open_deal.pk]
    assert ids(api.get("/deals", {"stage": str(stage("won").pk)})) == [won.pk]
    assert ids(api.get("/deals", {"pipeline": "sales"})) == [won.pk, open_deal.pk]
    assert ids(api.get("/deals", {"owner": str(rhys.pk)})) == [open_deal.pk]
    assert ids(api.get("/deals", {"q": "leeds"})) == [open_deal.pk]
    assert ids(api.get("/deals", {"ordering": "amount"})) == [won.pk, open_deal.pk]
    assert api.get("/deals", {"status": "pending"}).status_code == 422


# --- Deal amounts and marketers -----------------------------------------------------


def test_a_marketer_sees_no_amount_on_deals_that_are_not_theirs(mia: User, rhys: User) -> None:
    theirs = make_deal(owner=rhys, amount=Decimal("5000"))
    own = make_deal(owner=mia, amount=Decimal("300"))
    api = ApiClient(mia)

    listed = {item["id"]: item["amount"] for item in api.get("/deals").json()["items"]}

    assert listed == {theirs.pk: None, own.pk: "300.00"}
    assert api.get(f"/deals/{theirs.pk}").json()["amount"] is None
    assert ApiClient(rhys).get(f"/deals/{theirs.pk}").json()["amount"] == "5000.00"


def test_a_marketer_sees_no_amount_in_the_history_of_deals_that_are_not_theirs(
    mia: User, rhys: User
) -> None:
    deal = deal_win(actor=None, deal=make_deal(owner=rhys, amount=Decimal("5000")))

    events = ApiClient(mia).get(f"/deals/{deal.pk}/events").json()["items"]
    owners_events = ApiClient(rhys).get(f"/deals/{deal.pk}/events").json()["items"]

    assert "5000" not in str(events)
    assert "5000" in str(owners_events)


@pytest.mark.parametrize("ordering", ["amount", "-amount"])
def test_a_marketer_may_not_order_deals_by_amount(mia: User, ordering: str) -> None:
    response = ApiClient(mia).get("/deals", {"ordering": ordering})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "ordering"]


def test_a_stale_deal_edit_answers_409(rhys: User) -> None:
    deal = make_deal(owner=rhys)
    Deal.objects.filter(pk=deal.pk).update(version=3)

    response = ApiClient(rhys).post(f"/deals/{deal.pk}/win", {"version": 1})

    assert (response.status_code, response.json()["current_version"]) == (409, 3)
