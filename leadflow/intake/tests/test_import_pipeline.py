"""Large imports: rows cleaned in a forked process, new leads scored and routed after each batch."""

from __future__ import annotations

import csv
import enum
import io
import json
import multiprocessing
import queue
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, models, transaction

from leadflow.accounts.models import Role, Team
from leadflow.factories import channel, make_contact, make_lead, make_team, make_user
from leadflow.intake import importing
from leadflow.intake.importing import (
    BatchWriter,
    ImportFileError,
    RowSource,
    import_job_create,
    import_job_run,
    import_results_lines,
    mapping_suggest,
)
from leadflow.intake.models import ImportStatus, Inquiry
from leadflow.leads.models import Lead
from leadflow.routing.models import FirstResponse, Strategy
from leadflow.routing.services import routing_rule_create

pytestmark = pytest.mark.django_db

HEADER = "first_name,last_name,email,phone,company_name,external_id,Shoe size\n"


def write(tmp_path: Path, text: str, *, encoding: str = "utf-8") -> Path:
    path = tmp_path / "leads.csv"
    path.write_bytes(text.encode(encoding))
    return path


def run_import(path: Path, **kwargs: Any) -> tuple[Any, list[dict[str, str]]]:
    job = import_job_create(
        actor=None,
        channel=channel("import"),
        path=path,
        mapping=mapping_suggest(RowSource(path).headers()),
    )
    job = import_job_run(job=job, **kwargs)
    return job, list(csv.DictReader(io.StringIO("".join(import_results_lines(job)))))


