"""What the predictive score sees of a lead: one flat record, then numbers.

A *lead record* is a plain dict shaped like a lead (see :data:`CATEGORICAL_FIELDS`
and :func:`lead_records`), so that leads in the database, imported history and
public data sets used by ``leadflow bench scoring`` all go through the same
:class:`FeatureSpace`:

- standard categorical fields (channel, campaign, temperature, funnel class,
  origin, country, language, purchase timeframe) → one-hot of the values seen
  at least ``min_count`` times (rarer values share an "other" column);
- job title → one column per frequent word;
- has e-mail / phone / company → 0 or 1;
- custom attributes → numbers stay numbers (missing: the median, plus a
  "missing" column), text → one-hot of frequent values;
- engagement → done activities by kind, all activities, and days since the
  last done one (as of the moment the lead closed, for closed history, so the
  model never learns from what happened after the outcome).

Each column belongs to a *group* (the field it came from), which is what the
per-lead explanation reports.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import datetime

    from leadflow.leads.models import Lead

LeadRecord = dict[str, Any]

CATEGORICAL_FIELDS = (
    "channel",
    "campaign",
    "temperature",
    "funnel_class",
    "origin_class",
    "country",
    "language",
    "purchase_timeframe",
)
PRESENCE_FIELDS = ("has_email", "has_phone", "has_company")
ACTIVITY_KINDS = (
    "call",
    "email",
    "meeting",
    "proposal",
    "price_list",
    "mailing",
    "note",
    "task",
)
# Days since the last done activity when there was none: "a long time".
NO_ACTIVITY_DAYS = 365.0
CUSTOM_PREFIX = "custom."
MAX_CUSTOM_ATTRIBUTES = 200
MAX_VALUES_PER_FIELD = 30
MAX_TITLE_WORDS = 30
_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)


def title_words(title: str) -> set[str]:
    return {word.lower() for word in _WORD.findall(title or "")}


def _number(value: Any) -> float | None:
    """A custom attribute's value as a number, or None if it is not one."""
    if value is None or isinstance(value, bool):
        return float(value) if isinstance(value, bool) else None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        text = value.strip().replace(",", ".")
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip().lower()[:100]


