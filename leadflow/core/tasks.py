"""Background tasks: django-tasks, marked so that their writes are audited as such."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tasks import task
from django_tasks.base import Task

from leadflow.core.context import Interface, interface

P = ParamSpec("P")
T = TypeVar("T")


def background_task(**options: Any) -> Callable[[Callable[P, T]], Task[P, T]]:
    """django-tasks' ``@task(**options)``; the function runs with the "task" interface.

    The mark goes on the function rather than on the worker so that it holds
    wherever a task runs: in ``leadflow worker``, in the worker's reloader
    thread (threads do not inherit context variables), or at once with the
    immediate backend.
    """

    def decorate(function: Callable[P, T]) -> Task[P, T]:
        @functools.wraps(function)
        def run(*args: P.args, **kwargs: P.kwargs) -> T:
            with interface(Interface.TASK):
                return function(*args, **kwargs)

        return task(**options)(run)

    return decorate


def task_pending(task: Task[Any, Any]) -> bool:
    """Whether ``task`` already waits in the database queue (not started yet)."""
    if "django_tasks_db" not in settings.INSTALLED_APPS:
        return False
    from django_tasks_db.models import DBTaskResult

    # Asked after every inquiry that creates a lead: plain SQL, cheaper than the query.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {DBTaskResult._meta.db_table} WHERE task_path = %s AND status = %s "
            "LIMIT 1",
            [task.module_path, "READY"],
        )
        return cursor.fetchone() is not None


def task_enqueue_once(task: Task[[], Any]) -> bool:
    """Queue ``task`` (no arguments) unless a run is already waiting; whether it was queued.

    For work that each run does in full ("whatever is pending"): a run that
    has not started yet will also see what the caller just committed, so a
    second one would find nothing to do.
    """
    if task_pending(task):
        return False
    task.enqueue()
    return True


def task_schedule(task: Task[[], Any], *, after: datetime.datetime | None = None) -> bool:
    """Queue ``task`` to run after ``after`` unless one waits already or the queue cannot defer."""
    if not task.get_backend().supports_defer or task_pending(task):
        return False
    task.using(run_after=after or timezone.now()).enqueue()
    return True
