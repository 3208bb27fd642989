"""`leadflow routing schedule` queues the periodic routing tasks once."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from leadflow.routing.tasks import routing_performance_refresh, routing_sla_check

pytestmark = pytest.mark.django_db

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@override_settings(TASKS=DATABASE_QUEUE)
def test_schedule_queues_the_sla_check_and_the_recount_once() -> None:
    first, second = StringIO(), StringIO()

    call_command("routing", "schedule", stdout=first)
    call_command("routing", "schedule", stdout=second)

    waiting = DBTaskResult.objects.filter(status="READY").values_list("task_path", flat=True)
    assert sorted(waiting) == sorted(
        [routing_sla_check.module_path, routing_performance_refresh.module_path]
    )
    assert "routing_sla_check" in first.getvalue()
    assert "Nothing queued" in second.getvalue()