@dataclass
class FeatureSpace:
    """Columns learned from training records; turns any record into a row of numbers."""

    min_count: int = 5
    categories: dict[str, list[str]] = field(default_factory=dict)
    words: list[str] = field(default_factory=list)
    numeric_custom: list[str] = field(default_factory=list)
    medians: dict[str, float] = field(default_factory=dict)
    quartiles: dict[str, list[float]] = field(default_factory=dict)
    with_missing: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)

    # -- learning the columns ---------------------------------------------------

    def fit(self, records: Sequence[LeadRecord]) -> FeatureSpace:
        count = len(records)
        min_count = max(self.min_count, int(count * 0.002))
        custom_keys: Counter[str] = Counter()
        for record in records:
            custom_keys.update(key for key, value in record["custom"].items() if value != "")
        kept_keys = [
            key for key, seen in custom_keys.most_common(MAX_CUSTOM_ATTRIBUTES) if seen >= min_count
        ]
        numeric, text = [], []
        for key in sorted(kept_keys):
            values = [r["custom"].get(key) for r in records]
            present = [v for v in values if v not in (None, "")]
            numbers = [n for n in (_number(v) for v in present) if n is not None]
            # Numbers if nearly all present values are; codes like "A12" stay text.
            if present and len(numbers) >= 0.95 * len(present) and len(set(numbers)) > 2:
                numeric.append(key)
                self.medians[key] = float(np.median(numbers))
                self.quartiles[key] = sorted(set(np.quantile(numbers, [0.25, 0.5, 0.75])))
                if len(numbers) < count:
                    self.with_missing.append(key)
            else:
                text.append(key)
        self.numeric_custom = numeric
        fields = [*CATEGORICAL_FIELDS, *(CUSTOM_PREFIX + key for key in text)]
        for name in fields:
            seen_values = Counter(self._category_value(record, name) for record in records)
            frequent = [
                value
                for value, seen in seen_values.most_common(MAX_VALUES_PER_FIELD)
                if seen >= min_count
            ]
            if len(frequent) > 1 or (frequent and len(seen_values) > 1):
                self.categories[name] = sorted(frequent)
        words: Counter[str] = Counter()
        for record in records:
            words.update(title_words(record["job_title"]))
        self.words = sorted(
            word for word, seen in words.most_common(MAX_TITLE_WORDS) if seen >= min_count
        )
        self._name_columns()
        return self

    def _name_columns(self) -> None:
        names: list[str] = []
        groups: list[str] = []
        for name, values in self.categories.items():
            for value in [*values, "(other)"]:
                names.append(f"{name}={value}")
                groups.append(name)
        for word in self.words:
            names.append(f"job_title~{word}")
            groups.append("job_title")
        for name in PRESENCE_FIELDS:
            names.append(name)
            groups.append(name)
        for key in self.numeric_custom:
            names.append(CUSTOM_PREFIX + key)
            groups.append(CUSTOM_PREFIX + key)
            if key in self.with_missing:
                names.append(f"{CUSTOM_PREFIX}{key} missing")
                groups.append(CUSTOM_PREFIX + key)
        for kind in ACTIVITY_KINDS:
            names.append(f"activities:{kind}")
            groups.append("activities")
        names.extend(["activities:all", "days_since_activity"])
        groups.extend(["activities", "days_since_activity"])
        self.names, self.groups = names, groups

    @staticmethod
    def _category_value(record: LeadRecord, name: str) -> str:
        if name.startswith(CUSTOM_PREFIX):
            return _text(record["custom"].get(name[len(CUSTOM_PREFIX) :]))
        return _text(record.get(name))

    # -- turning records into numbers ----------------------------------------------

    def transform(self, records: Sequence[LeadRecord]) -> np.ndarray:
        matrix = np.zeros((len(records), len(self.names)), dtype=np.float64)
        offsets: dict[str, dict[str, int]] = {}
        column = 0
        for name, values in self.categories.items():
            offsets[name] = {value: column + i for i, value in enumerate(values)}
            offsets[name]["(other)"] = column + len(values)
            column += len(values) + 1
        word_column = {word: column + i for i, word in enumerate(self.words)}
        column += len(self.words)
        presence_column = column
        column += len(PRESENCE_FIELDS)
        numeric_columns: list[tuple[str, int, int | None]] = []
        for key in self.numeric_custom:
            missing_column = column + 1 if key in self.with_missing else None
            numeric_columns.append((key, column, missing_column))
            column += 2 if missing_column is not None else 1
        activity_column = column
        for row, record in enumerate(records):
            for name, positions in offsets.items():
                value = self._category_value(record, name)
                matrix[row, positions.get(value, positions["(other)"])] = 1.0
            for word in title_words(record["job_title"]):
                position = word_column.get(word)
                if position is not None:
                    matrix[row, position] = 1.0
            for i, name in enumerate(PRESENCE_FIELDS):
                matrix[row, presence_column + i] = 1.0 if record[name] else 0.0
            custom = record["custom"]
            for key, position, missing_position in numeric_columns:
                number = _number(custom.get(key))
                if number is None:
                    matrix[row, position] = self.medians[key]
                    if missing_position is not None:
                        matrix[row, missing_position] = 1.0
                else:
                    matrix[row, position] = number
            activities = record["activities"]
            for i, kind in enumerate(ACTIVITY_KINDS):
                matrix[row, activity_column + i] = activities.get(kind, 0)
            matrix[row, activity_column + len(ACTIVITY_KINDS)] = sum(activities.values())
            days = record["days_since_activity"]
            matrix[row, activity_column + len(ACTIVITY_KINDS) + 1] = (
                NO_ACTIVITY_DAYS if days is None else min(float(days), NO_ACTIVITY_DAYS)
            )
        return matrix

    def group_columns(self) -> dict[str, list[int]]:
        columns: dict[str, list[int]] = {}
        for index, group in enumerate(self.groups):
            columns.setdefault(group, []).append(index)
        return columns

    # -- the naive Bayes baseline's view: one token per field ------------------

    def tokens(self, record: LeadRecord) -> dict[str, str]:
        """Each field's value as a token, numbers by quartile; what the frequency model counts."""
        tokens = {
            name: self._category_value(record, name)
            if self._category_value(record, name) in values
            else "(other)"
            for name, values in self.categories.items()
        }
        for name in PRESENCE_FIELDS:
            tokens[name] = "yes" if record[name] else "no"
        for key in self.numeric_custom:
            number = _number(record["custom"].get(key))
            if number is None:
                tokens[CUSTOM_PREFIX + key] = "(missing)"
            else:
                edges = self.quartiles[key]
                tokens[CUSTOM_PREFIX + key] = f"q{sum(1 for edge in edges if number > edge)}"
        activities = record["activities"]
        for kind in ACTIVITY_KINDS:
            tokens[f"activities:{kind}"] = str(min(activities.get(kind, 0), 3))
        return tokens


# --- Lead records from the database -------------------------------------------------


def lead_record(
    lead: Lead,
    *,
    activities: dict[str, int] | None = None,
    last_activity_at: datetime.datetime | None = None,
    as_of: datetime.datetime,
) -> LeadRecord:
    """One lead as a record. ``channel``/``campaign`` are slugs (ids on bulk paths)."""
    days = None
    if last_activity_at is not None:
        days = max((as_of - last_activity_at).total_seconds() / 86400, 0.0)
    return {
        "channel": str(lead.channel_id),
        "campaign": str(lead.campaign_id or ""),
        "temperature": lead.temperature,
        "funnel_class": lead.funnel_class,
        "origin_class": lead.origin_class,
        "country": lead.country,
        "language": lead.language,
        "purchase_timeframe": lead.purchase_timeframe,
        "job_title": lead.job_title,
        "has_email": bool(lead.email),
        "has_phone": bool(lead.phone),
        "has_company": bool(lead.company_name),
        "custom": lead.custom if isinstance(lead.custom, dict) else {},
        "activities": activities or {},
        "days_since_activity": days,
    }


def records_from_rows(rows: Iterable[dict[str, Any]]) -> list[LeadRecord]:
    """Records from plain dicts (imports, public data sets): missing keys are blank."""
    records = []
    for row in rows:
        records.append(
            {
                **{name: row.get(name, "") for name in CATEGORICAL_FIELDS},
                "job_title": row.get("job_title", ""),
                "has_email": bool(row.get("email") or row.get("has_email")),
                "has_phone": bool(row.get("phone") or row.get("has_phone")),
                "has_company": bool(row.get("company_name") or row.get("has_company")),
                "custom": dict(row.get("custom") or {}),
                "activities": dict(row.get("activities") or {}),
                "days_since_activity": row.get("days_since_activity"),
            }
        )
    return records
