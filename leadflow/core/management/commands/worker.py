from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from leadflow.core.context import Interface, interface


class Command(DatabaseWorkerCommand):
    help = (
        "Run Leadflow's background tasks from the database queue (django-tasks-db's "
        "db_worker, every queue unless --queue-name says otherwise). Start as many as "
        "you like; they share the queue. --batch runs what is queued and exits."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(queue_name="*")

    def execute(self, *args: Any, **options: Any) -> str | None:
        # Tasks mark themselves (leadflow.core.tasks.background_task); this covers
        # anything else the worker writes.
        with interface(Interface.TASK):
            return super().execute(*args, **options)
