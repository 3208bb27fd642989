"""Background scoring: rescoring every lead, and the scheduled retrain.

The retrain schedules its own next run: after it runs (on a worker whose
queue backend can defer tasks, as the default database queue can) it queues
itself again ``LEADFLOW_SCORING_RETRAIN_DAYS`` (default 7) days later.
``leadflow score schedule`` queues the first run; it does nothing if one is
already waiting. ``leadflow worker`` runs them.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from leadflow.core.tasks import background_task, task_schedule

logger = logging.getLogger("leadflow.scoring")


@background_task()
def leads_score_refresh_all() -> int:
    """Rescore every lead (after a rule changed); returns how many changed."""
    from leadflow.scoring.services import leads_score_refresh

    return leads_score_refresh()


def retrain_interval() -> datetime.timedelta:
    return datetime.timedelta(days=getattr(settings, "LEADFLOW_SCORING_RETRAIN_DAYS", 7))


@background_task()
def scoring_model_retrain() -> int | None:
    """Train on the latest closed history and rescore; then schedule the next run.

    Returns the new model's id, or None when there is too little history.
    """
    from leadflow.scoring.services import scoring_model_train

    model_id = None
    try:
        model_id = scoring_model_train(actor=None).pk
    except ValidationError as exc:
        logger.warning("Scheduled retrain skipped: %s", " ".join(exc.messages))
    retrain_schedule(after=timezone.now() + retrain_interval())
    return model_id


def retrain_schedule(*, after: datetime.datetime | None = None) -> bool:
    """Queue a retrain to run after ``after``, unless one waits already or the queue cannot defer."""
    return task_schedule(scoring_model_retrain, after=after)


@background_task()
def scoring_model_train_for(user_id: int | None) -> int | None:
    """Train now for someone who pressed "Train" on the model page; the new model's id."""
    from leadflow.accounts.models import User
    from leadflow.scoring.services import scoring_model_train

    actor = User.objects.filter(pk=user_id).first() if user_id else None
    try:
        return scoring_model_train(actor=actor).pk
    except ValidationError as exc:
        logger.warning("Training skipped: %s", " ".join(exc.messages))
        return None
