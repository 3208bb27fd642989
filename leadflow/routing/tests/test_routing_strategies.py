"""New leads go to the right person: rules in order, each strategy, nobody free."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from leadflow.accounts.models import Role, Team, Tier, User
from leadflow.activities.models import Activity, Notification
from leadflow.core.models import Event, EventKind
from leadflow.factories import channel, make_lead, make_user
from leadflow.leads.models import Lead, LeadStatus
from leadflow.leads.services import lead_assign, lead_reject
from leadflow.routing.models import RoutingRule, Strategy
from leadflow.routing.services import rep_performance_refresh, routing_rule_create
from leadflow.sales.services import lead_convert

pytestmark = pytest.mark.django_db


def rule(name: str = "Everything", **fields: object) -> RoutingRule:
    fields.setdefault("strategy", Strategy.ROUND_ROBIN)
    return routing_rule_create(actor=None, name=name, **fields)  # type: ignore[arg-type]


def owner_event(lead: Lead) -> Event:
    return Event.objects.get(lead=lead, kind=EventKind.OWNER_CHANGED)


def test_without_rules_a_new_lead_waits_unassigned_with_its_first_task() -> None:
    lead = make_lead()

    assert lead.owner is None and lead.team is None
    task = Activity.objects.get(lead=lead)
    assert task.kind == "task" and task.subject == "Contact the lead" and task.owner is None
    assert not Event.objects.filter(lead=lead, kind=EventKind.OWNER_CHANGED).exists()


def test_a_lead_created_with_an_owner_keeps_it(north: Team, rhys: User, rosa: User) -> None:
    rule(team=north)

    lead = make_lead(actor=rosa, owner=rosa)

    assert lead.owner == rosa
    assert Activity.objects.get(lead=lead).owner == rosa
    assert Event.objects.filter(lead=lead, kind=EventKind.OWNER_CHANGED).count() == 1


def test_round_robin_takes_turns_and_the_event_names_rule_strategy_and_why(
    north: Team, rhys: User, rosa: User
) -> None:
    north_rule = rule("North takes all", team=north)

    owners = [make_lead().owner for _ in range(4)]

    assert owners == [rhys, rosa, rhys, rosa]
    lead = Lead.objects.order_by("-pk").first()
    assert lead is not None
    event = owner_event(lead)
    assert event.to_value == str(rosa.pk)
    assert event.data["rule"] == "North takes all"
    assert event.data["rule_id"] == north_rule.pk
    assert event.data["strategy"] == "round_robin"
    assert "rosa" in event.data["why"]
    assert lead.team == north
    assert Activity.objects.get(lead=lead).owner == rosa
    assert Notification.objects.filter(user=rosa, text__contains="new cold lead").count() == 2


def test_the_first_rule_in_order_whose_conditions_all_hold_decides(
    north: Team, south: Team, rhys: User, sam: User
) -> None:
    rule("Hot from GB to the South", temperatures=["hot"], countries=["GB"], team=south)
    rule("The rest to the North", team=north)

    hot_gb = make_lead(purchase_timeframe="now", country="GB")
    hot_tr = make_lead(purchase_timeframe="now", country="TR")
    cold_gb = make_lead(country="GB")

    assert (hot_gb.owner, hot_tr.owner, cold_gb.owner) == (sam, rhys, rhys)


def test_least_loaded_gives_the_lead_to_whoever_uses_least_of_their_capacity(
    north: Team, rhys: User, rosa: User
) -> None:
    rosa.capacity = 10
    rosa.save()
    for _ in range(3):
        lead_assign(actor=None, lead=make_lead(), owner=rhys)  # rhys: 3/200
    lead_assign(actor=None, lead=make_lead(), owner=rosa)  # rosa: 1/10
    rule(team=north, strategy=Strategy.LEAST_LOADED)

    lead = make_lead()

    assert lead.owner == rhys
    assert owner_event(lead).data["why"].startswith("least loaded: rhys 3/200")
    assert owner_event(lead).data["loads"] == {"rhys": [3, 200], "rosa": [1, 10]}


def test_unavailable_inactive_and_full_people_are_skipped(north: Team, rhys: User) -> None:
    away = make_user("away", Role.SALES_REP, north)
    away.is_available = False
    away.save()
    gone = make_user("gone", Role.SALES_REP, north)
    gone.is_active = False
    gone.save()
    full = make_user("full", Role.SALES_REP, north)
    full.capacity = 1
    full.save()
    lead_assign(actor=None, lead=make_lead(), owner=full)
    rule(pool=[away, full, rhys])

    owners = {make_lead().owner for _ in range(3)}

    assert owners == {rhys}
    lead = Lead.objects.order_by("-pk").first()
    assert lead is not None
    assert owner_event(lead).data["skipped"] == {"away": "unavailable", "full": "at capacity 1/1"}


def test_when_nobody_fits_the_lead_waits_in_the_team_pool_and_the_head_of_sales_is_told(
    north: Team, harriet: User, rhys: User
) -> None:
    sian = make_user("sian", Role.HEAD_OF_SALES, make_team_south())
    rhys.is_available = False
    rhys.save()
    rule("North", team=north)

    lead = make_lead()

    assert lead.owner is None and lead.team == north
    assert Activity.objects.get(lead=lead).subject == "Contact the lead"
    note = Notification.objects.get(user=harriet)
    assert "Nobody can take the new lead" in note.text and note.url == f"/leads/{lead.pk}/"
    assert not Notification.objects.filter(user=sian).exists()


def make_team_south() -> Team:
    return Team.objects.get_or_create(slug="south", defaults={"name": "South"})[0]


def test_a_pool_without_a_team_tells_every_head_of_sales_when_nobody_fits(
    harriet: User, rhys: User
) -> None:
    sian = make_user("sian", Role.HEAD_OF_SALES, make_team_south())
    rhys.capacity = 0
    rhys.save()
    rule(pool=[rhys])

    lead = make_lead()

    assert lead.owner is None and lead.team is None
    assert Notification.objects.filter(user__in=[harriet, sian]).count() == 2


def test_the_junior_pool_takes_turns_among_juniors_only(north: Team, rhys: User) -> None:
    juniors = [make_user(name, Role.SALES_REP, north) for name in ("jo", "jem")]
    for junior in juniors:
        junior.tier = Tier.JUNIOR
        junior.save()
    rule("Cold to juniors", temperatures=["cold"], team=north, strategy=Strategy.JUNIOR_POOL)

    owners = [make_lead().owner for _ in range(4)]

    assert owners == [juniors[0], juniors[1], juniors[0], juniors[1]]
    assert "junior pool" in owner_event(Lead.objects.order_by("-pk")[0]).data["why"]


def test_a_named_person_gets_the_leads_while_free(north: Team, rhys: User, rosa: User) -> None:
    rule("Big companies to rosa", company_size_min=500, strategy=Strategy.NAMED_PERSON, person=rosa)
    rule("The rest", team=north)

    big = make_lead(custom={"company_size": "1,000-5,000"})
    small = make_lead(custom={"company_size": 12})
    rosa.is_available = False
    rosa.save()
    big_while_away = make_lead(custom={"employees": "800+"})

    assert big.owner == rosa and small.owner == rhys
    assert big_while_away.owner is None
    assert owner_event(big).data["why"] == "named person: rosa"


def close(lead: Lead, owner: User, *, won: bool) -> None:
    lead = lead_assign(actor=None, lead=lead, owner=owner)
    if won:
        lead_convert(actor=owner, lead=lead, create_deal=False)
    else:
        lead_reject(actor=owner, lead=lead, reason="No budget")


def test_one_lucky_win_does_not_make_a_rep_the_best_performer(
    north: Team, rhys: User, rosa: User
) -> None:
    ralf = make_user("ralf", Role.SALES_REP, north)
    for n in range(20):
        close(make_lead(purchase_timeframe="now"), rosa, won=n < 12)  # 60 %
        close(make_lead(purchase_timeframe="now"), ralf, won=n < 2)  # 10 %
    close(make_lead(purchase_timeframe="now"), rhys, won=True)  # 1 of 1: 100 %, on one lead
    rule(temperatures=["hot"], team=north, strategy=Strategy.BEST_PERFORMER)

    lead = make_lead(purchase_timeframe="now")

    assert lead.owner == rosa
    data = owner_event(lead).data
    team_rate = 15 / 41
    assert data["rates"]["rosa"] == {
        "rate": pytest.approx((12 + 10 * team_rate) / 30, abs=1e-4),
        "wins": 12,
        "closed": 20,
    }
    assert data["rates"]["rhys"]["rate"] == pytest.approx((1 + 10 * team_rate) / 11, abs=1e-4)
    assert data["rates"]["ralf"]["rate"] == pytest.approx((2 + 10 * team_rate) / 30, abs=1e-4)
    assert data["why"].startswith("best performer (hot, 180 days): rosa 0.52 (12/20) vs rhys 0.42")


def test_best_performer_reads_the_history_of_the_leads_temperature(
    north: Team, rhys: User, rosa: User
) -> None:
    for n in range(6):
        close(make_lead(purchase_timeframe="now"), rosa, won=n < 5)
        close(make_lead(purchase_timeframe="now"), rhys, won=n < 1)
        close(make_lead(), rhys, won=n < 5)
        close(make_lead(), rosa, won=n < 1)
    rule(team=north, strategy=Strategy.BEST_PERFORMER)

    hot = make_lead(purchase_timeframe="now")
    cold = make_lead()

    assert (hot.owner, cold.owner) == (rosa, rhys)


def test_best_performer_counts_only_leads_within_the_window(
    north: Team, rhys: User, rosa: User
) -> None:
    for _ in range(5):
        close(make_lead(purchase_timeframe="now"), rhys, won=True)
    Lead.objects.filter(owner=rhys).update(created_at=timezone.now() - datetime.timedelta(days=200))
    for n in range(5):
        close(make_lead(purchase_timeframe="now"), rosa, won=n < 2)

    rep_performance_refresh(user_ids=[rhys.pk, rosa.pk])
    rule(temperatures=["hot"], team=north, strategy=Strategy.BEST_PERFORMER)
    lead = make_lead(purchase_timeframe="now")

    rates = owner_event(lead).data["rates"]
    assert (rates["rhys"]["wins"], rates["rhys"]["closed"]) == (0, 0)
    assert (rates["rosa"]["wins"], rates["rosa"]["closed"]) == (2, 5)


def test_an_inactive_rule_is_not_tried(north: Team, rhys: User) -> None:
    rule(team=north, active=False)

    assert make_lead().owner is None


def test_a_lead_arriving_closed_is_neither_routed_nor_tasked(north: Team, rhys: User) -> None:
    rule(team=north)
    lead = Lead(
        channel=channel(), first_name="Old", email="old@example.com", status=LeadStatus.REJECTED
    )
    lead.save()

    from leadflow.routing.services import lead_route

    lead_route(lead=lead, actor=None)

    assert lead.owner is None
    assert not Activity.objects.filter(lead=lead).exists()


def test_a_manual_reassignment_gives_the_first_task_to_the_new_owner(
    harriet: User, rhys: User, rosa: User
) -> None:
    lead = make_lead()

    lead_assign(actor=harriet, lead=lead, owner=rosa, reason="rhys is on holiday")

    assert Activity.objects.get(lead=lead).owner == rosa
    event = Event.objects.get(lead=lead, kind=EventKind.OWNER_CHANGED)
    assert event.data == {"reason": "rhys is on holiday"}


def test_waiting_leads_are_routed_again_once_someone_is_free(
    north: Team, harriet: User, rhys: User
) -> None:
    rhys.is_available = False
    rhys.save()
    rule(team=north)
    waiting = make_lead()
    assert waiting.owner is None
    rhys.is_available = True
    rhys.save()
    Notification.objects.all().delete()

    from leadflow.routing.services import leads_route_waiting

    report = leads_route_waiting(actor=harriet)

    waiting.refresh_from_db()
    assert (report.assigned, report.still_waiting, report.first_tasks) == (1, 0, 0)
    assert waiting.owner == rhys
    assert Activity.objects.get(lead=waiting).owner == rhys
    assert Notification.objects.filter(user=rhys).count() == 1
    with pytest.raises(PermissionDenied):
        leads_route_waiting(actor=rhys)


def test_a_lead_loaded_without_its_first_task_gets_one_when_routed_again(
    north: Team, alice: User
) -> None:
    lead = Lead(channel=channel(), first_name="Bulk", email="bulk@example.com")
    lead.save()

    from leadflow.routing.services import leads_route_waiting

    report = leads_route_waiting(actor=alice, lead_ids=[lead.pk])

    assert (report.assigned, report.still_waiting, report.first_tasks) == (0, 1, 1)
    assert Activity.objects.get(lead=lead).subject == "Contact the lead"
