"""Who sees and changes which rows (see leadflow/core/permissions.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from leadflow.accounts.models import User
from leadflow.activities.models import Activity
from leadflow.factories import make_activity, make_deal, make_lead
from leadflow.leads.models import Interest, Lead
from leadflow.leads.services import lead_assign
from leadflow.sales.models import Deal

pytestmark = pytest.mark.django_db


@pytest.fixture
def leads(
    alice: User, harriet: User, rhys: User, rosa: User, sam: User, mia: User
) -> dict[str, Lead]:
    made = {}
    for name, owner in [("rhys", rhys), ("rosa", rosa), ("sam", sam), ("mia", mia)]:
        lead = make_lead()
        made[name] = lead_assign(actor=alice, lead=lead, owner=owner)
    made["unassigned"] = make_lead()
    return made


def ids(qs: object) -> set[int]:
    return set(qs.values_list("pk", flat=True))  # type: ignore[attr-defined]


def test_a_rep_sees_their_team_but_changes_only_their_own(
    leads: dict[str, Lead], rhys: User
) -> None:
    assert ids(Lead.objects.visible_to(rhys)) == {leads["rhys"].pk, leads["rosa"].pk}
    assert ids(Lead.objects.visible_to(rhys, "change")) == {leads["rhys"].pk}


def test_a_rep_of_another_team_sees_nothing_of_north(leads: dict[str, Lead], sam: User) -> None:
    assert ids(Lead.objects.visible_to(sam)) == {leads["sam"].pk}


def test_the_head_of_sales_sees_and_changes_the_team_and_the_unassigned_queue(
    leads: dict[str, Lead], harriet: User
) -> None:
    expected = {leads["rhys"].pk, leads["rosa"].pk, leads["unassigned"].pk}
    assert ids(Lead.objects.visible_to(harriet)) == expected
    assert ids(Lead.objects.visible_to(harriet, "change")) == expected


def test_the_marketer_reads_every_lead_and_changes_own_and_unassigned(
    leads: dict[str, Lead], mia: User
) -> None:
    assert ids(Lead.objects.visible_to(mia)) == {lead.pk for lead in leads.values()}
    assert ids(Lead.objects.visible_to(mia, "change")) == {leads["mia"].pk, leads["unassigned"].pk}


def test_the_admin_sees_everything(leads: dict[str, Lead], alice: User) -> None:
    assert ids(Lead.objects.visible_to(alice, "change")) == {lead.pk for lead in leads.values()}


def test_anonymous_and_inactive_users_see_nothing(leads: dict[str, Lead], rhys: User) -> None:
    assert not Lead.objects.visible_to(AnonymousUser()).exists()
    rhys.is_active = False
    assert not Lead.objects.visible_to(rhys).exists()


def test_deals_and_activities_follow_the_same_rule(rhys: User, sam: User) -> None:
    deal = make_deal(owner=sam)
    activity = make_activity(owner=sam, deal=deal)
    assert not Deal.objects.visible_to(rhys).filter(pk=deal.pk).exists()
    assert not Activity.objects.visible_to(rhys).filter(pk=activity.pk).exists()
    assert Deal.objects.visible_to(sam, "change").filter(pk=deal.pk).exists()


def test_reps_do_not_see_anonymous_interest(rhys: User, mia: User) -> None:
    assert Interest.objects.visible_to(rhys).query.is_empty()
    assert not Interest.objects.visible_to(mia).query.is_empty()
