"""The predictive score: a calibrated model of P(won) trained on closed history.

Three models are trained on the same held-out split so the model page can
show how much the chosen one is worth:

``model``
    The score Leadflow uses: gradient-boosted trees (which find interactions
    and thresholds in engagement and custom attributes) averaged with an
    L2-regularised logistic regression (steady on small or sparse data), the
    blend calibrated with isotonic regression on cross-validated predictions
    so that "0.3" means about three in ten such leads were won.
``logistic``
    Plain logistic regression on the same standardised columns.
``naive_bayes``
    A frequency model of the kind some CRMs ship: for each field, how often
    its value occurs among won and among lost leads (Laplace-smoothed), the
    fields multiplied as if independent. Implemented here as the baseline.

Metrics are computed on a stratified 25 % held-out part; the stored model is
then refitted on all of the history.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV, calibration_curve
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from leadflow.scoring.features import FeatureSpace, LeadRecord
from leadflow.scoring.models import MIN_PER_CLASS

HELD_OUT_SHARE = 0.25
ALGORITHMS = ("model", "logistic", "naive_bayes")


class NotEnoughHistory(Exception):
    """Too few closed leads of one outcome to learn from."""

    def __init__(self, won: int, lost: int, needed: int = MIN_PER_CLASS) -> None:
        self.won, self.lost, self.needed = won, lost, needed
        super().__init__(
            f"Training needs at least {needed} won and {needed} lost leads; "
            f"the history has {won} won and {lost} lost."
        )


# --- The naive Bayes frequency baseline ------------------------------------------------


@dataclass
class NaiveBayesBaseline:
    """P(won | field values) from per-field value frequencies among won and lost leads."""

    space: FeatureSpace
    prior_won: float = 0.5
    # field -> value -> (count among won, count among lost)
    counts: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)
    won: int = 0
    lost: int = 0

    def fit(self, records: Sequence[LeadRecord], labels: Any) -> NaiveBayesBaseline:
        per_field: dict[str, Counter[tuple[str, int]]] = {}
        for record, label in zip(records, labels, strict=True):
            for name, token in self.space.tokens(record).items():
                per_field.setdefault(name, Counter())[(token, label)] += 1
        labels = [int(label) for label in labels]
        self.won = sum(labels)
        self.lost = len(labels) - self.won
        self.prior_won = self.won / max(len(labels), 1)
        for name, counter in per_field.items():
            values = {token for token, _label in counter}
            self.counts[name] = {v: (counter[(v, 1)], counter[(v, 0)]) for v in values}
        return self

    def predict_proba(self, records: Sequence[LeadRecord]) -> np.ndarray:
        out = np.empty(len(records))
        for row, record in enumerate(records):
            log_odds = math.log(self.prior_won / (1 - self.prior_won))
            for name, token in self.space.tokens(record).items():
                seen = self.counts.get(name, {})
                won, lost = seen.get(token, (0, 0))
                distinct = len(seen) + 1
                # Laplace smoothing: an unseen value is equally likely either way.
                log_odds += math.log((won + 1) / (self.won + distinct))
                log_odds -= math.log((lost + 1) / (self.lost + distinct))
            out[row] = 1 / (1 + math.exp(-max(min(log_odds, 35), -35)))
        return out


def one_thread() -> Any:
    """Trees predict row blocks in OpenMP threads; on a shared, busy machine the threads
    wait on each other far longer than one core takes (ten times, measured), so
    scoring runs in one."""
    return threadpool_limits(1)


# --- The score model ---------------------------------------------------------------


def _trees() -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        learning_rate=0.05,
        max_iter=200,
        max_leaf_nodes=15,
        min_samples_leaf=40,
        l2_regularization=1.0,
        random_state=0,
    )


def _linear(c: float = 1.0) -> Any:
    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000))


class BlendedEstimator(ClassifierMixin, BaseEstimator):
    """Trees and a regularised linear model, probabilities averaged."""

    def __init__(self, tree_weight: float = 0.5) -> None:
        self.tree_weight = tree_weight

    def fit(self, x: np.ndarray, y: np.ndarray) -> BlendedEstimator:
        self.trees_ = _trees().fit(x, y)
        self.linear_ = _linear(c=0.1).fit(x, y)
        self.classes_ = self.trees_.classes_
        return self

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        w = self.tree_weight
        return w * self.trees_.predict_proba(x) + (1 - w) * self.linear_.predict_proba(x)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(x), axis=1)]


@dataclass
class ScoreModel:
    """A fitted feature space and estimator: probabilities and explanations for records."""

    algorithm: str
    space: FeatureSpace
    estimator: Any
    reference: np.ndarray | None = None

    def predict(self, records: Sequence[LeadRecord]) -> np.ndarray:
        if not records:
            return np.empty(0)
        if self.algorithm == "naive_bayes":
            return np.asarray(self.estimator.predict_proba(records))
        with one_thread():
            return np.asarray(self.estimator.predict_proba(self.space.transform(records))[:, 1])

    def explain(self, record: LeadRecord, top: int = 5) -> list[dict[str, Any]]:
        """The fields that moved this lead's probability most, against an average lead.

        For each field, its columns are set to the training average and the
        change in the *calibrated* probability — the one the lead card and the
        API show — is the field's contribution (``effect``; positive: the
        field's value makes winning likelier), with the probability the lead
        would have without it (``without``). So every factor agrees in sign,
        size and order with the probability shown: ``shown − effect =
        without``. No permutations, one batch.

        Isotonic calibration is flat in places, so a field that changes the
        uncalibrated blend a little may not change the calibrated probability
        at all; such a field is not shown — it does not move what the user
        sees. (Earlier versions read the blend before calibration, whose
        effects could disagree in sign and order with the shown figure.)
        """
        if self.reference is None or self.algorithm == "naive_bayes":
            return []
        row = self.space.transform([record])[0]
        groups = self.space.group_columns()
        batch = np.repeat(row[np.newaxis, :], len(groups) + 1, axis=0)
        names = list(groups)
        for i, name in enumerate(names, start=1):
            columns = groups[name]
            batch[i, columns] = self.reference[columns]
        with one_thread():
            probabilities = np.asarray(self.estimator.predict_proba(batch)[:, 1])
        base = float(probabilities[0])
        factors: list[dict[str, Any]] = []
        for i, name in enumerate(names, start=1):
            without = float(probabilities[i])
            factors.append(
                {
                    "field": name,
                    "value": _describe(self.space, name, row),
                    "effect": base - without,
                    "without": without,
                }
            )
        factors.sort(key=lambda f: abs(f["effect"]), reverse=True)
        return [f for f in factors[:top] if abs(f["effect"]) >= 0.005]


def _describe(space: FeatureSpace, group: str, row: np.ndarray) -> str:
    """The lead's value of a field, in words, from its columns."""
    parts = []
    for index, (name, owner) in enumerate(zip(space.names, space.groups, strict=True)):
        if owner != group:
            continue
        if "=" in name and row[index] == 1.0:
            return name.split("=", 1)[1] or "—"
        if "~" in name and row[index] == 1.0:
            parts.append(name.split("~", 1)[1])
        elif "=" not in name and "~" not in name:
            if name.endswith(" missing"):
                if row[index] == 1.0:
                    return "—"
                continue
            if name.startswith("activities:") and row[index] == 0:
                continue
            label = name.split(":", 1)[1] if name.startswith("activities:") else ""
            value = row[index]
            text = f"{value:g}"
            parts.append(f"{label} {text}".strip())
    return ", ".join(parts) or "—"


