"""Background tasks: django-tasks, marked so that their writes are audited as such."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

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
