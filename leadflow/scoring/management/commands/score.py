"""``leadflow score train|refresh|schedule``: the predictive score from the command line."""

from __future__ import annotations

import time
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser

from leadflow.core.management.base import LeadflowCommand
from leadflow.scoring.models import MIN_PER_CLASS


class Command(LeadflowCommand):
    help = (
        "train: learn the predictive score from closed history, print the held-out figures "
        "and rescore every lead. refresh: rescore every lead. schedule: queue the weekly "
        "retrain for `leadflow worker`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        train = sub.add_parser("train", help="Train on closed history and rescore every lead.")
        train.add_argument(
            "--min-per-class",
            type=int,
            default=MIN_PER_CLASS,
            help="Won and lost leads needed at least (default %(default)s).",
        )
        train.add_argument("--no-refresh", action="store_true", help="Do not rescore the leads.")
        sub.add_parser("refresh", help="Rescore every lead with the current rules and model.")
        sub.add_parser("schedule", help="Queue the scheduled retrain unless one is waiting.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "train":
            self._train(options)
        elif action == "refresh":
            from leadflow.scoring.services import leads_score_refresh

            started = time.perf_counter()
            changed = leads_score_refresh()
            self.stdout.write(
                f"Rescored every lead in {time.perf_counter() - started:.1f} s; "
                f"{changed:,} changed."
            )
        else:
            from leadflow.scoring.tasks import retrain_interval, retrain_schedule

            if retrain_schedule():
                days = retrain_interval().days
                self.stdout.write(f"Retrain queued; it runs now and then every {days} days.")
            else:
                self.stdout.write(
                    "Nothing queued: a retrain is already waiting, or the task queue "
                    "cannot run tasks later (LEADFLOW_TASKS_IMMEDIATE)."
                )

    def _train(self, options: dict[str, Any]) -> None:
        from leadflow.scoring.services import leads_score_refresh, scoring_model_train

        started = time.perf_counter()
        try:
            row = scoring_model_train(actor=None, needed=options["min_per_class"], refresh=False)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        trained = time.perf_counter() - started
        metrics = row.metrics
        held = metrics.get("held_out", {})
        self.stdout.write(
            f"Trained model #{row.pk} on {row.training_size:,} closed leads "
            f"({row.won:,} won, {row.lost:,} lost), {row.feature_count} columns, "
            f"in {trained:.1f} s."
        )
        self.stdout.write(
            f"Held-out part: {held.get('test', 0):,} leads "
            f"(trained on {held.get('train', 0):,} for these figures)."
        )
        self.stdout.write(f"{'':<22}{'ROC AUC':>9}{'Brier':>9}   top-decile lift")
        for key, label in (
            ("model", "score model"),
            ("logistic", "logistic regression"),
            ("naive_bayes", "naive Bayes baseline"),
        ):
            figures = metrics.get(key, {})
            lift = figures.get("lift") or [0]
            self.stdout.write(
                f"{label:<22}{figures.get('auc') or 0:>9.3f}{figures.get('brier') or 0:>9.3f}"
                f"   {lift[0]:.2f}×"
            )
        if not options["no_refresh"]:
            started = time.perf_counter()
            changed = leads_score_refresh()
            self.stdout.write(
                f"Rescored every lead in {time.perf_counter() - started:.1f} s; "
                f"{changed:,} changed."
            )
