from __future__ import annotations

import pytest
from django.db import connection

from leadflow.core.database import planner_statistics_refresh
from leadflow.factories import make_lead


@pytest.mark.django_db
def test_refreshing_statistics_records_the_lead_indexes() -> None:
    for _ in range(3):
        make_lead()
    planner_statistics_refresh()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'leads_lead'")
        else:
            cursor.execute("SELECT COUNT(*) FROM pg_stats WHERE tablename = 'leads_lead'")
        assert cursor.fetchone()[0] > 0
