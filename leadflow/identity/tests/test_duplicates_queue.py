from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command
from django.test import Client

from leadflow.accounts.models import User
from leadflow.core.models import AuditEvent
from leadflow.core.tests.api_client import ApiClient
from leadflow.factories import make_lead
from leadflow.identity.models import DuplicatePair, DuplicateStatus, MatchKey
from leadflow.identity.services import duplicates_scan, match_keys_rebuild
from leadflow.leads.models import Lead
from leadflow.leads.services import lead_assign

pytestmark = pytest.mark.django_db


def pair_of(owner_a: User | None, owner_b: User | None) -> DuplicatePair:
    a = make_lead(first_name="Ayşe", last_name="Yılmaz", email="ayse@example.com", city="İzmir")
    b = make_lead(first_name="Ayse", last_name="Yilmaz", phone="+902125551234", city="Izmir")
    if owner_a:
        a = lead_assign(actor=None, lead=a, owner=owner_a)
    if owner_b:
        b = lead_assign(actor=None, lead=b, owner=owner_b)
    duplicates_scan()
    return DuplicatePair.objects.get(lead_a=a, lead_b=b)


def test_the_scan_finds_pairs_through_shared_keys_and_writes_the_csv(tmp_path) -> None:
    a = make_lead(first_name="John", last_name="Smith", email="john@example.com", external_id="X1")
    b = make_lead(first_name="Jon", last_name="Smith", email="john@example.com", external_id="X2")
    make_lead(first_name="Maria", last_name="Jones", email="maria@example.com")
    out = tmp_path / "pairs.csv"
    call_command("dedupe", "scan", "--csv", str(out), "--batch", "1")
    rows = list(csv.reader(io.StringIO(out.read_text())))
    assert rows[0] == ["lead_id_a", "lead_id_b", "external_id_a", "external_id_b", "confidence"]
    assert [row[:4] for row in rows[1:]] == [[str(a.pk), str(b.pk), "X1", "X2"]]
    pair = DuplicatePair.objects.get()
    assert pair.status == DuplicateStatus.OPEN and pair.confidence == float(rows[1][4])


def test_a_dismissed_pair_stays_dismissed_and_out_of_the_csv(tmp_path, alice: User) -> None:
    pair = pair_of(None, None)
    ApiClient(alice).post(f"/duplicates/{pair.pk}/dismiss")
    out = tmp_path / "pairs.csv"
    call_command("dedupe", "scan", "--csv", str(out))
    assert len(out.read_text().splitlines()) == 1
    pair.refresh_from_db()
    assert pair.status == DuplicateStatus.DISMISSED


def test_reindex_files_bulk_written_leads_under_their_keys() -> None:
    lead = make_lead(first_name="Ayşe", last_name="Yılmaz", email="ayse@example.com")
    keys = set(MatchKey.objects.filter(lead=lead).values_list("value", flat=True))
    MatchKey.objects.all().delete()
    assert match_keys_rebuild(batch_size=1) >= len(keys)
    assert set(MatchKey.objects.filter(lead=lead).values_list("value", flat=True)) == keys


def test_a_rep_sees_only_pairs_whose_two_leads_they_may_view(
    rhys: User, rosa: User, sam: User
) -> None:
    mine = pair_of(rhys, rosa)
    theirs = pair_of(rhys, sam)
    listed = ApiClient(rhys).get("/duplicates").json()["items"]
    assert mine.pk in [item["id"] for item in listed]
    assert theirs.pk not in [item["id"] for item in listed]
    assert DuplicatePair.objects.filter(pk=theirs.pk, status=DuplicateStatus.OPEN).exists()
    sams = set(Lead.objects.filter(owner=sam).values_list("pk", flat=True))
    assert all({item["lead_a"]["id"], item["lead_b"]["id"]}.isdisjoint(sams) for item in listed)
    assert "name" in listed[0]["matched_on"]
    assert ApiClient(rhys).get(f"/duplicates/{theirs.pk}").status_code == 404
    assert ApiClient(sam).post(f"/duplicates/{theirs.pk}/merge", {}).status_code == 404


def test_a_rep_cannot_merge_a_pair_with_a_lead_of_a_colleague(rhys: User, rosa: User) -> None:
    pair = pair_of(rhys, rosa)
    response = ApiClient(rhys).post(f"/duplicates/{pair.pk}/merge", {})
    assert response.status_code == 403
    assert Lead.objects.filter(pk=pair.lead_b_id).exists()


def test_merge_through_the_api_with_field_choices_then_unmerge(harriet: User, rhys: User) -> None:
    pair = pair_of(rhys, rhys)
    api = ApiClient(harriet)
    response = api.post(f"/duplicates/{pair.pk}/merge", {"choices": {"first_name": "other"}})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["survivor"] == pair.lead_a_id and body["merged"] == pair.lead_b_id
    survivor = Lead.objects.get(pk=pair.lead_a_id)
    assert survivor.first_name == "Ayse"
    assert survivor.phone == "+902125551234"  # the default: a value beats a blank
    assert api.get("/duplicates").json()["items"] == []
    response = api.post(f"/duplicates/merges/{body['audit']}/unmerge")
    assert response.status_code == 200
    assert Lead.objects.filter(pk=pair.lead_b_id).exists()


def test_merge_refuses_a_survivor_outside_the_pair(alice: User) -> None:
    pair = pair_of(None, None)
    response = ApiClient(alice).post(f"/duplicates/{pair.pk}/merge", {"survivor": 999999})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "survivor"]


def test_the_review_page_lists_pairs_with_what_matched_and_merges_field_by_field(
    harriet: User, rhys: User
) -> None:
    pair = pair_of(rhys, None)
    client = Client()
    client.force_login(harriet)
    page = client.get("/duplicates/")
    assert page.status_code == 200
    assert "Ayşe Yılmaz" in page.content.decode() and "Not the same person" in page.content.decode()
    form = client.get(f"/duplicates/{pair.pk}/merge/")
    html = form.content.decode()
    assert 'name="choice_phone" value="other" checked' in html
    response = client.post(
        f"/duplicates/{pair.pk}/merge/",
        {"survivor": pair.lead_a_id, "choice_phone": "other", "choice_first_name": "survivor"},
    )
    assert response.status_code == 302
    survivor = Lead.objects.get(pk=pair.lead_a_id)
    assert survivor.phone == "+902125551234" and survivor.first_name == "Ayşe"
    audit = AuditEvent.objects.get(action="lead.merge")
    assert "Unmerge" in client.get("/duplicates/").content.decode()
    assert client.post(f"/duplicates/merges/{audit.pk}/unmerge/").status_code == 302
    assert Lead.objects.filter(pk=pair.lead_b_id).exists()


def test_the_review_page_is_empty_for_a_rep_without_pairs_and_404s_another_teams(
    rhys: User, sam: User
) -> None:
    pair = pair_of(sam, sam)
    client = Client()
    client.force_login(rhys)
    assert "No possible duplicates" in client.get("/duplicates/").content.decode()
    assert client.get(f"/duplicates/{pair.pk}/merge/").status_code == 404
    assert client.post(f"/duplicates/{pair.pk}/dismiss/").status_code == 404
