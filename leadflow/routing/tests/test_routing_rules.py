"""Managing routing rules: who may, what is checked, the order, and the audit trail."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from leadflow.accounts.models import Team, User
from leadflow.core.exceptions import ConflictError
from leadflow.core.models import AuditEvent
from leadflow.factories import make_lead
from leadflow.routing.conditions import company_size
from leadflow.routing.models import RoutingRule, Strategy
from leadflow.routing.services import (
    routing_rule_create,
    routing_rule_delete,
    routing_rule_move,
    routing_rule_update,
)

pytestmark = pytest.mark.django_db


def test_a_rep_or_marketer_cannot_create_change_or_delete_a_rule(
    rhys: User, mia: User, north: Team
) -> None:
    rule = routing_rule_create(actor=None, name="North", strategy="round_robin", team=north)

    for actor in (rhys, mia):
        with pytest.raises(PermissionDenied):
            routing_rule_create(actor=actor, name="Mine", strategy="round_robin", team=north)
        with pytest.raises(PermissionDenied):
            routing_rule_update(actor=actor, rule=rule, version=None, name="Mine")
        with pytest.raises(PermissionDenied):
            routing_rule_delete(actor=actor, rule=rule)
    assert RoutingRule.objects.get().name == "North"


def test_a_rule_is_checked_field_by_field(harriet: User, north: Team, rhys: User) -> None:
    with pytest.raises(ValidationError) as refused:
        routing_rule_create(
            actor=harriet,
            name=" ",
            strategy="named_person",
            temperatures=["lukewarm"],
            countries=["GBR"],
            company_size_min=500,
            company_size_max=50,
            custom_value="yes",
        )

    assert set(refused.value.message_dict) == {
        "name",
        "temperatures",
        "countries",
        "company_size_max",
        "custom_attribute",
        "person",
    }


def test_list_conditions_are_tidied(harriet: User, north: Team) -> None:
    rule = routing_rule_create(
        actor=harriet,
        name="Tidy",
        strategy=Strategy.ROUND_ROBIN,
        team=north,
        countries=[" gb", "GB", "tr "],
        languages=["EN", "es"],
        regions=["Wales ", ""],
    )

    assert (rule.countries, rule.languages, rule.regions) == (["GB", "TR"], ["en", "es"], ["Wales"])


def test_a_stale_edit_is_a_conflict_and_edits_are_audited(harriet: User, north: Team) -> None:
    rule = routing_rule_create(actor=harriet, name="North", strategy="round_robin", team=north)
    routing_rule_update(actor=harriet, rule=rule, version=1, temperatures=["hot"])

    with pytest.raises(ConflictError):
        routing_rule_update(actor=harriet, rule=rule, version=1, name="Old page")

    audit = AuditEvent.objects.get(action="routing_rule.update")
    assert (audit.before, audit.after) == ({"temperatures": []}, {"temperatures": ["hot"]})


def test_new_rules_go_last_and_moving_past_either_end_changes_nothing(
    harriet: User, north: Team
) -> None:
    a, b, c = (
        routing_rule_create(actor=harriet, name=name, strategy="round_robin", team=north)
        for name in "ABC"
    )
    routing_rule_move(actor=harriet, rule=a, direction="up")
    routing_rule_move(actor=harriet, rule=c, direction="down")
    routing_rule_move(actor=harriet, rule=a, direction="down")

    assert [r.name for r in RoutingRule.objects.order_by("position")] == ["B", "A", "C"]
    with pytest.raises(ValidationError):
        routing_rule_move(actor=harriet, rule=b, direction="sideways")


@pytest.mark.parametrize(
    ("custom", "size"),
    [
        ({"company_size": 250}, 250),
        ({"company_size": "1,200"}, 1200),
        ({"employees": "51-200"}, 51),
        ({"employees": "500+"}, 500),
        ({"company_size": "about ten"}, None),
        ({}, None),
    ],
)
def test_company_size_is_read_as_people_write_it(
    custom: dict[str, object], size: int | None
) -> None:
    assert company_size(make_lead(custom=custom)) == size


def test_a_custom_attribute_rule_compares_the_value_ignoring_case(north: Team, rhys: User) -> None:
    routing_rule_create(
        actor=None,
        name="Partners",
        strategy="round_robin",
        team=north,
        custom_attribute="segment",
        custom_value="Partner",
    )

    assert make_lead(custom={"segment": "partner"}).owner == rhys
    assert make_lead(custom={"segment": "retail"}).owner is None
    assert make_lead().owner is None