@pytest.fixture
def forked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file counts as large: its rows are cleaned in a forked process."""
    monkeypatch.setattr(importing, "FORK_CLEANER_ROWS", 1)


def people(count: int) -> str:
    return "".join(
        f"Person,Number{n},person{n}@example.com,020 7946 {n:04d},Acme Ltd,P-{n},{n % 45}\n"
        for n in range(1, count + 1)
    )


def test_rows_cleaned_in_a_forked_process_get_the_same_results_as_in_this_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = (
        people(7)
        + "Person,Number3,PERSON3@EXAMPLE.COM,+44 20 7946 0003,Acme Ltd,,3\n"  # attached to row 3
        + "Broken,Phone,broken@example.com,12,,,\n"  # failed
        + ",,,,,,\n"  # empty: skipped
        + people(2)  # the same rows again: skipped
    )
    path = write(tmp_path, HEADER + rows)
    here_job, here = run_import(path, batch_size=4)
    here_leads = list(Lead.objects.order_by("pk").values_list("email", "phone", "custom"))
    Inquiry.objects.all().delete()
    Lead.objects.all().delete()
    importing.ImportJob.objects.all().delete()

    monkeypatch.setattr(importing, "FORK_CLEANER_ROWS", 1)
    forked_job, forked_results = run_import(path, batch_size=4)

    def outcomes(results: list[dict[str, str]]) -> list[tuple[str, str, str]]:
        # Ids in the reasons ("Imported before (inquiry 16)") differ between the two runs.
        return [(r["row"], r["outcome"], re.sub(r"\d+", "#", r["reason"])) for r in results]

    assert outcomes(forked_results) == outcomes(here)
    assert [r["outcome"] for r in here] == (
        ["created"] * 7 + ["attached", "failed", "skipped", "skipped", "skipped"]
    )
    assert forked_job.rows_done == here_job.rows_done == 12
    assert list(Lead.objects.order_by("pk").values_list("email", "phone", "custom")) == here_leads
    assert multiprocessing.active_children() == []  # the cleaning process has ended


def test_a_file_the_forked_process_cannot_read_fails_the_import_with_the_reason(
    tmp_path: Path, forked: None
) -> None:
    # Far enough down that the header is read and the job created before it shows.
    latin = "Zoë,Brontë,zoe@example.com,,,,\n"
    path = write(tmp_path, HEADER + people(300) + latin, encoding="latin-1")

    with pytest.raises(ImportFileError, match="not UTF-8"):
        run_import(path, batch_size=100)

    job = importing.ImportJob.objects.get()
    assert job.status == ImportStatus.FAILED
    assert "UTF-8" in job.error
    assert multiprocessing.active_children() == []


def test_a_failed_batch_stops_the_forked_process_and_the_import_resumes(
    tmp_path: Path, forked: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, HEADER + people(10))
    real_write = BatchWriter.write

    def fail_on_the_second_batch(self: BatchWriter, batch: Any) -> Any:
        if batch[0].number > 4:
            raise RuntimeError("disk full")
        return real_write(self, batch)

    monkeypatch.setattr(BatchWriter, "write", fail_on_the_second_batch)
    with pytest.raises(RuntimeError, match="disk full"):
        run_import(path, batch_size=4)
    assert multiprocessing.active_children() == []
    assert importing.ImportJob.objects.get().rows_done == 4

    monkeypatch.setattr(BatchWriter, "write", real_write)
    job, results = run_import(path, batch_size=4)

    assert (job.status, job.rows_done, job.created) == (ImportStatus.DONE, 10, 10)
    assert [r["row"] for r in results] == [str(n) for n in range(1, 11)]
    assert Lead.objects.count() == 10


def test_imported_leads_are_scored_and_routed_by_the_triage_once_their_batch_commits(
    tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    team: Team = make_team("North")
    reps = [make_user(f"rep{n}", Role.SALES_REP, team) for n in range(2)]
    routing_rule_create(actor=None, name="North", strategy=Strategy.ROUND_ROBIN, team=team)
    path = write(tmp_path, HEADER + people(5))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run_import(path, batch_size=2)

    assert len(callbacks) == 3  # one task per batch
    leads = list(Lead.objects.order_by("pk"))
    assert len(leads) == 5
    assert {lead.owner_id for lead in leads} == {rep.pk for rep in reps}
    assert all(lead.score > 0 for lead in leads)
    assert FirstResponse.objects.filter(lead__in=leads).count() == 5
    assert not any(lead.triage_pending for lead in leads)


def test_imported_leads_wait_for_the_triage_until_it_runs(tmp_path: Path) -> None:
    run_import(write(tmp_path, HEADER + people(3)))  # no commit here: the task is not queued

    assert list(Lead.objects.values_list("triage_pending", "owner")) == [(True, None)] * 3


def test_the_import_sets_its_connection_back_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite settings")

    def settings() -> list[int]:
        with connection.cursor() as cursor:
            values = []
            for name in ("mmap_size", "wal_autocheckpoint", "cache_size"):
                cursor.execute(f"PRAGMA {name}")
                values.append(cursor.fetchone()[0])
            return values

    during: list[list[int]] = []
    real_write = BatchWriter.write

    def write_and_look(self: BatchWriter, batch: Any) -> Any:
        during.append(settings())
        return real_write(self, batch)

    monkeypatch.setattr(BatchWriter, "write", write_and_look)
    before = settings()
    run_import(write(tmp_path, HEADER + people(3)))

    assert during == [[0, importing.IMPORT_WAL_CHECKPOINT_PAGES, -importing.IMPORT_PAGE_CACHE_KB]]
    assert settings() == before != during[0]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_import_empties_the_write_ahead_log_when_it_ends(tmp_path: Path) -> None:
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's write-ahead log")
    log = Path(connection.settings_dict["NAME"] + "-wal")

    job, _ = run_import(write(tmp_path, HEADER + people(5)))

    assert job.created == 5
    assert log.stat().st_size == 0  # the next request does not copy the import's pages


def prepared(path: Path, *, batch_size: int, forked: bool = False) -> tuple[BatchWriter, Any]:
    """A job for the file, its writer, and its rows cleaned and prepared as the import does."""
    job = import_job_create(
        actor=None,
        channel=channel("import"),
        path=path,
        mapping=mapping_suggest(RowSource(path).headers()),
    )
    source = RowSource(path)
    writer = BatchWriter(job=job, channel=job.channel, campaign=None, actor=None)
    cleaner = importing.RowCleaner(job.channel, source.headers(), job.mapping)
    batches = importing.prepared_batches(
        source, cleaner, start=0, batch_size=batch_size, forked=forked, prepare=writer.prepare
    )
    return writer, batches


def first_batch(path: Path) -> tuple[BatchWriter, list[importing.PreparedRow]]:
    """The file's first rows cleaned and prepared as the forked process would, and their writer."""
    writer, batches = prepared(path, batch_size=100)
    return writer, next(batches)


def test_matches_found_ahead_are_looked_up_again_when_a_record_is_filed_or_deleted_since(
    tmp_path: Path,
) -> None:
    ada = make_lead(first_name="Ada", last_name="Lovelace", email="ada@example.com")
    alan = make_lead(first_name="Alan", last_name="Turing", email="alan@example.com")
    path = write(
        tmp_path,
        HEADER
        + "Ada,Lovelace,ada@example.com,,,,\n"
        + "Grace,Hopper,grace@example.com,,,,\n"
        + "Alan,Turing,alan@example.com,,,,\n"
        + "Edsger,Dijkstra,edsger@example.com,,,,\n",
    )
    writer, rows = first_batch(path)

    writer.match_stored(rows)  # as the cleaning process does, ahead of the writing
    assert [[(kind, ref) for *_, kind, ref in row.stored or ()] for row in rows] == [
        [("lead", ada.pk)],
        [],
        [("lead", alan.pk)],
        [],
    ]

    # Meanwhile Ada's card goes (merged away, say) and Grace arrives through another door.
    Lead.objects.filter(pk=ada.pk).delete()
    grace = make_lead(first_name="Grace", last_name="Hopper", email="grace@example.com")
    with transaction.atomic():
        results = writer.write(rows)

    assert [(r.outcome, r.lead_id) for r in results] == [
        ("created", results[0].lead_id),
        ("attached", grace.pk),
        ("attached", alan.pk),  # what was found ahead still holds
        ("created", results[3].lead_id),
    ]
    assert results[0].lead_id not in (ada.pk, None)


