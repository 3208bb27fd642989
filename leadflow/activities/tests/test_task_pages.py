"""My tasks and notifications pages."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from leadflow.accounts.models import User
from leadflow.activities.models import Activity, Notification
from leadflow.activities.services import activity_complete, notification_send
from leadflow.factories import make_activity, make_deal, make_lead

pytestmark = pytest.mark.django_db


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def text(response: Any) -> str:
    return str(response.content.decode())


def planned(owner: User, subject: str, days: int, **about: Any) -> Activity:
    if not about:
        lead = make_lead(actor=owner, owner=owner)
        Activity.objects.filter(lead=lead).delete()  # its first task: only what is made here counts
        about = {"lead": lead}
    due = timezone.now() + datetime.timedelta(days=days)
    return make_activity(owner=owner, kind="task", subject=subject, due_at=due, **about)


def test_my_tasks_lists_my_open_tasks_overdue_first_and_highlighted(
    client: Client, rhys: User, rosa: User
) -> None:
    later = planned(rhys, "Send the proposal", days=2)
    overdue = planned(rhys, "Call back", days=-1)
    planned(rosa, "Rosas task", days=1)
    finished = planned(rhys, "Already done", days=-3)
    activity_complete(actor=rhys, activity=finished)
    response = signed_in(client, rhys).get("/tasks/")
    page = text(response)
    assert [item["task"] for item in response.context["items"]] == [overdue, later]
    assert "Rosas task" not in page and "Already done" not in page
    assert f'id="activity-{overdue.pk}" class="task task--overdue' in page
    assert f'id="activity-{later.pk}" class="task"' in page
    assert "1 overdue" in page


def test_tasks_link_to_what_they_are_about(client: Client, rhys: User) -> None:
    deal = make_deal(owner=rhys)
    planned(rhys, "Chase the signature", days=1, deal=deal)
    assert f'href="/deals/{deal.pk}/"' in text(signed_in(client, rhys).get("/tasks/"))


def test_no_tasks_is_an_empty_state(client: Client, rhys: User) -> None:
    assert "Nothing to do" in text(signed_in(client, rhys).get("/tasks/"))


def test_completing_a_task_with_htmx_swaps_in_the_done_row(client: Client, rhys: User) -> None:
    task = planned(rhys, "Call back", days=-1)
    response = signed_in(client, rhys).post(
        f"/tasks/{task.pk}/complete/",
        {f"t{task.pk}-version": task.version, f"t{task.pk}-outcome": "Booked a demo"},
        HTTP_HX_REQUEST="true",
    )
    page = text(response)
    assert response.status_code == 200 and "<html" not in page
    assert "Booked a demo" in page and "task--done" in page
    task.refresh_from_db()
    assert task.is_done and task.outcome == "Booked a demo"


def test_completing_without_htmx_redirects_with_a_message(client: Client, rhys: User) -> None:
    task = planned(rhys, "Call back", days=1)
    response = signed_in(client, rhys).post(
        f"/tasks/{task.pk}/complete/", {f"t{task.pk}-version": task.version}, follow=True
    )
    assert "“Call back” is done." in text(response)


def test_a_stale_task_row_shows_the_conflict(client: Client, rhys: User) -> None:
    task = planned(rhys, "Call back", days=1)
    stale = task.version
    activity_complete(actor=rhys, activity=task, outcome="elsewhere")
    response = signed_in(client, rhys).post(
        f"/tasks/{task.pk}/complete/", {f"t{task.pk}-version": stale}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "changed by someone else" in text(response)


def test_a_rep_cannot_complete_another_teams_task(client: Client, rhys: User, sam: User) -> None:
    task = planned(sam, "Southern call", days=1)
    response = signed_in(client, rhys).post(
        f"/tasks/{task.pk}/complete/", {f"t{task.pk}-version": task.version}
    )
    assert response.status_code == 404
    task.refresh_from_db()
    assert not task.is_done


def test_notifications_are_counted_in_the_menu_listed_and_marked_read(
    client: Client, rhys: User
) -> None:
    notification_send(user=rhys, text="Harriet gave you a hot lead", url="/leads/")
    notification_send(user=rhys, text="Task due soon")
    client = signed_in(client, rhys)
    page = text(client.get("/leads/"))
    assert '<span class="badge"' in page and ">2</span>" in page
    page = text(client.get("/notifications/"))
    assert "Harriet gave you a hot lead" in page and "Task due soon" in page
    client.post("/notifications/")
    assert not Notification.objects.filter(user=rhys, read_at__isnull=True).exists()
    assert "You are all caught up" in text(client.get("/notifications/"))
    assert '<span class="badge"' not in text(client.get("/leads/"))
