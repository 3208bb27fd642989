"""Looking after imports from /imports/: a job whose worker died is resumed or cancelled (after
a confirmation), a running job can be cancelled, and the list pages and searches by file name."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from leadflow.core.models import AuditEvent
from leadflow.factories import channel
from leadflow.intake.import_jobs import import_job_cancel, import_job_pace
from leadflow.intake.importing import (
    ImportConflict,
    RowSource,
    import_job_create,
    import_job_run,
    import_results_lines,
    mapping_suggest,
)
from leadflow.intake.models import ImportJob, ImportStatus, Inquiry
from leadflow.leads.models import Lead

pytestmark = pytest.mark.django_db

HEADER = "first_name,last_name,email\n"


@pytest.fixture(autouse=True)
def var_dir(tmp_path: Path):
    with override_settings(VAR_DIR=tmp_path):
        yield tmp_path


def people_file(tmp_path: Path, rows: int = 10, name: str = "fair.csv") -> Path:
    path = tmp_path / name
    lines = "".join(f"Person,Number{n},person{n}@example.com\n" for n in range(1, rows + 1))
    path.write_text(HEADER + lines, encoding="utf-8")
    return path


def new_job(path: Path, *, file_name: str = "") -> ImportJob:
    return import_job_create(
        actor=None,
        channel=channel("import"),
        path=path,
        file_name=file_name,
        mapping=mapping_suggest(RowSource(path).headers()),
        resume=False,
    )


def worker_dies_after_first_batch(job: ImportJob, *, minutes_ago: int = 30) -> ImportJob:
    """Run the job until its first batch is committed, then stop as a killed worker does:
    no error recorded, still marked running, no progress since."""

    def killed(_job: ImportJob) -> None:
        raise ImportConflict("kill -9")

    with pytest.raises(ImportConflict):
        import_job_run(job=job, batch_size=4, progress=killed)
    ImportJob.objects.filter(pk=job.pk).update(
        updated_at=timezone.now() - datetime.timedelta(minutes=minutes_ago)
    )
    job.refresh_from_db()
    assert (job.status, job.rows_done) == (ImportStatus.RUNNING, 4)
    return job


def test_a_stalled_import_is_shown_as_such_and_resumed_after_a_confirmation(
    client: Any, mia: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    job = worker_dies_after_first_batch(new_job(people_file(tmp_path)))
    client.force_login(mia)

    listing = client.get(reverse("imports:list")).content.decode()
    assert "stalled" in listing and reverse("imports:resume", args=[job.pk]) in listing
    detail = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "has not moved for more than 5 minutes" in detail
    assert 'hx-trigger="every 1s"' not in detail  # nothing to poll for

    confirm = client.get(reverse("imports:resume", args=[job.pk]))
    assert confirm.status_code == 200
    assert "Carry on from row 5" in confirm.content.decode()
    job.refresh_from_db()
    assert job.rows_done == 4  # asking changed nothing

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("imports:resume", args=[job.pk]))
    assert done.status_code == 302 and done.url == reverse("imports:detail", args=[job.pk])
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.created) == (ImportStatus.DONE, 10, 10)
    assert Lead.objects.count() == Inquiry.objects.count() == 10
    rows = [line.split(",")[0] for line in "".join(import_results_lines(job)).splitlines()[1:]]
    assert rows == [str(n) for n in range(1, 11)]


def test_an_import_still_moving_cannot_be_resumed_a_second_time(
    client: Any, mia: Any, tmp_path: Path
) -> None:
    job = worker_dies_after_first_batch(new_job(people_file(tmp_path)), minutes_ago=0)
    client.force_login(mia)
    detail = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert reverse("imports:resume", args=[job.pk]) not in detail
    assert reverse("imports:cancel", args=[job.pk]) in detail

    refused = client.post(reverse("imports:resume", args=[job.pk]))
    assert refused.status_code == 400
    assert "still running" in refused.content.decode()
    job.refresh_from_db()
    assert (job.status, job.rows_done) == (ImportStatus.RUNNING, 4)


def test_a_stalled_import_is_cancelled_after_a_confirmation_and_keeps_its_rows(
    client: Any, mia: Any, tmp_path: Path
) -> None:
    job = worker_dies_after_first_batch(new_job(people_file(tmp_path)))
    client.force_login(mia)

    confirm = client.get(reverse("imports:cancel", args=[job.pk])).content.decode()
    assert "The 4 rows already read stay as they are" in confirm
    job.refresh_from_db()
    assert job.status == ImportStatus.RUNNING

    response = client.post(reverse("imports:cancel", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.rows_done) == (ImportStatus.CANCELLED, 4)
    assert job.finished_at is not None
    audit = AuditEvent.objects.get(action="import.cancel")
    assert audit.actor == mia and audit.before == {"status": "running", "rows_done": 4}

    # Nothing brings it back: a worker that picks it up reads no more rows.
    assert import_job_run(job=job).rows_done == 4
    assert client.post(reverse("imports:resume", args=[job.pk])).status_code == 400
    assert client.post(reverse("imports:cancel", args=[job.pk])).status_code == 400
    assert Lead.objects.count() == 4
    detail = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "Cancelled" in detail and reverse("imports:cancel", args=[job.pk]) not in detail


def test_a_worker_running_a_cancelled_import_stops_after_the_batch_in_hand(
    tmp_path: Path, mia: Any
) -> None:
    job = new_job(people_file(tmp_path))

    def cancel_after_first_batch(running: ImportJob) -> None:
        if running.rows_done == 4:
            import_job_cancel(actor=mia, job=running)

    stopped = import_job_run(job=job, batch_size=4, progress=cancel_after_first_batch)

    assert (stopped.status, stopped.rows_done, stopped.created) == (ImportStatus.CANCELLED, 4, 4)
    assert Lead.objects.count() == Inquiry.objects.count() == 4


def test_sales_reps_can_neither_resume_nor_cancel(client: Any, rhys: Any, tmp_path: Path) -> None:
    job = worker_dies_after_first_batch(new_job(people_file(tmp_path)))
    client.force_login(rhys)
    assert client.get(reverse("imports:cancel", args=[job.pk])).status_code == 403
    assert client.post(reverse("imports:cancel", args=[job.pk])).status_code == 403
    assert client.post(reverse("imports:resume", args=[job.pk])).status_code == 403
    job.refresh_from_db()
    assert job.status == ImportStatus.RUNNING


def test_the_import_list_pages_through_every_import_and_searches_by_file_name(
    client: Any, mia: Any, tmp_path: Path
) -> None:
    path = people_file(tmp_path, rows=1)
    for n in range(1, 56):
        month = "march" if n % 10 == 0 else "list"
        new_job(path, file_name=f"{month}-{n:02d}.csv")
    client.force_login(mia)

    first = client.get(reverse("imports:list")).content.decode()
    assert first.count("data-import=") == 50
    assert "list-55.csv" in first and "list-01.csv" not in first  # newest first
    next_url = first.split('rel="next" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    second = client.get(next_url).content.decode()
    assert second.count("data-import=") == 5
    assert "list-01.csv" in second and "list-55.csv" not in second

    found = client.get(reverse("imports:list"), {"q": "MARCH"}).content.decode()
    assert found.count("data-import=") == 5
    assert "march-50.csv" in found and "list-" not in found.split("data-import=", 1)[1]

    partial = client.get(reverse("imports:list"), {"q": "march-1"}, headers={"HX-Request": "true"})
    text = partial.content.decode()
    assert "<html" not in text and text.count("data-import=") == 1

    nothing = client.get(reverse("imports:list"), {"q": "april"}).content.decode()
    assert "No import of a file named like" in nothing


def test_a_running_import_shows_its_pace_and_about_how_long_it_has_left(
    client: Any, mia: Any, tmp_path: Path
) -> None:
    job = worker_dies_after_first_batch(new_job(people_file(tmp_path)), minutes_ago=0)
    assert job.run_first_row == 0 and job.run_started_at is not None
    client.force_login(mia)
    detail = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert 'id="import-pace"' not in detail  # 4 rows: too few to tell a pace by

    # A run resumed at row 1,000 that has read 40,000 rows in 20 seconds.
    ImportJob.objects.filter(pk=job.pk).update(
        run_started_at=timezone.now() - datetime.timedelta(seconds=20),
        run_first_row=1_000,
        rows_done=41_000,
        rows_estimated=341_000,
    )
    detail = client.get(
        reverse("imports:detail", args=[job.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    # Some milliseconds more than 20 seconds have passed by now.
    assert re.search(r"(1,99\d|2,000) rows a second", detail), detail
    assert "about 2\xa0minutes left" in detail  # 300,000 rows to go

    ImportJob.objects.filter(pk=job.pk).update(rows_estimated=100_000)
    detail = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "less than a minute left" in detail


def test_the_pace_counts_from_the_latest_run_and_only_while_it_runs(tmp_path: Path) -> None:
    job = worker_dies_after_first_batch(new_job(people_file(tmp_path, rows=3_000)))
    first_run = job.run_started_at
    assert first_run is not None
    seen: list[tuple[int, int]] = []
    import_job_run(
        job=job, batch_size=1_000, progress=lambda j: seen.append((j.run_first_row, j.rows_done))
    )
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.rows_done == 3_000
    assert job.run_first_row == 4
    assert job.run_started_at is not None and job.run_started_at > first_run
    assert seen[0] == (4, 1_004)
    assert import_job_pace(job) is None  # done

    now = timezone.now()
    job.status = ImportStatus.RUNNING
    job.run_started_at, job.run_first_row, job.rows_done = now, 0, 5_000
    job.rows_estimated = None
    assert import_job_pace(job, now=now + datetime.timedelta(seconds=2)) is None  # too soon
    pace = import_job_pace(job, now=now + datetime.timedelta(seconds=4))
    assert pace is not None
    assert pace.rows_per_second == 1_250 and pace.left is None and pace.done_at is None
    job.rows_estimated = 15_000
    pace = import_job_pace(job, now=now + datetime.timedelta(seconds=4))
    assert pace is not None and pace.left == datetime.timedelta(seconds=8)
    assert pace.done_at == now + datetime.timedelta(seconds=12)


def test_a_finished_import_says_how_long_it_took(client: Any, mia: Any, tmp_path: Path) -> None:
    job = import_job_run(job=new_job(people_file(tmp_path)))
    assert job.status == ImportStatus.DONE
    client.force_login(mia)
    detail = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "Took less than a minute." in detail
    assert 'id="import-pace"' not in detail  # done: no pace any more

    assert job.started_at is not None
    ImportJob.objects.filter(pk=job.pk).update(
        finished_at=job.started_at + datetime.timedelta(minutes=6, seconds=30)
    )
    detail = client.get(
        reverse("imports:detail", args=[job.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert "Took 6\xa0minutes." in detail
