"""The import pages: upload, mapping with a preview, a background job with progress, results."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from leadflow.intake.models import ImportJob, ImportStatus
from leadflow.leads.models import Lead

pytestmark = pytest.mark.django_db

SALESFORCE = (
    "First Name,Last Name,Email,Company,Title,Lead Source\n"
    "Ayşe,Yılmaz,ayse@example.com,Acme Ltd,Director,Trade fair\n"
    "Bob,Stone,not-an-address,,,\n"
)


def upload(client, text: str = SALESFORCE, name: str = "export.csv"):
    return client.post(
        reverse("imports:list"),
        {"file": SimpleUploadedFile(name, text.encode()), "channel": "import"},
    )


@pytest.fixture(autouse=True)
def var_dir(tmp_path: Path):
    with override_settings(VAR_DIR=tmp_path):
        yield tmp_path


def test_a_marketer_uploads_maps_previews_and_imports_a_salesforce_export(
    client, mia, var_dir: Path, django_capture_on_commit_callbacks
) -> None:
    client.force_login(mia)
    response = upload(client)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("imports:mapping", args=[job.pk])
    assert Path(job.file_path).is_relative_to(var_dir / "imports")
    assert job.mapping["Title"] == "job_title"  # the Salesforce preset, detected

    page = client.get(response.url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Salesforce export" in text
    assert "created" in text and "is not a valid e-mail address" in text  # the preview

    form = {
        f"column_{i}": name
        for i, name in enumerate(
            ["first_name", "last_name", "email", "company_name", "job_title", ""]
        )
    }
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(response.url, {**form, "start": "1"})
    assert started.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.created, job.failed) == (ImportStatus.DONE, 2, 1, 1)
    lead = Lead.objects.get()
    assert lead.job_title == "Director" and lead.custom == {"Lead Source": "Trade fair"}

    progress = client.get(reverse("imports:detail", args=[job.pk]), headers={"HX-Request": "true"})
    assert progress.status_code == 200
    assert b"hx-trigger" not in progress.content  # finished: no more polling
    results = client.get(reverse("imports:results", args=[job.pk]))
    lines = list(csv.reader(io.StringIO(b"".join(results.streaming_content).decode())))
    assert [line[2] for line in lines] == ["outcome", "created", "failed"]


def test_a_running_import_is_polled_for_progress(client, mia) -> None:
    client.force_login(mia)
    upload(client)
    job = ImportJob.objects.get()
    page = client.get(reverse("imports:detail", args=[job.pk]))
    assert b'hx-trigger="every 1s"' in page.content


def test_the_mapping_refuses_one_field_for_two_columns(client, mia) -> None:
    client.force_login(mia)
    upload(client)
    job = ImportJob.objects.get()
    form = {f"column_{i}": "email" for i in range(6)}
    page = client.post(reverse("imports:mapping", args=[job.pk]), {**form, "start": "1"})
    assert page.status_code == 200
    assert "is already taken" in page.content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.PENDING


def test_a_file_that_is_not_a_table_is_refused(client, mia) -> None:
    client.force_login(mia)
    page = upload(client, name="notes.pdf")
    assert page.status_code == 200
    assert "Upload a .csv or .xlsx file." in page.content.decode()
    assert not ImportJob.objects.exists()


def test_sales_reps_cannot_import(client, rhys, mia) -> None:
    client.force_login(mia)
    upload(client)
    job = ImportJob.objects.get()
    client.force_login(rhys)
    assert client.get(reverse("imports:list")).status_code == 403
    assert client.get(reverse("imports:detail", args=[job.pk])).status_code == 403
    assert upload(client).status_code == 403
