"""Tasks an earlier release queued after each import batch still run to the end."""

from __future__ import annotations

import pytest

from leadflow.accounts.models import Team, User
from leadflow.activities.models import Activity
from leadflow.factories import channel
from leadflow.intake.tasks import imported_leads_score
from leadflow.leads.models import Lead
from leadflow.routing.models import Strategy
from leadflow.routing.services import routing_rule_create
from leadflow.scoring.models import LeadScore

pytestmark = pytest.mark.django_db


def test_imported_leads_score_scores_then_routes_the_batch(north: Team, rhys: User) -> None:
    routing_rule_create(actor=None, name="North", strategy=Strategy.ROUND_ROBIN, team=north)
    # As imports wrote them then: no score, no owner, no first task.
    leads = [
        Lead.objects.create(channel=channel(), first_name="Bulk", email=f"bulk{n}@example.com")
        for n in range(3)
    ]

    result = imported_leads_score.call([lead.pk for lead in leads])

    assert result["assigned"] == 3 and result["waiting"] == 0
    assert LeadScore.objects.filter(lead__in=leads).count() == 3
    for lead in leads:
        lead.refresh_from_db()
        assert lead.owner == rhys
        assert Activity.objects.get(lead=lead).subject == "Contact the lead"
