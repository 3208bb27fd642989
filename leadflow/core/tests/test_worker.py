"""`leadflow worker` runs what was queued in the database, as background tasks."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from leadflow.activities.models import Notification
from leadflow.activities.tasks import notification_email_send
from leadflow.core.context import Interface, current_interface, interface
from leadflow.core.tasks import background_task
from leadflow.core.tests.commandline import leadflow_command, leadflow_environment
from leadflow.factories import make_user

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@background_task()
def interface_probe() -> str:
    return current_interface()


def run_worker() -> None:
    call_command("worker", "--batch", "--no-startup-delay", verbosity=0)


# The worker closes and reopens its connection between tasks, as it would
# between requests, which a test wrapped in a transaction cannot survive.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@override_settings(TASKS=DATABASE_QUEUE)
def test_the_worker_runs_a_queued_task_as_a_background_task() -> None:
    with interface(Interface.UI):
        result = interface_probe.enqueue()
    assert DBTaskResult.objects.get(id=result.id).status == TaskResultStatus.READY

    run_worker()

    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == Interface.TASK


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@override_settings(TASKS=DATABASE_QUEUE)
def test_notification_e_mails_are_sent_by_the_worker_not_when_queued() -> None:
    rosa = make_user("rosa")
    notification = Notification.objects.create(
        user=rosa, text="Harriet gave you: Call back Dafydd ap Rhys", url="/tasks/"
    )
    result = notification_email_send.enqueue(notification.pk)
    assert mail.outbox == []

    run_worker()

    result.refresh()
    assert result.return_value is True
    [message] = mail.outbox
    assert message.to == ["rosa@example.com"]
    assert message.subject == "Harriet gave you: Call back Dafydd ap Rhys"
    assert "/tasks/" in message.body


@pytest.mark.django_db
def test_a_notification_for_someone_without_an_address_sends_nothing() -> None:
    user = make_user("noaddress")
    user.email = ""
    user.save()
    notification = Notification.objects.create(user=user, text="Hello")
    assert notification_email_send.call(notification.pk) is False
    assert notification_email_send.call(notification.pk + 1000) is False
    assert mail.outbox == []


def test_tasks_run_with_the_immediate_backend_are_marked_too() -> None:
    with interface(Interface.UI):
        assert interface_probe.call() == Interface.TASK
        assert current_interface() == Interface.UI


@pytest.mark.slow
def test_leadflow_worker_command_line_drains_the_queue(tmp_path: Path) -> None:
    env = leadflow_environment(tmp_path, LEADFLOW_EMAIL_URL="console://")

    def leadflow_run(*args: str) -> str:
        done = subprocess.run(
            leadflow_command(*args),
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return done.stdout

    leadflow_run("migrate", "--noinput", "-v0")
    leadflow_run(
        "shell",
        "-v0",
        "-c",
        "from leadflow.accounts.models import User\n"
        "from leadflow.activities.models import Notification\n"
        "from leadflow.activities.tasks import notification_email_send\n"
        "user = User.objects.create(username='sam', email='sam@example.com')\n"
        "n = Notification.objects.create(user=user, text='Ayşe Yılmaz is waiting for a call')\n"
        "notification_email_send.enqueue(n.pk)\n",
    )
    output = leadflow_run("worker", "--batch", "--no-startup-delay", "--no-reload")
    assert "Ayşe Yılmaz is waiting for a call" in output  # the console e-mail backend
    status = leadflow_run(
        "shell",
        "-v0",
        "-c",
        "from django_tasks_db.models import DBTaskResult\n"
        "print(*DBTaskResult.objects.values_list('status', flat=True))",
    )
    assert status.split() == ["SUCCESSFUL"]