def test_a_record_refiled_since_the_look_up_is_compared_as_it_is_now(tmp_path: Path) -> None:
    from leadflow.leads.services import lead_update

    ada = make_lead(first_name="Ada", last_name="Lovelace", email="ada@example.com")
    alan = make_lead(first_name="Alan", last_name="Turing", email="alan@example.com")
    grace = make_lead(first_name="Grace", last_name="Hopper", email="grace.h@example.com")
    path = write(
        tmp_path,
        HEADER
        + "Ada,Lovelace,ada@example.com,,,,\n"
        + "Alan,Turing,alan@example.com,,,,\n"
        + "Grace,Hopper,grace@example.com,,,,\n",
    )
    writer, rows = first_batch(path)
    writer.match_stored(rows)
    assert [[(kind, ref) for *_, kind, ref in row.stored or ()] for row in rows] == [
        [("lead", ada.pk)],
        [("lead", alan.pk)],
        [],
    ]

    # Meanwhile Alan's card gets another address, and Grace's the one this file has.
    lead_update(actor=None, lead=alan, version=None, email="turing@example.com")
    lead_update(
        actor=None, lead=Lead.objects.get(pk=grace.pk), version=None, email="grace@example.com"
    )
    with transaction.atomic():
        results = writer.write(rows)

    assert [(r.outcome, r.lead_id) for r in results] == [
        ("attached", ada.pk),  # found ahead, untouched since: still holds
        ("created", results[1].lead_id),  # Alan no longer shares a key with the row
        ("attached", grace.pk),
    ]
    assert results[1].lead_id not in (alan.pk, None)


@pytest.mark.parametrize("attribute", ["date_of_birth", "doğum_tarihi"])
def test_stored_records_are_read_for_matching_as_the_matching_module_reads_them(
    tmp_path: Path, settings: Any, attribute: str
) -> None:
    from django.db import connection

    from leadflow.identity.matching import blocking_keys, person_from
    from leadflow.identity.services import record_fields

    settings.LEADFLOW_MATCH_IDENTITY_ATTRIBUTES = [attribute]
    common: dict[str, Any] = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "company_name": "Acme Ltd",
    }
    leads = [
        make_lead(**common, email="a@example.com", custom={attribute: " 1990-01-02 "}),
        make_lead(**common, email="b@example.com", custom={"note": f"no {attribute} known"}),
        make_lead(**common, email="c@example.com", custom={}),
        make_lead(**common, email="d@example.com", custom={attribute: 19900102, "x": "ŞİŞLİ"}),
        make_lead(
            **common, street="1 Infinite Loop", postal_code="n1 9gu", city="  london ", phone=""
        ),
    ]
    # Written by another program: the attribute's name not escaped.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE leads_lead SET custom = %s WHERE id = %s",
            [f'{{"{attribute}": "1971-05-05"}}', leads[2].pk],
        )
    writer, _rows = first_batch(write(tmp_path, HEADER + "Ada,Lovelace,a@example.com,,,,\n"))

    persons = writer._persons({1: [(lead.pk, None) for lead in leads]})

    for lead in leads:
        lead.refresh_from_db()
        expected = person_from(record_fields(lead), lead.custom)
        assert persons[("lead", lead.pk)] == expected
        assert blocking_keys(persons[("lead", lead.pk)]) == blocking_keys(expected)
    assert persons[("lead", leads[0].pk)].identity == {attribute: "1990-01-02"}
    assert persons[("lead", leads[2].pk)].identity == {attribute: "1971-05-05"}
    assert persons[("lead", leads[1].pk)].identity == {}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_forked_import_finds_stored_records_and_those_of_its_own_earlier_batches(
    tmp_path: Path, forked: None
) -> None:
    stored = make_lead(first_name="Stored", last_name="Person", email="stored@example.com")
    customer = make_contact(first_name="Grace", last_name="Hopper", email="grace@example.com")
    again = "".join(
        f"Person,Number{n},PERSON{n}@EXAMPLE.COM,+44 20 7946 {n:04d},Acme Ltd,,\n"
        for n in range(1, 9)
    )
    path = write(
        tmp_path,
        HEADER
        + people(8)
        + "Stored,Person,stored@example.com,,,,\n"
        + "Grace,Hopper,GRACE@example.com,,,,\n"
        + again,
    )
    from django.db import connection

    # SQLite looks ahead; PostgreSQL looks up under the batch's identity locks.
    assert importing._can_match_ahead() == (connection.vendor == "sqlite")

    # Batches of two: the cleaning process looks ahead while earlier batches are written.
    _, results = run_import(path, batch_size=2)

    assert [r["outcome"] for r in results] == ["created"] * 8 + ["attached"] * 10
    created = [int(r["lead_id"]) for r in results[:8]]
    assert [int(r["lead_id"]) for r in results[10:]] == created
    assert int(results[8]["lead_id"]) == stored.pk
    assert results[9]["reason"] == f"Customer #{customer.pk}."
    assert Lead.objects.count() == 9
    assert multiprocessing.active_children() == []


