"""Contacts, companies, the deal board and deal cards, as signed-in people use them."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from leadflow.accounts.models import User
from leadflow.factories import make_activity, make_company, make_contact, make_deal, make_lead
from leadflow.sales.models import Deal, DealStatus, Pipeline, Stage
from leadflow.sales.services import deal_move_stage, deal_win, lead_convert

pytestmark = pytest.mark.django_db


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def text(response: Any) -> str:
    return str(response.content.decode())


def stage(slug: str, pipeline: str = "sales") -> Stage:
    return Stage.objects.get(pipeline__slug=pipeline, slug=slug)


def second_pipeline() -> Pipeline:
    pipeline = Pipeline.objects.create(name="Renewals", slug="renewals")
    for order, (slug, kind) in enumerate([("talk", "open"), ("won", "won"), ("lost", "lost")], 1):
        Stage.objects.create(
            pipeline=pipeline, name=slug.title(), slug=slug, order=order, probability=50, kind=kind
        )
    return pipeline


def move(client: Client, deal: Deal, stage_id: int, version: int | None = None) -> Any:
    return client.post(
        f"/deals/{deal.pk}/move/",
        {"stage": stage_id, "version": version or deal.version},
        HTTP_ACCEPT="application/json",
    )


# --- Contacts and companies -----------------------------------------------------------


def test_the_contact_list_searches_and_hides_other_teams(
    client: Client, rhys: User, sam: User
) -> None:
    make_contact(owner=rhys, last_name="Hopper")
    make_contact(owner=rhys, last_name="Lovelace")
    make_contact(owner=sam, last_name="Southerner")
    client = signed_in(client, rhys)
    page = text(client.get("/contacts/"))
    assert "Hopper" in page and "Lovelace" in page and "Southerner" not in page
    page = text(client.get("/contacts/?q=hopp"))
    assert "Hopper" in page and "Lovelace" not in page
    partial = text(client.get("/contacts/?q=hopp", HTTP_HX_REQUEST="true"))
    assert "Hopper" in partial and "<html" not in partial
    assert "No contacts match" in text(client.get("/contacts/?q=zzz"))


def test_the_contact_list_pages_with_next_and_previous(client: Client, rhys: User) -> None:
    for n in range(52):
        make_contact(owner=rhys, last_name=f"C{n:02d}")
    client = signed_in(client, rhys)
    first = client.get("/contacts/")
    second = client.get(first.context["next_url"])
    assert [c.last_name for c in second.context["page"].items] == ["C50", "C51"]
    assert client.get(second.context["previous_url"]).context["page"].items[0].last_name == "C00"


def test_empty_contact_and_company_lists_say_where_they_come_from(
    client: Client, rhys: User
) -> None:
    client = signed_in(client, rhys)
    assert "A contact is created when you convert a lead" in text(client.get("/contacts/"))
    assert "No companies yet" in text(client.get("/companies/"))


def test_the_contact_card_links_back_to_its_lead_and_shows_deals_and_activities(
    client: Client, rhys: User
) -> None:
    lead = make_lead(actor=rhys, owner=rhys, first_name="Siân", company_name="Dragon Media")
    conversion = lead_convert(actor=rhys, lead=lead, deal_title="Dragon licence")
    assert conversion.deal is not None
    make_activity(owner=rhys, contact=conversion.contact, subject="Welcome call")
    page = text(signed_in(client, rhys).get(f"/contacts/{conversion.contact.pk}/"))
    assert f'href="/leads/{lead.pk}/"' in page
    assert f'href="/deals/{conversion.deal.pk}/"' in page and "Dragon licence" in page
    assert "Welcome call" in page
    assert f'href="/companies/{conversion.company.pk}/"' in page  # type: ignore[union-attr]


def test_a_contact_from_a_lead_the_user_cannot_see_does_not_link_to_it(
    client: Client, rhys: User, sam: User, harriet: User
) -> None:
    # Sam (South) converts, the head of sales North gets the customer.
    lead = make_lead(actor=sam, owner=sam)
    conversion = lead_convert(actor=None, lead=lead, owner=rhys, create_deal=False)
    page = text(signed_in(client, rhys).get(f"/contacts/{conversion.contact.pk}/"))
    assert f"/leads/{lead.pk}/" not in page and "a lead you cannot see" in page


def test_a_contact_can_get_an_activity_logged(client: Client, rhys: User) -> None:
    contact = make_contact(owner=rhys)
    response = signed_in(client, rhys).post(
        f"/contacts/{contact.pk}/activity/",
        {"kind": "note", "subject": "Prefers e-mail", "state": "done"},
    )
    assert response.status_code == 302
    assert "Prefers e-mail" in text(client.get(f"/contacts/{contact.pk}/"))


def test_the_company_card_lists_its_contacts_and_deals(client: Client, rhys: User) -> None:
    company = make_company(owner=rhys, name="Severn Logistics", domain="severn.example")
    make_contact(owner=rhys, company=company, last_name="Price")
    make_deal(owner=rhys, company=company, title="Fleet tracking")
    client = signed_in(client, rhys)
    page = text(client.get(f"/companies/{company.pk}/"))
    assert "Severn Logistics" in page and "Price" in page and "Fleet tracking" in page
    assert "Severn Logistics" in text(client.get("/companies/?q=severn"))
    assert "Severn Logistics" not in text(client.get("/companies/?q=nothing"))


@pytest.mark.parametrize("kind", ["contact", "company", "deal"])
def test_a_rep_gets_404_on_another_teams_cards(
    client: Client, rhys: User, sam: User, kind: str
) -> None:
    url = {
        "contact": lambda: f"/contacts/{make_contact(owner=sam).pk}/",
        "company": lambda: f"/companies/{make_company(owner=sam).pk}/",
        "deal": lambda: f"/deals/{make_deal(owner=sam).pk}/",
    }[kind]()
    assert signed_in(client, rhys).get(url).status_code == 404


def test_a_rep_gets_404_on_another_teams_contact_activity_page(
    client: Client, rhys: User, sam: User
) -> None:
    contact = make_contact(owner=sam)
    client = signed_in(client, rhys)
    assert client.get(f"/contacts/{contact.pk}/activity/").status_code == 404
    response = client.post(
        f"/contacts/{contact.pk}/activity/", {"kind": "note", "subject": "x", "state": "done"}
    )
    assert response.status_code == 404


# --- The board ------------------------------------------------------------------------


def test_the_board_has_a_column_per_open_stage_and_a_card_per_open_deal(
    client: Client, rhys: User, rosa: User, sam: User
) -> None:
    mine = make_deal(owner=rhys, title="Mine")
    teammates = make_deal(owner=rosa, title="Rosas", stage=stage("closing"))
    make_deal(owner=sam, title="Southern")
    won = make_deal(owner=rhys, title="Already won")
    deal_win(actor=rhys, deal=won)
    response = signed_in(client, rhys).get("/deals/")
    page = text(response)
    columns = response.context["columns"]
    assert [c["stage"].slug for c in columns] == [
        "prospecting",
        "preparation",
        "needs-assessment",
        "presentation",
        "objection-handling",
        "closing",
        "follow-up",
    ]
    assert [row["deal"] for row in columns[0]["deals"]] == [mine]
    assert [row["deal"] for row in columns[5]["deals"]] == [teammates]
    assert "Southern" not in page and "Already won" not in page
    assert f'data-move-url="/deals/{mine.pk}/move/"' in page
    # Rhys may look at Rosa's deal but not move it: her card is locked in place.
    assert f'data-move-url="/deals/{teammates.pk}/move/"' not in page
    assert f"/deals/{teammates.pk}/win/" not in page
    assert "/static/vendor/sortablejs/Sortable.min.js" in page


def test_the_board_switches_pipelines(client: Client, rhys: User) -> None:
    renewals = second_pipeline()
    make_deal(owner=rhys, title="Renewal deal", pipeline=renewals)
    make_deal(owner=rhys, title="Sales deal")
    client = signed_in(client, rhys)
    page = text(client.get("/deals/"))
    assert 'name="pipeline"' in page and "Sales deal" in page and "Renewal deal" not in page
    page = text(client.get("/deals/?pipeline=renewals"))
    assert "Renewal deal" in page and "Sales deal" not in page
    assert client.get("/deals/?pipeline=nope").status_code == 404


def test_an_empty_board_says_how_deals_arrive(client: Client, rhys: User) -> None:
    assert "Deals are opened when you convert a lead" in text(
        signed_in(client, rhys).get("/deals/")
    )


def test_marketers_see_deal_cards_without_other_peoples_amounts(
    client: Client, mia: User, rhys: User
) -> None:
    make_deal(owner=rhys, title="Secret size", amount=Decimal("98765.00"))
    page = text(signed_in(client, mia).get("/deals/"))
    assert "Secret size" in page and "98765" not in page


# --- Moving deals ---------------------------------------------------------------------


def test_dropping_a_card_moves_the_deal_and_answers_the_new_version(
    client: Client, rhys: User
) -> None:
    deal = make_deal(owner=rhys)
    response = move(signed_in(client, rhys), deal, stage("presentation").pk)
    assert response.status_code == 200
    body = json.loads(response.content)
    deal.refresh_from_db()
    assert deal.stage.slug == "presentation"
    assert body["version"] == deal.version and body["stage"] == deal.stage_id
    assert "Presentation" in body["message"]


def test_a_stage_of_another_pipeline_is_refused(client: Client, rhys: User) -> None:
    deal = make_deal(owner=rhys)
    foreign = second_pipeline().stages.get(slug="talk")
    response = move(signed_in(client, rhys), deal, foreign.pk)
    assert response.status_code == 400
    assert "another pipeline" in json.loads(response.content)["detail"]
    deal.refresh_from_db()
    assert deal.stage.slug == "prospecting"


def test_an_unknown_stage_is_refused(client: Client, rhys: User) -> None:
    deal = make_deal(owner=rhys)
    assert move(signed_in(client, rhys), deal, 999999).status_code == 400


def test_a_closed_deal_does_not_move(client: Client, rhys: User) -> None:
    deal = deal_win(actor=rhys, deal=make_deal(owner=rhys))
    response = move(signed_in(client, rhys), deal, stage("closing").pk)
    assert response.status_code == 400
    assert "closed" in json.loads(response.content)["detail"]


def test_a_stale_card_is_refused_with_a_conflict(client: Client, rhys: User) -> None:
    deal = make_deal(owner=rhys)
    stale = deal.version
    deal_move_stage(actor=rhys, deal=deal, stage=stage("preparation"), version=stale)
    response = move(signed_in(client, rhys), deal, stage("closing").pk, version=stale)
    assert response.status_code == 409
    deal.refresh_from_db()
    assert deal.stage.slug == "preparation"


def test_moving_another_teams_deal_is_404_and_a_teammates_403(
    client: Client, rhys: User, rosa: User, sam: User
) -> None:
    southern, teammates = make_deal(owner=sam), make_deal(owner=rosa)
    client = signed_in(client, rhys)
    response = move(client, southern, stage("closing").pk)
    assert response.status_code == 404 and json.loads(response.content)["detail"]
    assert move(client, teammates, stage("closing").pk).status_code == 403
    for deal in (southern, teammates):
        deal.refresh_from_db()
        assert deal.stage.slug == "prospecting"


def test_the_deal_card_moves_a_deal_with_a_plain_form(client: Client, rhys: User) -> None:
    deal = make_deal(owner=rhys)
    client = signed_in(client, rhys)
    page = text(client.get(f"/deals/{deal.pk}/"))
    assert f'action="/deals/{deal.pk}/move/"' in page
    response = client.post(
        f"/deals/{deal.pk}/move/", {"stage": stage("closing").pk, "version": deal.version}
    )
    assert response.status_code == 302 and response["Location"] == f"/deals/{deal.pk}/"
    page = text(client.get(response["Location"]))
    assert "moved to Closing" in page
    assert "Prospecting → Closing" in page  # the history names the stages


def test_a_refused_form_move_comes_back_with_the_reason(client: Client, rhys: User) -> None:
    deal = make_deal(owner=rhys)
    foreign = second_pipeline().stages.get(slug="talk")
    client = signed_in(client, rhys)
    response = client.post(
        f"/deals/{deal.pk}/move/", {"stage": foreign.pk, "version": deal.version}, follow=True
    )
    assert "another pipeline" in text(response)


# --- Win and lose ---------------------------------------------------------------------


def test_winning_records_the_final_amount(client: Client, rhys: User) -> None:
    deal = make_deal(owner=rhys)
    response = signed_in(client, rhys).post(
        f"/deals/{deal.pk}/win/", {"version": deal.version, "amount": "4321.50"}
    )
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.status == DealStatus.WON and deal.amount == Decimal("4321.50")


def test_winning_from_the_board_goes_back_to_the_board(client: Client, rhys: User) -> None:
    deal = make_deal(owner=rhys)
    client = signed_in(client, rhys)
    assert f"/deals/{deal.pk}/win/?next=" in text(client.get("/deals/"))
    response = client.post(
        f"/deals/{deal.pk}/win/?next=/deals/%3Fpipeline%3Dsales", {"version": deal.version}
    )
    assert response["Location"] == "/deals/?pipeline=sales"
    other = make_deal(owner=rhys)
    response = client.post(
        f"/deals/{other.pk}/win/?next=https://evil.example/", {"version": other.version}
    )
    assert response["Location"] == f"/deals/{other.pk}/"  # never an off-site redirect


def test_losing_asks_for_confirmation_and_needs_a_reason(client: Client, rhys: User) -> None:
    deal = make_deal(owner=rhys)
    client = signed_in(client, rhys)
    assert "data-confirm=" in text(client.get(f"/deals/{deal.pk}/lose/"))
    response = client.post(f"/deals/{deal.pk}/lose/", {"version": deal.version, "reason": ""})
    assert response.status_code == 400
    client.post(f"/deals/{deal.pk}/lose/", {"version": deal.version, "reason": "Went elsewhere"})
    deal.refresh_from_db()
    assert deal.status == DealStatus.LOST and deal.lost_reason == "Went elsewhere"
    assert "Lost: Went elsewhere" in text(client.get(f"/deals/{deal.pk}/"))


@pytest.mark.parametrize("action", ["win", "lose", "activity"])
def test_a_rep_gets_404_on_another_teams_deal_actions(
    client: Client, rhys: User, sam: User, action: str
) -> None:
    deal = make_deal(owner=sam)
    client = signed_in(client, rhys)
    assert client.get(f"/deals/{deal.pk}/{action}/").status_code == 404
    response = client.post(f"/deals/{deal.pk}/{action}/", {"version": 1, "reason": "x"})
    assert response.status_code == 404
    deal.refresh_from_db()
    assert deal.status == DealStatus.OPEN
