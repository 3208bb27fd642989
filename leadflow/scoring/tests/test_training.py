"""Training on closed history: too little of it, the figures, scoring every lead."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from leadflow.accounts.models import User
from leadflow.factories import make_lead
from leadflow.leads.models import Lead
from leadflow.leads.services import lead_reject
from leadflow.scoring.models import ScoringModel, ScoringRule
from leadflow.scoring.predictive import lift_by_decile, metrics_for
from leadflow.scoring.selectors import closed_history, lead_factors
from leadflow.scoring.services import scoring_model_train

pytestmark = pytest.mark.django_db


def closed(outcome: str, **fields: Any) -> Lead:
    lead = make_lead(**fields)
    Lead.objects.filter(pk=lead.pk).update(outcome=outcome)
    return lead


def make_history(won: int, lost: int) -> None:
    """Won leads mostly buy now from a mid-sized firm; lost ones mostly do not."""
    for i in range(won):
        closed(
            "won",
            purchase_timeframe="now" if i % 5 else "",
            custom={"employees": 80 + i, "segment": "smb"},
        )
    for i in range(lost):
        closed(
            "lost",
            purchase_timeframe="" if i % 5 else "now",
            custom={"employees": 3 + i % 10, "segment": "smb" if i % 3 else "consumer"},
        )


def test_too_little_history_is_refused_with_the_counts_and_scores_stay_rule_points() -> None:
    make_history(won=10, lost=60)
    lead = make_lead(purchase_timeframe="now")

    with pytest.raises(ValidationError) as refused:
        scoring_model_train(actor=None)

    message = " ".join(refused.value.messages)
    assert "10 won and 60 lost" in message and "at least 50" in message
    assert ScoringModel.objects.count() == 0
    lead.refresh_from_db()
    assert lead.predicted_probability is None
    assert lead.score == 30  # the default rule "Buying now"


def test_the_command_says_why_it_cannot_train() -> None:
    with pytest.raises(CommandError, match="0 won and 0 lost"):
        call_command("score", "train")


def test_closed_history_labels_outcomes_and_rejected_leads() -> None:
    closed("won")
    closed("lost")
    lead_reject(actor=None, lead=make_lead(), reason="Spam")
    make_lead()  # open: not history

    records, labels = closed_history()

    assert sorted(labels) == [0, 0, 1]
    assert len(records) == 3


def test_training_stores_the_model_with_held_out_figures_and_scores_every_lead() -> None:
    ScoringRule.objects.all().delete()
    make_history(won=60, lost=60)
    fresh = make_lead(purchase_timeframe="now", custom={"employees": 120, "segment": "smb"})
    cold = make_lead(custom={"employees": 4, "segment": "consumer"})

    row = scoring_model_train(actor=None, needed=50)

    assert (row.training_size, row.won, row.lost) == (120, 60, 60)
    for key in ("model", "logistic", "naive_bayes"):
        figures = row.metrics[key]
        assert 0.8 < figures["auc"] <= 1.0
        assert len(figures["lift"]) == 10
        assert all(0 <= p <= 1 and 0 <= t <= 1 for p, t in figures["calibration"])
    assert row.metrics["held_out"] == {"train": 90, "test": 30}
    fresh.refresh_from_db()
    cold.refresh_from_db()
    assert fresh.predicted_probability is not None and cold.predicted_probability is not None
    assert fresh.predicted_probability > 0.5 > cold.predicted_probability
    assert fresh.score == round(100 * fresh.predicted_probability)
    # Factors are changes of the calibrated probability shown: the cold lead would be
    # likelier with an average lead's values; the fresh one may sit on a plateau.
    factors = lead_factors(lead=cold)
    assert factors and {"field", "value", "effect", "without"} <= set(factors[0])
    assert factors[0]["field"] in {"purchase_timeframe", "custom.employees", "temperature"}
    assert factors[0]["effect"] < 0
    assert cold.predicted_probability == pytest.approx(
        factors[0]["without"] + factors[0]["effect"], abs=1e-4
    )


def test_new_leads_are_scored_by_the_trained_model_without_anyone_asking() -> None:
    make_history(won=55, lost=55)
    scoring_model_train(actor=None)

    lead = make_lead(purchase_timeframe="now", custom={"employees": 90, "segment": "smb"})

    assert lead.predicted_probability is not None
    assert Lead.objects.get(pk=lead.pk).predicted_probability == lead.predicted_probability


def test_lift_and_calibration_are_computed_from_the_ranking() -> None:
    labels = np.array([1] * 10 + [0] * 90)
    perfect = np.linspace(1, 0, 100)

    lift = lift_by_decile(labels, perfect)
    figures = metrics_for(labels, perfect)

    assert lift[0] == 10.0 and lift[1:] == [0.0] * 9
    assert figures["auc"] == 1.0
    assert len(figures["calibration"]) == 10
    assert figures["calibration"][-1][1] == 1.0  # the top tenth was all won


def test_the_model_page_and_lead_card_show_the_trained_models_figures_and_factors(
    client: object, rhys: User
) -> None:
    make_history(won=55, lost=55)
    scoring_model_train(actor=None)
    lead = make_lead(actor=rhys, owner=rhys, purchase_timeframe="now", custom={"employees": 90})
    client.force_login(rhys)  # type: ignore[attr-defined]

    page = client.get("/scoring/model/").content.decode()  # type: ignore[attr-defined]
    card = client.get(f"/leads/{lead.pk}/").content.decode()  # type: ignore[attr-defined]

    assert "Held-out figures" in page and "Naive Bayes frequency baseline" in page
    assert 'id="model-charts"' in page and "chart.umd.min.js" in page
    assert "What moves the model most" in card
    assert "% chance of being won" in card
