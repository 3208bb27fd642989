"""A lead's top factors speak of the probability the card shows: same sign, same order, same units."""

from __future__ import annotations

import random

import numpy as np
import pytest

from leadflow.scoring.features import LeadRecord, records_from_rows
from leadflow.scoring.predictive import ScoreModel, fit_model, one_thread


def history(count: int = 600, seed: int = 1) -> tuple[list[LeadRecord], np.ndarray]:
    """Buying now wins most; referrals and bigger firms a little more; the country not at all."""
    rnd = random.Random(seed)
    rows, labels = [], []
    for _ in range(count):
        now = rnd.random() < 0.5
        channel = rnd.choice(["web-form", "referral", "phone"])
        employees = rnd.randint(1, 300)
        won = 0.7 if now else 0.12
        won += (0.12 if channel == "referral" else 0.0) + (0.1 if employees > 150 else 0.0)
        rows.append(
            {
                "purchase_timeframe": "now" if now else "",
                "channel": channel,
                "country": rnd.choice(["GB", "TR"]),
                "email": "someone@example.com",
                "custom": {"employees": employees},
            }
        )
        labels.append(1 if rnd.random() < won else 0)
    return records_from_rows(rows), np.asarray(labels)


@pytest.fixture(scope="module")
def trained() -> tuple[ScoreModel, list[LeadRecord]]:
    records, labels = history()
    return fit_model("model", records, labels), records


def test_each_factor_is_the_change_in_the_probability_shown(
    trained: tuple[ScoreModel, list[LeadRecord]],
) -> None:
    model, records = trained
    for record in records[:15]:
        shown = float(model.predict([record])[0])
        for factor in model.explain(record, top=10):
            assert factor["effect"] == pytest.approx(shown - factor["without"], abs=1e-9)
            assert 0.0 <= factor["without"] <= 1.0


def test_factors_agree_in_sign_and_order_with_the_calibrated_model(
    trained: tuple[ScoreModel, list[LeadRecord]],
) -> None:
    model, records = trained
    groups = model.space.group_columns()
    for record in records[:15]:
        factors = model.explain(record, top=10)
        effects = [factor["effect"] for factor in factors]
        assert [abs(e) for e in effects] == sorted((abs(e) for e in effects), reverse=True)
        # Replace the field with the average lead's value and ask the model itself.
        row = model.space.transform([record])[0]
        shown = float(model.predict([record])[0])
        for factor in factors:
            average = row.copy()
            columns = groups[factor["field"]]
            average[columns] = model.reference[columns]  # type: ignore[index]
            with one_thread():
                without = model.estimator.predict_proba(average[np.newaxis, :])[0, 1]
            moved = shown - float(without)
            assert np.sign(moved) == np.sign(factor["effect"])
            assert moved == pytest.approx(factor["effect"], abs=1e-9)


def test_buying_now_is_named_for_and_against_as_the_lead_says(
    trained: tuple[ScoreModel, list[LeadRecord]],
) -> None:
    model, _records = trained
    buyer, browser = records_from_rows(
        [
            {"purchase_timeframe": "now", "channel": "phone", "country": "GB", "custom": {}},
            {"purchase_timeframe": "", "channel": "phone", "country": "GB", "custom": {}},
        ]
    )

    for record, sign in ((buyer, 1), (browser, -1)):
        effects = {f["field"]: f["effect"] for f in model.explain(record, top=10)}
        assert np.sign(effects["purchase_timeframe"]) == sign
