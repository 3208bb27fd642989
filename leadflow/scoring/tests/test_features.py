"""Lead records become columns the same way for the database, imports and data sets."""

from __future__ import annotations

import numpy as np
import pytest

from leadflow.activities.services import activity_create
from leadflow.factories import make_lead
from leadflow.scoring.features import FeatureSpace, records_from_rows
from leadflow.scoring.predictive import NaiveBayesBaseline
from leadflow.scoring.selectors import lead_records


def rows(n: int, **extra: object) -> list[dict[str, object]]:
    return [
        {
            "channel": "web-form" if i % 2 else "referral",
            "country": "GB",
            "job_title": "Finance Director" if i % 3 == 0 else "Office Manager",
            "email": "x@example.com",
            "custom": {"employees": str(10 + i), "industry": "Logistics" if i % 2 else "Energy"},
            "activities": {"call": i % 4},
            "days_since_activity": float(i),
            **extra,
        }
        for i in range(n)
    ]


def test_custom_numbers_stay_numbers_and_custom_text_becomes_one_hot_columns() -> None:
    space = FeatureSpace().fit(records_from_rows(rows(40)))

    assert "custom.employees" in space.names
    assert "custom.industry=logistics" in space.names
    assert "custom.industry=energy" in space.names
    matrix = space.transform(records_from_rows(rows(3)))
    assert matrix[:, space.names.index("custom.employees")].tolist() == [10.0, 11.0, 12.0]
    assert matrix[1, space.names.index("custom.industry=logistics")] == 1.0


def test_job_title_words_channels_presence_and_engagement_are_columns() -> None:
    space = FeatureSpace().fit(records_from_rows(rows(40)))
    matrix = space.transform(records_from_rows(rows(4)))

    assert matrix[0, space.names.index("job_title~director")] == 1.0
    assert matrix[1, space.names.index("job_title~director")] == 0.0
    assert matrix[0, space.names.index("channel=referral")] == 1.0
    assert matrix[:, space.names.index("has_email")].tolist() == [1.0] * 4
    assert matrix[:, space.names.index("has_phone")].tolist() == [0.0] * 4
    assert matrix[:, space.names.index("activities:call")].tolist() == [0.0, 1.0, 2.0, 3.0]
    assert matrix[3, space.names.index("days_since_activity")] == 3.0


def test_an_unseen_value_goes_to_the_other_column_and_a_missing_number_to_the_median() -> None:
    some_unknown = [{**row, "custom": {}} if i % 5 == 0 else row for i, row in enumerate(rows(40))]
    space = FeatureSpace().fit(records_from_rows(some_unknown))
    odd = records_from_rows([{"channel": "carrier-pigeon", "custom": {}}])
    row = space.transform(odd)[0]

    assert row[space.names.index("channel=(other)")] == 1.0
    assert row[space.names.index("custom.employees")] == space.medians["employees"]
    assert row[space.names.index("custom.employees missing")] == 1.0


@pytest.mark.django_db
def test_a_leads_record_counts_only_done_activities_with_their_kinds() -> None:
    lead = make_lead(job_title="Head of Procurement", custom={"employees": 120})
    activity_create(actor=None, kind="call", subject="Intro", lead=lead, done_at=lead.created_at)
    activity_create(
        actor=None, kind="meeting", subject="Planned", lead=lead, due_at=lead.created_at
    )

    (record,) = lead_records([lead])

    assert record["activities"] == {"call": 1}
    assert record["channel"] == "web-form"
    assert record["custom"] == {"employees": 120}
    assert record["days_since_activity"] is not None


def test_the_naive_bayes_baseline_ranks_by_per_field_value_frequencies() -> None:
    records = records_from_rows(rows(200))
    # Referral leads (even rows) were won three times in four; web-form leads once in four.
    labels = [1 if (i % 2 == 0) == (i % 8 != 6) else 0 for i in range(200)]
    space = FeatureSpace().fit(records)
    model = NaiveBayesBaseline(space).fit(records, labels)

    referral, web = model.predict_proba(records_from_rows(rows(2)))
    assert referral > 0.5 > web
    assert np.isclose(model.prior_won, sum(labels) / 200)