def fit_model(algorithm: str, records: Sequence[LeadRecord], labels: np.ndarray) -> ScoreModel:
    space = FeatureSpace().fit(records)
    if algorithm == "naive_bayes":
        return ScoreModel(algorithm, space, NaiveBayesBaseline(space).fit(records, labels))
    x = space.transform(records)
    with one_thread():
        if algorithm == "logistic":
            estimator = _linear().fit(x, labels)
        elif algorithm == "model":
            estimator = CalibratedClassifierCV(BlendedEstimator(), method="isotonic", cv=3)
            estimator.fit(x, labels)
        else:
            raise ValueError(f"Unknown algorithm {algorithm!r}")
    return ScoreModel(algorithm, space, estimator, reference=x.mean(axis=0))


# --- Metrics ---------------------------------------------------------------------


def lift_by_decile(labels: np.ndarray, probabilities: np.ndarray) -> list[float]:
    """Won rate in each tenth of leads, highest scores first, over the overall won rate."""
    order = np.argsort(-probabilities, kind="stable")
    overall = labels.mean()
    if overall == 0:
        return [0.0] * 10
    return [round(float(part.mean() / overall), 3) for part in np.array_split(labels[order], 10)]


def metrics_for(labels: np.ndarray, probabilities: np.ndarray) -> dict[str, Any]:
    both = len(set(labels.tolist())) == 2
    true_rate, predicted = calibration_curve(labels, probabilities, n_bins=10, strategy="quantile")
    return {
        "auc": round(float(roc_auc_score(labels, probabilities)), 4) if both else None,
        "brier": round(float(brier_score_loss(labels, probabilities)), 4),
        "calibration": [
            [round(float(p), 4), round(float(t), 4)]
            for p, t in zip(predicted, true_rate, strict=True)
        ],
        "lift": lift_by_decile(labels, probabilities),
    }


@dataclass
class Training:
    model: ScoreModel
    metrics: dict[str, Any]
    size: int
    won: int
    lost: int


def check_history(labels: Sequence[int], needed: int = MIN_PER_CLASS) -> None:
    won = int(sum(labels))
    lost = len(labels) - won
    if won < needed or lost < needed:
        raise NotEnoughHistory(won, lost, needed)


def evaluate(
    records: Sequence[LeadRecord],
    labels: Sequence[int],
    *,
    seed: int = 0,
    algorithms: Sequence[str] = ALGORITHMS,
) -> dict[str, dict[str, Any]]:
    """Held-out metrics of each algorithm on one stratified split."""
    y = np.asarray(labels, dtype=np.int64)
    indices = np.arange(len(y))
    train, test = train_test_split(indices, test_size=HELD_OUT_SHARE, stratify=y, random_state=seed)
    train_records = [records[i] for i in train]
    test_records = [records[i] for i in test]
    results = {}
    for algorithm in algorithms:
        fitted = fit_model(algorithm, train_records, y[train])
        results[algorithm] = metrics_for(y[test], fitted.predict(test_records))
    results["held_out"] = {"train": len(train), "test": len(test)}
    return results


def train(
    records: Sequence[LeadRecord], labels: Sequence[int], *, needed: int = MIN_PER_CLASS
) -> Training:
    """Held-out figures for all three models, then the score model refitted on everything."""
    check_history(labels, needed)
    metrics = evaluate(records, labels)
    y = np.asarray(labels, dtype=np.int64)
    model = fit_model("model", records, y)
    won = int(y.sum())
    return Training(model=model, metrics=metrics, size=len(y), won=won, lost=len(y) - won)
