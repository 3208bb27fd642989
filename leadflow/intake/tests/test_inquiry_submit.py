"""Every channel's inquiry gets exactly one outcome, and a known person is recognised."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from leadflow.activities.models import Notification
from leadflow.core.models import Event, EventKind
from leadflow.factories import channel, make_contact, make_lead
from leadflow.identity.models import DuplicatePair
from leadflow.intake.models import Channel, Inquiry, InquiryOutcome
from leadflow.intake.services import inquiry_submit, spam_reason
from leadflow.leads.models import Interest, Lead, Temperature
from leadflow.leads.services import lead_assign

pytestmark = pytest.mark.django_db

AYSE = {"first_name": "Ayşe", "last_name": "Yılmaz", "email": "ayse@example.com"}


def submit(slug: str = "api", **kwargs):
    kwargs.setdefault("fields", AYSE)
    return inquiry_submit(actor=None, channel=channel(slug), **kwargs)


def test_a_new_person_becomes_a_lead_from_the_inquirys_channel() -> None:
    inquiry = submit("web-form", message="Please call me")
    assert inquiry.outcome == InquiryOutcome.CREATED
    lead = inquiry.lead
    assert lead is not None
    assert lead.channel.slug == "web-form"
    assert (lead.first_name, lead.email) == ("Ayşe", "ayse@example.com")
    assert inquiry.payload == {"fields": AYSE}
    assert inquiry.message == "Please call me"


def test_the_same_person_again_is_attached_and_their_owner_told(
    rhys, harriet, django_capture_on_commit_callbacks
) -> None:
    first = submit()
    lead_assign(actor=harriet, lead=first.lead, owner=rhys)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        again = submit("chat", fields={**AYSE, "email": "AYSE@Example.com"})

    assert again.outcome == InquiryOutcome.ATTACHED
    assert again.lead_id == first.lead_id
    assert not again.needs_review
    assert Lead.objects.count() == 1
    note = Notification.objects.get(user=rhys)
    assert "Chat" in note.text and f"/leads/{first.lead_id}/" in note.url
    assert [message.to for message in mail.outbox] == [["rhys@example.com"]]
    event = Event.objects.get(kind=EventKind.INQUIRY_ATTACHED, lead=first.lead)
    assert event.data["inquiry"] == again.pk
    assert set(event.data["matched_on"]) >= {"email", "name"}


def test_name_order_turkish_case_and_phone_format_do_not_hide_a_person() -> None:
    Channel.objects.filter(slug="phone").update(default_region="TR")
    first = submit(
        fields={"first_name": "Ayşe", "last_name": "Yılmaz", "phone": "+90 532 123 45 67"}
    )
    again = submit(
        "phone",
        fields={"first_name": "YILMAZ", "last_name": "AYŞE", "phone": "0532 123 4567"},
    )
    # The phone channel reads numbers without a country code in its own region.
    assert again.outcome == InquiryOutcome.ATTACHED, again.match_explanation
    assert again.lead_id == first.lead_id


def test_a_returning_customer_is_attached_to_their_contact_card(sam) -> None:
    contact = make_contact(
        owner=sam, first_name="Gwen", last_name="Price", email="gwen@example.com"
    )
    inquiry = submit(
        fields={"first_name": "Gwen", "last_name": "Price", "email": "gwen@example.com"}
    )
    assert inquiry.outcome == InquiryOutcome.ATTACHED
    assert inquiry.contact_id == contact.pk
    assert inquiry.lead_id is None
    assert Lead.objects.count() == 0
    assert Notification.objects.get(user=sam).url.endswith(f"/contacts/{contact.pk}/")


def test_an_anonymous_comment_is_interest_not_a_lead() -> None:
    inquiry = submit(fields={}, message="Nice product!")
    assert inquiry.outcome == InquiryOutcome.INTEREST
    assert Interest.objects.get().message == "Nice product!"
    assert Lead.objects.count() == 0


def test_a_company_switchboard_without_a_person_is_interest() -> None:
    inquiry = submit(fields={"company_name": "Acme Ltd", "phone": "+44 20 7946 0000"})
    assert inquiry.outcome == InquiryOutcome.INTEREST
    assert inquiry.interest.company_name == "Acme Ltd"


def test_an_impossible_phone_number_is_refused_and_nothing_is_stored() -> None:
    with pytest.raises(ValidationError) as refused:
        submit(fields={"first_name": "Ann", "phone": "+44 12"})
    assert "phone" in refused.value.message_dict
    assert Inquiry.objects.count() == 0
    assert Lead.objects.count() == 0


def test_obvious_spam_is_rejected_with_a_reason_and_counted() -> None:
    inquiry = submit(fields={**AYSE, "first_name": "Buy now http://spam.example"})
    assert inquiry.outcome == InquiryOutcome.REJECTED
    assert "web address" in inquiry.reason
    assert Lead.objects.count() == 0
    assert Inquiry.objects.filter(outcome=InquiryOutcome.REJECTED).count() == 1


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"company_name": "Visit WWW.Spam.example"}, "web address"),
        ({"job_title": "see HTTPS://spam.example/x"}, "web address"),
        ({"last_name": "Yılmaz\x07"}, "Control characters"),
        ({"city": "Bursa\x1b[0m"}, "Control characters"),
    ],
)
def test_each_obvious_spam_rule_rejects_whatever_the_case(
    fields: dict[str, str], reason: str
) -> None:
    assert reason in spam_reason({**AYSE, **fields}, "")


@pytest.mark.parametrize(
    "fields",
    [
        {"company_name": "Www Holdings"},  # no "www." there
        {"job_title": "Head of: sales"},
        {"city": "Cardiff\tBay", "street": "1 High St\r\n"},  # tab and line breaks are no spam
    ],
)
def test_ordinary_text_is_no_spam(fields: dict[str, str]) -> None:
    assert spam_reason({**AYSE, **fields}, "Line one\nLine two") == ""


def test_the_same_submission_twice_within_minutes_is_one_inquiry() -> None:
    first = submit(message="Quote please")
    second = submit(message="Quote please")
    assert second.pk == first.pk
    assert second.repeated
    assert Inquiry.objects.count() == 1


def test_the_same_submission_after_the_window_is_a_new_inquiry() -> None:
    first = submit(message="Quote please", received_at=timezone.now() - datetime.timedelta(hours=1))
    second = submit(message="Quote please")
    assert second.pk != first.pk
    assert second.outcome == InquiryOutcome.ATTACHED


def test_a_possible_match_creates_a_lead_and_queues_the_pair_for_review() -> None:
    first = submit(
        fields={
            "first_name": "John",
            "last_name": "Smith",
            "street": "1 High Street",
            "city": "Cardiff",
            "postal_code": "CF10 1AA",
        }
    )
    second = submit(
        fields={
            "first_name": "Jon",
            "last_name": "Smith",
            "email": "jon@example.com",
            "city": "Cardiff",
            "postal_code": "CF10 1AA",
        }
    )
    assert second.outcome == InquiryOutcome.CREATED, second.match_explanation
    pair = DuplicatePair.objects.get()
    assert {pair.lead_a_id, pair.lead_b_id} == {first.lead_id, second.lead_id}
    assert pair.lead_a_id < pair.lead_b_id


def test_different_people_sharing_a_surname_and_city_are_not_matched() -> None:
    submit(
        fields={
            "first_name": "Ayşe",
            "last_name": "Yılmaz",
            "email": "a@example.com",
            "city": "İstanbul",
        }
    )
    other = submit(
        fields={
            "first_name": "Mehmet",
            "last_name": "Yılmaz",
            "email": "m@example.com",
            "city": "Istanbul",
        }
    )
    assert other.outcome == InquiryOutcome.CREATED
    assert DuplicatePair.objects.count() == 0


def test_a_referral_links_the_referrer_and_makes_the_lead_seed(sam) -> None:
    referrer = make_contact(owner=sam)
    inquiry = submit("referral", referred_by=referrer)
    assert inquiry.referred_by == referrer
    assert inquiry.lead.referred_by == referrer
    assert inquiry.lead.origin_class == "seed"


def test_a_new_purchase_timeframe_warms_the_known_lead() -> None:
    first = submit()
    assert first.lead.temperature == Temperature.COLD
    submit(fields={**AYSE, "purchase_timeframe": "now", "phone": "+442079460000"})
    lead = Lead.objects.get(pk=first.lead_id)
    assert lead.temperature == Temperature.HOT
    # Gaps are filled; nothing known is overwritten.
    assert lead.phone == "+442079460000"
    assert lead.email == "ayse@example.com"


def test_known_fields_are_never_overwritten_by_an_attached_inquiry() -> None:
    lead = make_lead(
        first_name="Ayşe", last_name="Yılmaz", email="ayse@example.com", company_name="Yıldız A.Ş."
    )
    submit(fields={**AYSE, "company_name": "Something Else"})
    lead.refresh_from_db()
    assert lead.company_name == "Yıldız A.Ş."


def test_consent_is_stored_with_its_wording_and_time() -> None:
    inquiry = submit("web-form", consent_text="I agree to be contacted (v3).")
    assert inquiry.consent_text == "I agree to be contacted (v3)."
    assert inquiry.consent_at is not None


def test_the_lead_card_shows_the_inquiries_that_reached_it(client, harriet) -> None:
    first = submit("web-form", message="Do you ship to Wales?", utm={"utm_source": "news"})
    submit("chat", fields={**AYSE, "phone": "+442079460000"}, message="Still waiting")
    client.force_login(harriet)
    page = client.get(f"/leads/{first.lead_id}/").content.decode()
    assert "Do you ship to Wales?" in page
    assert "Still waiting" in page
    assert "utm_source=news" in page
    assert "matched on e-mail" in page or "matched on email" in page


def test_the_contact_card_shows_a_returning_customers_inquiry(client, sam) -> None:
    contact = make_contact(
        owner=sam, first_name="Gwen", last_name="Price", email="gwen@example.com"
    )
    submit(
        fields={"first_name": "Gwen", "last_name": "Price", "email": "gwen@example.com"},
        message="Need more licences",
    )
    client.force_login(sam)
    page = client.get(f"/contacts/{contact.pk}/").content.decode()
    assert "Need more licences" in page
