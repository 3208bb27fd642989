"""The lead table's indexes are the ones the models declare, whichever database runs."""

import pytest
from django.db import connection

from leadflow.leads.models import Lead

pytestmark = pytest.mark.django_db


def test_routing_counts_open_leads_from_the_owner_status_index_the_model_declares() -> None:
    declared = {index.name: index.fields for index in Lead._meta.indexes}
    assert declared["lead_owner_status"] == ["owner", "status"]
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, Lead._meta.db_table)
    assert found["lead_owner_status"]["index"]
    assert found["lead_owner_status"]["columns"] == ["owner_id", "status"]
    # The raw-SQL name the routing migration first gave it is gone.
    assert "routing_lead_owner_status" not in found
