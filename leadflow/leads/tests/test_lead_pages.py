"""The lead pages as a signed-in person uses them: list, card, actions, manual entry."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from leadflow.accounts.models import User
from leadflow.activities.models import Activity
from leadflow.factories import make_lead
from leadflow.leads.models import Lead, LeadStatus
from leadflow.leads.services import lead_assign, lead_reject, lead_update
from leadflow.sales.models import Deal

pytestmark = pytest.mark.django_db


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def text(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]


# --- The list -------------------------------------------------------------------------


def test_the_list_shows_own_and_team_leads_but_not_another_teams(
    client: Client, rhys: User, rosa: User, sam: User
) -> None:
    make_lead(actor=rhys, owner=rhys, last_name="Mine")
    make_lead(actor=rosa, owner=rosa, last_name="Teammates")
    make_lead(actor=sam, owner=sam, last_name="Southern")
    page = text(signed_in(client, rhys).get("/leads/"))
    assert "Mine" in page and "Teammates" in page
    assert "Southern" not in page


def test_home_sends_people_to_the_lead_list(client: Client, rhys: User) -> None:
    response = signed_in(client, rhys).get("/")
    assert response.status_code == 302 and response["Location"] == "/leads/"


def test_search_and_filters_narrow_the_list(client: Client, rhys: User, rosa: User) -> None:
    make_lead(actor=rhys, owner=rhys, last_name="Hotshot", purchase_timeframe="now")
    make_lead(actor=rhys, owner=rhys, last_name="Coldfish", channel_slug="phone")
    make_lead(actor=rosa, owner=rosa, last_name="Rosalead")
    client = signed_in(client, rhys)

    assert "Hotshot" in text(client.get("/leads/?q=hotsh"))
    assert "Coldfish" not in text(client.get("/leads/?q=hotsh"))
    page = text(client.get("/leads/?temperature=hot"))
    assert "Hotshot" in page and "Coldfish" not in page
    page = text(client.get("/leads/?channel=phone"))
    assert "Coldfish" in page and "Hotshot" not in page
    page = text(client.get("/leads/?owner=me"))
    assert "Rosalead" not in page and "Hotshot" in page
    assert "Hotshot" not in text(client.get("/leads/?status=rejected"))


def test_sorting_by_name_orders_the_rows(client: Client, rhys: User) -> None:
    for name in ("Zeta", "Alpha", "Mu"):
        make_lead(actor=rhys, owner=rhys, last_name=name)
    response = signed_in(client, rhys).get("/leads/?sort=name")
    names = [lead.last_name for lead in response.context["page"].items]
    assert names == ["Alpha", "Mu", "Zeta"]
    page = text(response)
    assert page.index(">Ada Alpha<") < page.index(">Ada Mu<") < page.index(">Ada Zeta<")


def test_an_htmx_filter_change_gets_only_the_results(client: Client, rhys: User) -> None:
    make_lead(actor=rhys, owner=rhys, last_name="Partial")
    response = signed_in(client, rhys).get("/leads/?q=Partial", HTTP_HX_REQUEST="true")
    assert "Partial" in text(response)
    assert "<html" not in text(response) and "<form" not in text(response)


def test_the_list_pages_forward_and_back_without_counting(client: Client, rhys: User) -> None:
    for n in range(55):
        make_lead(actor=rhys, owner=rhys, last_name=f"Page{n:02d}")
    client = signed_in(client, rhys)
    first = client.get("/leads/?sort=name")
    assert first.context["next_url"] and not first.context["previous_url"]
    assert len(first.context["page"].items) == 50
    second = client.get(first.context["next_url"])
    assert [lead.last_name for lead in second.context["page"].items] == [
        f"Page{n:02d}" for n in range(50, 55)
    ]
    assert "sort=name" in second.context["previous_url"]
    back = client.get(second.context["previous_url"])
    assert back.context["page"].items[0].last_name == "Page00"


def test_a_broken_cursor_is_an_error_message_not_a_500(client: Client, rhys: User) -> None:
    response = signed_in(client, rhys).get("/leads/?cursor=nonsense!")
    assert response.status_code == 200
    assert "cursor is not valid" in text(response)


def test_an_empty_list_says_how_leads_arrive(client: Client, rhys: User) -> None:
    page = text(signed_in(client, rhys).get("/leads/"))
    assert "No leads yet" in page
    assert "No leads match" in text(client.get("/leads/?q=nobody"))


def test_pages_need_a_login(client: Client, rhys: User) -> None:
    lead = make_lead(actor=rhys, owner=rhys)
    for url in ("/leads/", "/leads/new/", f"/leads/{lead.pk}/", f"/leads/{lead.pk}/edit/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- The card -------------------------------------------------------------------------


def test_the_card_shows_fields_history_and_actions(client: Client, rhys: User) -> None:
    lead = make_lead(
        actor=rhys, owner=rhys, first_name="Gwen", company_name="Cardiff Ltd", phone="+442079460000"
    )
    lead_update(actor=rhys, lead=lead, version=lead.version, job_title="Buyer")
    page = text(signed_in(client, rhys).get(f"/leads/{lead.pk}/"))
    assert "Gwen" in page and "Cardiff Ltd" in page and "+442079460000" in page
    assert "Created" in page and "job title" in page  # history: the edit names its fields
    for action in ("edit", "activity", "convert", "postpone", "reject"):
        assert f"/leads/{lead.pk}/{action}/" in page


@pytest.mark.parametrize(
    "path", ["", "edit/", "activity/", "assign/", "convert/", "reject/", "postpone/", "reopen/"]
)
def test_a_rep_gets_404_on_another_teams_lead_and_its_actions(
    client: Client, rhys: User, sam: User, path: str
) -> None:
    lead = make_lead(actor=sam, owner=sam)
    client = signed_in(client, rhys)
    assert client.get(f"/leads/{lead.pk}/{path}").status_code == 404
    if path:
        response = client.post(
            f"/leads/{lead.pk}/{path}", {"version": lead.version, "reason": "x", "owner": rhys.pk}
        )
        assert response.status_code == 404
    lead.refresh_from_db()
    assert lead.owner == sam and lead.status == LeadStatus.NEW


def test_a_rep_may_read_a_teammates_lead_but_not_act_on_it(
    client: Client, rhys: User, rosa: User
) -> None:
    lead = make_lead(actor=rosa, owner=rosa)
    client = signed_in(client, rhys)
    page = text(client.get(f"/leads/{lead.pk}/"))
    assert f"/leads/{lead.pk}/edit/" not in page and "Take this lead" not in page
    response = client.post(f"/leads/{lead.pk}/reject/", {"version": lead.version, "reason": "x"})
    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW


# --- New lead -------------------------------------------------------------------------


def test_a_rep_enters_a_lead_by_hand_and_owns_it(client: Client, rhys: User) -> None:
    page = text(signed_in(client, rhys).get("/leads/new/"))
    assert 'name="channel"' in page and 'name="owner"' not in page
    response = client.post(
        "/leads/new/",
        {
            "channel": "phone",
            "first_name": "Ayşe",
            "last_name": "Yılmaz",
            "phone": "020 7946 0000",
            "company_name": "Ankara Tekstil",
            "purchase_timeframe": "now",
        },
    )
    lead = Lead.objects.get(last_name="Yılmaz")
    assert response.status_code == 302 and response["Location"] == f"/leads/{lead.pk}/"
    assert lead.owner == rhys and lead.channel.slug == "phone"
    assert lead.phone == "+442079460000" and lead.temperature == "hot"


def test_a_lead_without_a_name_or_a_way_to_reach_them_shows_errors(
    client: Client, rhys: User
) -> None:
    response = signed_in(client, rhys).post("/leads/new/", {"channel": "phone"})
    assert response.status_code == 400
    page = text(response)
    assert "A lead needs the name of a person." in page
    assert "A lead needs a way to reach the person" in page
    assert not Lead.objects.exists()


def test_a_bad_email_address_is_shown_on_its_field(client: Client, rhys: User) -> None:
    response = signed_in(client, rhys).post(
        "/leads/new/", {"channel": "phone", "last_name": "Typo", "email": "not-an-address"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["email"]
    assert "is not a valid e-mail address" in text(response)


def test_the_head_of_sales_picks_the_owner_of_a_new_lead(
    client: Client, harriet: User, rosa: User
) -> None:
    signed_in(client, harriet).post(
        "/leads/new/",
        {"channel": "manual", "last_name": "Routed", "email": "r@example.com", "owner": rosa.pk},
    )
    assert Lead.objects.get(last_name="Routed").owner == rosa


# --- Edit -----------------------------------------------------------------------------


def test_editing_saves_the_changes(client: Client, rhys: User) -> None:
    lead = make_lead(actor=rhys, owner=rhys, first_name="Old")
    form = signed_in(client, rhys).get(f"/leads/{lead.pk}/edit/").context["form"]
    data = {**{k: v or "" for k, v in form.initial.items()}, "first_name": "New"}
    response = client.post(f"/leads/{lead.pk}/edit/", data)
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.first_name == "New" and lead.version == 2


def test_saving_a_stale_version_shows_a_conflict_instead_of_overwriting(
    client: Client, rhys: User
) -> None:
    lead = make_lead(actor=rhys, owner=rhys, first_name="Mine")
    form = signed_in(client, rhys).get(f"/leads/{lead.pk}/edit/").context["form"]
    lead_update(actor=rhys, lead=lead, version=lead.version, first_name="Theirs")  # meanwhile
    data = {**{k: v or "" for k, v in form.initial.items()}, "first_name": "Stale"}
    response = client.post(f"/leads/{lead.pk}/edit/", data)
    assert response.status_code == 409
    assert "changed by someone else" in text(response)
    assert "Open the current version" in text(response)
    lead.refresh_from_db()
    assert lead.first_name == "Theirs"


def test_an_edit_that_breaks_a_rule_shows_the_rule(client: Client, rhys: User) -> None:
    lead = make_lead(actor=rhys, owner=rhys)
    form = signed_in(client, rhys).get(f"/leads/{lead.pk}/edit/").context["form"]
    data = {k: v or "" for k, v in form.initial.items()}
    response = client.post(f"/leads/{lead.pk}/edit/", {**data, "country": "1X"})
    assert response.status_code == 400
    assert "Use the two-letter country code" in text(response)
    response = client.post(f"/leads/{lead.pk}/edit/", {**data, "email": ""})
    assert response.status_code == 400
    assert "A lead needs a way to reach the person" in text(response)


# --- Activities -----------------------------------------------------------------------


def test_logging_a_done_call_puts_it_on_the_timeline(client: Client, rhys: User) -> None:
    lead = make_lead(actor=rhys, owner=rhys)
    response = signed_in(client, rhys).post(
        f"/leads/{lead.pk}/activity/",
        {"kind": "call", "subject": "Intro call", "state": "done", "outcome": "Keen"},
    )
    assert response.status_code == 302
    activity = Activity.objects.get(lead=lead, kind="call")
    assert activity.is_done and activity.outcome == "Keen"
    lead.refresh_from_db()
    assert lead.status == LeadStatus.WORKING
    page = text(client.get(f"/leads/{lead.pk}/"))
    assert "Intro call" in page and "Keen" in page


def test_a_planned_activity_needs_a_due_date(client: Client, rhys: User) -> None:
    lead = make_lead(actor=rhys, owner=rhys)
    response = signed_in(client, rhys).post(
        f"/leads/{lead.pk}/activity/", {"kind": "task", "subject": "Later", "state": "planned"}
    )
    assert response.status_code == 400
    assert "Say when the planned activity is due." in text(response)
    assert not Activity.objects.filter(subject="Later").exists()


# --- Assign ---------------------------------------------------------------------------


def test_the_head_of_sales_gives_a_lead_to_a_rep(
    client: Client, harriet: User, rhys: User, rosa: User
) -> None:
    lead = make_lead(actor=rhys, owner=rhys)
    client = signed_in(client, harriet)
    assert str(rosa) in text(client.get(f"/leads/{lead.pk}/assign/"))
    response = client.post(f"/leads/{lead.pk}/assign/", {"version": lead.version, "owner": rosa.pk})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.owner == rosa


def test_a_rep_takes_an_unowned_lead_from_the_team_pool(
    client: Client, rhys: User, north: object
) -> None:
    lead = make_lead(team=north)
    client = signed_in(client, rhys)
    assert "Take this lead" in text(client.get(f"/leads/{lead.pk}/"))
    response = client.post(f"/leads/{lead.pk}/assign/", {"version": lead.version})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.owner == rhys


def test_a_rep_cannot_take_a_lead_someone_owns(client: Client, rhys: User, rosa: User) -> None:
    lead = make_lead(actor=rosa, owner=rosa)
    response = signed_in(client, rhys).post(f"/leads/{lead.pk}/assign/", {"version": 1})
    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.owner == rosa


# --- Convert --------------------------------------------------------------------------


def test_converting_opens_a_deal_and_goes_to_it(client: Client, rhys: User) -> None:
    lead = make_lead(actor=rhys, owner=rhys, company_name="Dragon Media")
    response = signed_in(client, rhys).post(
        f"/leads/{lead.pk}/convert/",
        {"version": lead.version, "create_deal": "on", "deal_title": "Big one", "amount": "1200"},
    )
    deal = Deal.objects.get(title="Big one")
    assert response.status_code == 302 and response["Location"] == f"/deals/{deal.pk}/"
    assert deal.owner == rhys and deal.amount == 1200 and deal.company is not None
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED and lead.contact == deal.contact


def test_converting_without_a_deal_goes_to_the_contact(client: Client, rhys: User) -> None:
    lead = make_lead(actor=rhys, owner=rhys)
    response = signed_in(client, rhys).post(f"/leads/{lead.pk}/convert/", {"version": lead.version})
    lead.refresh_from_db()
    assert response["Location"] == f"/contacts/{lead.contact_id}/"
    assert not Deal.objects.exists()


def test_the_head_of_sales_converts_for_another_owner(
    client: Client, harriet: User, rhys: User, rosa: User
) -> None:
    lead = make_lead(actor=rhys, owner=rhys)
    signed_in(client, harriet).post(
        f"/leads/{lead.pk}/convert/",
        {"version": lead.version, "create_deal": "on", "owner": rosa.pk},
    )
    assert Deal.objects.get().owner == rosa


def test_converting_a_rejected_lead_explains_why_not(client: Client, rhys: User) -> None:
    lead = make_lead(actor=rhys, owner=rhys)
    lead = lead_reject(actor=rhys, lead=lead, reason="Spam")
    response = signed_in(client, rhys).post(
        f"/leads/{lead.pk}/convert/", {"version": lead.version, "create_deal": "on"}
    )
    assert response.status_code == 400
    assert "Reopen this rejected lead before converting it." in text(response)


# --- Reject, postpone, reopen ---------------------------------------------------------


def test_rejecting_asks_for_confirmation_and_a_reason(client: Client, rhys: User) -> None:
    lead = make_lead(actor=rhys, owner=rhys)
    client = signed_in(client, rhys)
    assert "data-confirm=" in text(client.get(f"/leads/{lead.pk}/reject/"))
    response = client.post(f"/leads/{lead.pk}/reject/", {"version": lead.version, "reason": " "})
    assert response.status_code == 400
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW
    client.post(f"/leads/{lead.pk}/reject/", {"version": lead.version, "reason": "No budget"})
    lead.refresh_from_db()
    assert lead.status == LeadStatus.REJECTED and lead.rejection_reason == "No budget"
    assert "Rejected: No budget" in text(client.get(f"/leads/{lead.pk}/"))


def test_postponing_needs_a_future_date_then_reopening_brings_it_back(
    client: Client, rhys: User
) -> None:
    lead = make_lead(actor=rhys, owner=rhys)
    client = signed_in(client, rhys)
    today = timezone.localdate()
    response = client.post(
        f"/leads/{lead.pk}/postpone/", {"version": lead.version, "until": today.isoformat()}
    )
    assert response.status_code == 400 and "Postpone to a date after today." in text(response)
    later = today + datetime.timedelta(days=30)
    client.post(f"/leads/{lead.pk}/postpone/", {"version": lead.version, "until": later})
    lead.refresh_from_db()
    assert lead.status == LeadStatus.POSTPONED and lead.postponed_until == later
    assert f"/leads/{lead.pk}/reopen/" in text(client.get(f"/leads/{lead.pk}/"))
    client.post(f"/leads/{lead.pk}/reopen/", {"version": lead.version})
    lead.refresh_from_db()
    assert lead.status == LeadStatus.WORKING


def test_reopening_an_open_lead_is_refused_politely(client: Client, rhys: User) -> None:
    lead = make_lead(actor=rhys, owner=rhys)
    response = signed_in(client, rhys).post(f"/leads/{lead.pk}/reopen/", {"version": 1})
    assert response.status_code == 400
    assert "Only rejected or postponed leads can be reopened." in text(response)


def test_qualifying_from_the_card_sets_a_sticky_temperature(client: Client, rhys: User) -> None:
    lead = lead_assign(actor=None, lead=make_lead(), owner=rhys)
    client = signed_in(client, rhys)
    assert "Qualify" in text(client.get(f"/leads/{lead.pk}/"))

    refused = client.post(
        f"/leads/{lead.pk}/qualify/", {"version": lead.version, "temperature": "tepid"}
    )
    response = client.post(
        f"/leads/{lead.pk}/qualify/",
        {
            "version": lead.version,
            "temperature": "hot",
            "funnel_class": "sql",
            "reason": "Wants a quote",
        },
    )

    assert refused.status_code == 400
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.temperature, lead.funnel_class, lead.temperature_overridden) == (
        "hot",
        "sql",
        True,
    )


def test_another_teams_lead_cannot_be_qualified(client: Client, rhys: User, sam: User) -> None:
    lead = lead_assign(actor=None, lead=make_lead(), owner=sam)
    response = signed_in(client, sam).get(f"/leads/{lead.pk}/qualify/")
    assert response.status_code == 200
    other = lead_assign(actor=None, lead=make_lead(), owner=rhys)
    assert signed_in(client, sam).get(f"/leads/{other.pk}/qualify/").status_code == 404