class DepthQueue(queue.Queue):
    """A queue that remembers how many items it held at most."""

    most = 0

    def _put(self, item: Any) -> None:
        super()._put(item)
        DepthQueue.most = max(DepthQueue.most, self._qsize())


def taker_thread() -> threading.Thread | None:
    return next((t for t in threading.enumerate() if t.name == "leadflow-import-batches"), None)


@pytest.fixture
def held(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A forked import's first batch, held (as by a writer busy with a long commit),
    and the batches after it, once the cleaning process has cleaned as many ahead as may wait."""
    monkeypatch.setattr(importing.queue, "Queue", DepthQueue)
    DepthQueue.most = 0
    _, batches = prepared(write(tmp_path, HEADER + people(3000)), batch_size=300, forked=True)
    first = next(batches)
    deadline = time.monotonic() + 30
    while DepthQueue.most < importing.BATCHES_AHEAD and time.monotonic() < deadline:
        time.sleep(0.02)
    return first, batches


def test_the_cleaning_process_goes_on_while_the_writer_holds_a_batch(held: Any) -> None:
    first, batches = held
    assert DepthQueue.most == importing.BATCHES_AHEAD

    numbers = [row.number for batch in [first, *batches] for row in batch]
    assert numbers == list(range(1, 3001))
    assert taker_thread() is None
    assert multiprocessing.active_children() == []


def test_closing_the_batches_stops_the_cleaning_process_and_the_thread_taking_them(
    held: Any,
) -> None:
    _, batches = held

    batches.close()  # with batches waiting, and the child blocked on a full pipe

    assert taker_thread() is None
    assert multiprocessing.active_children() == []


def test_the_json_columns_prepared_as_text_are_the_ones_written_as_json_text(
    tmp_path: Path,
) -> None:
    # prepare() fills some JSON columns with JSON text, and the writer's tables
    # take exactly those (by name) as encoded: a column in one list and not in
    # the other would be stored as a JSON string, or encoded twice.
    writer, rows = first_batch(write(tmp_path, HEADER + people(3)))
    assert len(rows) == 3
    for model, columns, encoded, values_of in (
        (Inquiry, writer.inquiry_columns, importing._INQUIRY_ENCODED, "inquiry_values"),
        (Lead, writer.lead_columns, importing._LEAD_ENCODED, "lead_values"),
    ):
        json_columns = {
            field.attname
            for field in model._meta.concrete_fields
            if isinstance(field, models.JSONField)
        }
        for row in rows:
            values = dict(zip(columns, getattr(row, values_of), strict=True))
            as_text = {name for name in json_columns if isinstance(values[name], str)}
            assert as_text == set(encoded), model
            for name in as_text:
                json.loads(values[name])


def test_the_rows_an_import_writes_hold_plain_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite's driver binds a str subclass (a choice's enumeration member) or a
    # boolean through its adapter look-up, about ten times the cost of a plain
    # value: a tenth of the importing process's time when they slipped in.
    written: dict[str, list[Any]] = {}
    insert = importing.BulkTable.insert

    def recording(table: importing.BulkTable, rows: Any, **kwargs: Any) -> int:
        written.setdefault(table.model.__name__, []).extend(table.prepare(rows))
        return insert(table, rows, **kwargs)

    monkeypatch.setattr(importing.BulkTable, "insert", recording)
    again = "Person,Number2,PERSON2@EXAMPLE.COM,,,,\n"  # attached to the lead of row 2
    run_import(write(tmp_path, HEADER + people(3) + again))

    assert set(written) == {"Lead", "MatchKey", "Inquiry", "Event"}
    plain = (int, float, str, type(None))
    for model, rows in written.items():
        for row in rows:
            assert not [value for value in row if isinstance(value, enum.Enum)], model
            if connection.vendor == "sqlite":  # PostgreSQL's driver takes times and booleans
                assert [type(value) for value in row if type(value) not in plain] == [], model
