"""Importing lists: every row gets one result, the same rules as single inquiries, no duplicates."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction

from leadflow.core.models import AuditEvent, Event, EventKind
from leadflow.factories import channel, make_contact, make_lead
from leadflow.identity.matching import key_code
from leadflow.identity.models import DuplicatePair, MatchKey
from leadflow.intake import importing
from leadflow.intake.importing import (
    BatchWriter,
    RowSource,
    detect_preset,
    import_job_create,
    import_job_run,
    import_preview,
    import_results_lines,
    mapping_suggest,
)
from leadflow.intake.models import ImportStatus, Inquiry, InquiryOutcome
from leadflow.intake.services import inquiry_submit
from leadflow.leads.models import Interest, Lead

pytestmark = pytest.mark.django_db

HEADER = "first_name,last_name,email,phone,company_name,external_id,Shoe size\n"


def write(tmp_path: Path, text: str, name: str = "leads.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def run_import(path: Path, *, mapping: dict[str, str] | None = None, **kwargs: Any):
    headers = RowSource(path).headers()
    job = import_job_create(
        actor=None,
        channel=channel("import"),
        path=path,
        mapping=mapping if mapping is not None else mapping_suggest(headers),
    )
    job = import_job_run(job=job, **kwargs)
    return job, results_of(job)


def results_of(job) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO("".join(import_results_lines(job)))))


def test_columns_named_like_lead_fields_map_themselves_and_the_rest_stay_custom(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, HEADER + "Ada,Lovelace,ada@example.com,,Analytical Ltd,A-1,38\n")
    _job, results = run_import(path)
    lead = Lead.objects.get()
    assert (lead.first_name, lead.company_name, lead.external_id) == (
        "Ada",
        "Analytical Ltd",
        "A-1",
    )
    assert lead.custom == {"Shoe size": "38"}
    assert lead.channel.slug == "import"
    assert results == [
        {
            "row": "1",
            "external_id": "A-1",
            "outcome": "created",
            "lead_id": str(lead.pk),
            "reason": "",
        }
    ]
    inquiry = Inquiry.objects.get()
    assert inquiry.outcome == InquiryOutcome.CREATED and inquiry.lead == lead
    assert inquiry.payload["values"]["Shoe size"] == "38"


def test_presets_map_salesforce_and_hubspot_export_headers() -> None:
    salesforce = [
        "First Name",
        "Last Name",
        "Email",
        "Company",
        "Title",
        "Mailing Street",
        "Lead Source",
    ]
    assert detect_preset(salesforce) == "salesforce"
    assert mapping_suggest(salesforce, preset="salesforce") == {
        "First Name": "first_name",
        "Last Name": "last_name",
        "Email": "email",
        "Company": "company_name",
        "Title": "job_title",
        "Mailing Street": "street",
    }
    hubspot = [
        "Record ID",
        "First Name",
        "Last Name",
        "Email",
        "Phone Number",
        "Company Name",
        "Job Title",
    ]
    assert detect_preset(hubspot) == "hubspot"
    mapping = mapping_suggest(hubspot, preset="hubspot")
    assert mapping["Record ID"] == "external_id" and mapping["Phone Number"] == "phone"


def test_an_explicit_mapping_wins_and_an_empty_one_keeps_the_column_custom() -> None:
    headers = ["E-mail address", "email", "Surname"]
    mapping = mapping_suggest(headers, explicit={"Surname": "last_name", "email": ""})
    assert mapping == {"Surname": "last_name"}


def test_a_semicolon_csv_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufefffirst_name;last_name;email\nAyşe;Yılmaz;ayse@example.com\n")
    job, _results = run_import(path)
    assert job.created == 1
    assert Lead.objects.get().first_name == "Ayşe"


def test_an_xlsx_file_is_read_with_numbers_as_text(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["First Name", "Last Name", "Phone", "Employees"])
    sheet.append(["Gareth", "Jones", 2079460000, 12])
    path = tmp_path / "list.xlsx"
    workbook.save(path)
    headers = RowSource(path).headers()
    run_import(path, mapping=mapping_suggest(headers, preset="salesforce"))
    lead = Lead.objects.get()
    assert lead.phone == "+442079460000"
    assert lead.custom == {"Employees": "12"}


ROWS = [
    # 1 the known lead again, written differently: certain match
    {"first_name": "Ayşe", "last_name": "Yılmaz", "email": "AYSE@example.com"},
    # 2 same name and company, another address: possible match, a new lead and a pair to review
    {
        "first_name": "Ayşe",
        "last_name": "Yılmaz",
        "email": "a.yilmaz@example.com",
        "company_name": "Acme Ltd",
    },
    # 3 a company and a switchboard: interest
    {"company_name": "Globex", "phone": "020 7946 0000"},
    # 4 an impossible phone number: failed
    {"first_name": "Bob", "last_name": "Stone", "phone": "12"},
    # 5 spam
    {"first_name": "Win", "last_name": "http://prizes.example.com", "email": "win@example.com"},
    # 6 a new person
    {"first_name": "Carys", "last_name": "Evans", "email": "carys@example.com"},
    # 7 a customer: attached to the contact card
    {"first_name": "Dafydd", "last_name": "Owen", "email": "dafydd@example.com"},
    # 8 the new person of row 6 again in the same file: attached to the lead row 6 created
    {
        "first_name": "Carys",
        "last_name": "Evans",
        "email": "CARYS@example.com",
        "phone": "020 7946 0001",
    },
]
FIELDS = ["first_name", "last_name", "email", "phone", "company_name"]


class Rollback(Exception):
    pass


def test_a_batch_gives_each_row_the_outcome_a_single_inquiry_would_get(tmp_path: Path) -> None:
    known = make_lead(
        first_name="Ayşe", last_name="Yılmaz", email="ayse@example.com", company_name="Acme Ltd"
    )
    customer = make_contact(first_name="Dafydd", last_name="Owen", email="dafydd@example.com")
    text = io.StringIO()
    writer = csv.DictWriter(text, FIELDS)
    writer.writeheader()
    writer.writerows(ROWS)
    path = write(tmp_path, text.getvalue())

    def summary(outcome: str, lead_id: Any, contact_id: Any) -> tuple[str, str]:
        if lead_id == known.pk:
            return outcome, "known lead"
        if contact_id == customer.pk:
            return outcome, "customer"
        return outcome, "new lead" if lead_id else ""

    try:
        with transaction.atomic():
            _job, results = run_import(path)
            imported = []
            for result in results:
                inquiry = Inquiry.objects.filter(payload__row=int(result["row"])).first()
                imported.append(
                    summary(
                        result["outcome"],
                        int(result["lead_id"]) if result["lead_id"] else None,
                        inquiry.contact_id if inquiry else None,
                    )
                )
            imported_pairs = DuplicatePair.objects.count()
            raise Rollback
    except Rollback:
        pass

    one_by_one = []
    for fields in ROWS:
        try:
            inquiry = inquiry_submit(actor=None, channel=channel("import"), fields=fields)
        except ValidationError:
            one_by_one.append(("failed", ""))
            continue
        one_by_one.append(summary(inquiry.outcome, inquiry.lead_id, inquiry.contact_id))

    assert imported == one_by_one
    assert imported == [
        ("attached", "known lead"),
        ("created", "new lead"),
        ("interest", ""),
        ("failed", ""),
        ("rejected", ""),
        ("created", "new lead"),
        ("attached", "customer"),
        ("attached", "new lead"),
    ]
    assert imported_pairs == DuplicatePair.objects.count() == 1


def test_every_row_has_a_result_and_the_counts_add_up(tmp_path: Path) -> None:
    known = make_lead(
        first_name="Ayşe", last_name="Yılmaz", email="ayse@example.com", company_name="Acme Ltd"
    )
    text = io.StringIO()
    writer = csv.DictWriter(text, FIELDS)
    writer.writeheader()
    writer.writerows(ROWS)
    text.write(",,,,\n")  # an empty row
    path = write(tmp_path, text.getvalue())

    job, results = run_import(path, batch_size=3)

    assert [r["row"] for r in results] == [str(n) for n in range(1, 10)]
    counts = {outcome: getattr(job, outcome) for outcome in importing.RESULTS}
    assert counts == {
        "created": 3,  # rows 2, 6 and 7 (no customer card in this test)
        "attached": 2,
        "interest": 1,
        "rejected": 1,
        "skipped": 1,
        "failed": 1,
    }
    assert sum(counts.values()) == job.rows_done == 9
    assert job.status == ImportStatus.DONE
    failed = results[3]
    assert failed["outcome"] == "failed" and failed["reason"].startswith("phone:")
    assert Interest.objects.get().company_name == "Globex"
    assert Lead.objects.count() == 4
    assert Inquiry.objects.count() == 7  # not the failed or the empty row
    assert Event.objects.filter(kind=EventKind.INQUIRY_ATTACHED, lead=known).count() == 1
    # One audit record per batch, naming the leads it created.
    audits = AuditEvent.objects.filter(action="leads.import")
    assert audits.count() == 3
    created = [pk for audit in audits for pk in (audit.after or {})["created_lead_ids"]]
    assert sorted(created) == sorted(Lead.objects.exclude(pk=known.pk).values_list("pk", flat=True))
    # Every new lead is filed under its match keys and has its "created" event.
    for lead in Lead.objects.all():
        assert MatchKey.objects.filter(lead=lead, value=key_code(f"e:{lead.email}")).exists()
        assert Event.objects.filter(kind=EventKind.CREATED, lead=lead).count() == 1


def test_a_later_row_completes_the_lead_an_earlier_row_of_the_batch_created(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER
        + "Carys,Evans,carys@example.com,,,,\n"
        + "Carys,Evans,carys@example.com,020 7946 0001,Acme Ltd,,42\n",
    )
    _job, results = run_import(path)
    lead = Lead.objects.get()
    assert (lead.phone, lead.company_name, lead.custom) == (
        "+442079460001",
        "Acme Ltd",
        {"Shoe size": "42"},
    )
    assert MatchKey.objects.filter(lead=lead, value=key_code("p:+442079460001")).exists()
    assert [r["outcome"] for r in results] == ["created", "attached"]


def test_an_attached_row_fills_the_gaps_of_a_stored_lead_but_overwrites_nothing(
    tmp_path: Path,
) -> None:
    known = make_lead(
        first_name="Ayşe", last_name="Yılmaz", email="ayse@example.com", company_name="Acme Ltd"
    )
    path = write(tmp_path, HEADER + "Ayşe,Yılmaz,ayse@example.com,020 7946 0002,Other Co,,37\n")
    run_import(path)
    known.refresh_from_db()
    assert (known.phone, known.company_name, known.custom) == (
        "+442079460002",
        "Acme Ltd",
        {"Shoe size": "37"},
    )
    assert Event.objects.filter(kind=EventKind.UPDATED, lead=known).exists()


def test_a_row_with_a_known_external_id_is_attached_to_that_lead(tmp_path: Path) -> None:
    known = make_lead(
        first_name="Ada", last_name="Lovelace", email="ada@example.com", external_id="CRM-7"
    )
    path = write(tmp_path, HEADER + "Augusta,King,augusta@example.com,,,CRM-7,\n")
    _job, results = run_import(path)
    assert results[0]["outcome"] == "attached" and results[0]["lead_id"] == str(known.pk)
    inquiry = Inquiry.objects.get()
    assert inquiry.match_explanation == {"external_id": {"similarity": 1.0, "weight": 8.0}}


def test_importing_the_same_file_again_duplicates_nothing(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER
        + "Ada,Lovelace,ada@example.com,,,A-1,\n"
        + "Grace,Hopper,grace@example.com,,,A-2,\n"
        + "Grace,Hopper,GRACE@example.com,,,,\n",
    )
    first, first_results = run_import(path)
    leads, inquiries = Lead.objects.count(), Inquiry.objects.count()

    again, results = run_import(path)

    assert again.pk != first.pk
    assert (Lead.objects.count(), Inquiry.objects.count()) == (leads, inquiries) == (2, 3)
    assert [r["outcome"] for r in results] == ["skipped"] * 3
    assert [r["lead_id"] for r in results] == [r["lead_id"] for r in first_results]


def test_an_interrupted_import_resumes_from_its_checkpoint_without_a_half_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = "".join(f"Person,Number{n},person{n}@example.com,,,P-{n},\n" for n in range(1, 11))
    path = write(tmp_path, HEADER + rows)
    real_write = BatchWriter.write
    calls = {"n": 0}

    def write_then_fail(self: BatchWriter, batch: Any) -> Any:
        calls["n"] += 1
        results = real_write(self, batch)  # the batch is written …
        if calls["n"] == 2:
            raise RuntimeError("power cut")  # … and lost with its transaction
        return results

    monkeypatch.setattr(BatchWriter, "write", write_then_fail)
    with pytest.raises(RuntimeError, match="power cut"):
        run_import(path, batch_size=4)
    job = importing.ImportJob.objects.get()
    assert (job.status, job.rows_done, job.created) == (ImportStatus.FAILED, 4, 4)
    assert Lead.objects.count() == Inquiry.objects.count() == 4
    assert "power cut" in job.error

    monkeypatch.setattr(BatchWriter, "write", real_write)
    resumed, results = run_import(path, batch_size=4)  # the same file: the same job carries on

    assert resumed.pk == job.pk
    assert (resumed.status, resumed.rows_done, resumed.created) == (ImportStatus.DONE, 10, 10)
    assert [r["row"] for r in results] == [str(n) for n in range(1, 11)]
    assert Lead.objects.count() == Inquiry.objects.count() == 10


def test_the_command_prints_counts_and_writes_the_results_file(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, "Email;Surname;Colour\nada@example.com;Lovelace;red\nbroken;Nobody;\n")
    out = tmp_path / "out.csv"
    call_command(
        "import_leads",
        str(path),
        "--channel",
        "import",
        "--map",
        "Email=email",
        "--map",
        "Surname=last_name",
        "--results",
        str(out),
        "--no-progress",
    )
    printed = capsys.readouterr().out
    assert (
        "2 rows read: 1 created, 0 attached, 0 interest, 0 rejected, 0 skipped, 1 failed" in printed
    )
    lines = list(csv.reader(out.open(encoding="utf-8")))
    assert lines[0] == ["row", "external_id", "outcome", "lead_id", "reason"]
    assert [line[2] for line in lines[1:]] == ["created", "failed"]
    assert Lead.objects.get().custom == {"Colour": "red"}


def test_the_preview_shows_what_would_happen_to_the_first_rows(tmp_path: Path) -> None:
    known = make_lead(first_name="Ayşe", last_name="Yılmaz", email="ayse@example.com")
    path = write(
        tmp_path,
        HEADER
        + "Ayşe,Yılmaz,ayse@example.com,,,,\nBob,Stone,,12,,,\nNew,Person,new@example.com,,,,\n",
    )
    _headers, rows = import_preview(
        path=path, channel=channel("import"), mapping=mapping_suggest(RowSource(path).headers())
    )
    assert [(row.outcome, row.lead_id) for row in rows] == [
        ("attached", known.pk),
        ("failed", None),
        ("created", None),
    ]
    assert Lead.objects.count() == 1  # a preview writes nothing
