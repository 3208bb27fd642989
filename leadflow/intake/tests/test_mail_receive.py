"""A received e-mail becomes an inquiry: a lead, an attachment to a known card, or a rejection."""

from __future__ import annotations

import pytest

from leadflow.activities.models import Notification
from leadflow.factories import channel, make_contact
from leadflow.intake.mail import mail_receive
from leadflow.intake.models import Campaign, InquiryOutcome
from leadflow.intake.tests.mail_samples import delivery_report, person_mail
from leadflow.leads.models import Interest, Lead
from leadflow.leads.services import lead_assign

pytestmark = pytest.mark.django_db


def receive(raw: bytes, **kwargs):
    kwargs.setdefault("channel", channel("email"))
    return mail_receive(raw=raw, **kwargs)


def test_a_named_sender_becomes_a_lead_on_the_email_channel() -> None:
    campaign = Campaign.objects.create(name="Spring", slug="spring")
    inquiry = receive(
        person_mail(message_id="<first@example.com>"),
        campaign=campaign,
        envelope_sender="ayse@example.com",
        recipients=["sales@leadflow.example.com"],
        source_ip="127.0.0.1",
    )

    assert inquiry.outcome == InquiryOutcome.CREATED
    lead = inquiry.lead
    assert lead is not None
    assert (lead.first_name, lead.last_name, lead.email) == ("Ayşe", "Yılmaz", "ayse@example.com")
    assert (lead.channel.slug, lead.campaign) == ("email", campaign)
    assert inquiry.message.startswith("Fiyat teklifi\n\nMerhaba")
    assert inquiry.payload["message_id"] == "<first@example.com>"
    assert inquiry.payload["envelope"] == {
        "mail_from": "ayse@example.com",
        "rcpt_to": ["sales@leadflow.example.com"],
    }
    assert ["Subject", "Fiyat teklifi"] in inquiry.payload["headers"]
    assert inquiry.source_ip == "127.0.0.1"


def test_an_address_without_a_name_is_kept_as_interest_not_a_lead() -> None:
    inquiry = receive(person_mail(name=""))
    assert inquiry.outcome == InquiryOutcome.INTEREST
    assert Interest.objects.get().email == "ayse@example.com"
    assert not Lead.objects.exists()


def test_a_reply_from_a_known_person_attaches_to_their_lead_and_tells_the_owner(
    harriet, rhys
) -> None:
    first = receive(person_mail())
    lead_assign(actor=harriet, lead=first.lead, owner=rhys)

    reply = receive(
        person_mail(
            name="Yılmaz, Ayşe",
            address="Ayse@Example.com",
            subject="Re: Fiyat teklifi",
            headers={"In-Reply-To": "<answer@leadflow.example.com>"},
        )
    )

    assert reply.outcome == InquiryOutcome.ATTACHED
    assert reply.lead_id == first.lead_id
    assert not reply.needs_review
    assert Lead.objects.count() == 1
    assert Notification.objects.filter(user=rhys, url__contains=f"/leads/{first.lead_id}/").exists()


def test_a_reply_from_a_known_customer_attaches_to_their_contact_card(sam) -> None:
    contact = make_contact(
        owner=sam, first_name="Gwen", last_name="Price", email="gwen@example.com"
    )
    inquiry = receive(person_mail(name="Gwen Price", address="gwen@example.com"))
    assert inquiry.outcome == InquiryOutcome.ATTACHED
    assert inquiry.contact_id == contact.pk


def test_a_reply_in_a_known_thread_from_another_address_goes_to_that_card_for_review() -> None:
    first = receive(person_mail(message_id="<start@example.com>"))

    reply = receive(
        person_mail(
            name="Ayşe Y.",
            address="ayse.home@example.net",
            subject="Re: Fiyat teklifi",
            headers={
                "In-Reply-To": "<our-answer@leadflow.example.com>",
                "References": "<start@example.com> <our-answer@leadflow.example.com>",
            },
        )
    )

    assert reply.outcome == InquiryOutcome.ATTACHED
    assert reply.lead_id == first.lead_id
    assert reply.needs_review
    assert reply.match_explanation["thread"]["inquiry"] == first.pk
    assert Lead.objects.count() == 1


def test_a_stranger_replying_to_an_unknown_thread_is_a_new_lead() -> None:
    receive(person_mail(message_id="<start@example.com>"))
    other = receive(
        person_mail(
            name="Gwen Price",
            address="gwen@example.com",
            headers={"References": "<somewhere-else@example.com>"},
        )
    )
    assert other.outcome == InquiryOutcome.CREATED
    assert Lead.objects.count() == 2


def test_the_same_message_delivered_twice_is_one_inquiry() -> None:
    raw = person_mail(message_id="<once@example.com>")
    first = receive(raw)
    again = receive(raw)
    assert again.pk == first.pk
    assert again.repeated
    assert first.channel.inquiries.count() == 1


def test_a_message_id_already_recorded_is_recognised_even_after_the_double_submit_window(
    settings,
) -> None:
    settings.LEADFLOW_DOUBLE_SUBMIT_SECONDS = 0
    raw = person_mail(message_id="<once@example.com>")
    first = receive(raw)
    assert receive(raw).pk == first.pk


def test_two_different_messages_from_one_person_are_two_inquiries_on_one_lead() -> None:
    first = receive(person_mail(subject="Price?"))
    second = receive(person_mail(subject="And delivery time?"))
    assert (first.outcome, second.outcome) == (InquiryOutcome.CREATED, InquiryOutcome.ATTACHED)
    assert second.lead_id == first.lead_id


def test_an_auto_reply_is_rejected_and_counted_not_a_lead() -> None:
    inquiry = receive(
        person_mail(
            subject="Automatic reply: Our offer", headers={"Auto-Submitted": "auto-replied"}
        )
    )
    assert (inquiry.outcome, inquiry.reason) == (InquiryOutcome.REJECTED, "auto-reply")
    assert inquiry.payload["classified"] == {
        "as": "auto-reply",
        "because": "Auto-Submitted: auto-replied",
    }
    assert inquiry.fields["email"] == "ayse@example.com"
    assert not Lead.objects.exists() and not Interest.objects.exists()


def test_an_auto_reply_from_a_known_person_does_not_touch_their_card(harriet, rhys) -> None:
    first = receive(person_mail())
    lead_assign(actor=harriet, lead=first.lead, owner=rhys)
    Notification.objects.all().delete()

    auto = receive(person_mail(subject="Otomatik yanıt: Teklifiniz"))

    assert (auto.outcome, auto.reason, auto.lead_id) == (
        InquiryOutcome.REJECTED,
        "auto-reply",
        None,
    )
    assert not Notification.objects.exists()


def test_a_bounce_is_rejected_and_counted_not_a_lead() -> None:
    inquiry = receive(delivery_report(), envelope_sender="")
    assert (inquiry.outcome, inquiry.reason) == (InquiryOutcome.REJECTED, "bounce")
    assert inquiry.payload["envelope"]["mail_from"] == ""
    assert not Lead.objects.exists() and not Interest.objects.exists()


def test_a_sender_address_that_cannot_be_right_is_rejected_with_the_reason() -> None:
    inquiry = receive(person_mail(address="ayse@localhost"))
    assert inquiry.outcome == InquiryOutcome.REJECTED
    assert inquiry.reason.startswith("invalid sender:")
    assert inquiry.payload["from"]["email"] == "ayse@localhost"
    assert not Lead.objects.exists()


def test_a_reply_quoting_a_link_heavy_message_is_not_taken_for_spam() -> None:
    links = "\n".join(f"> https://leadflow.example.com/offer/{n}" for n in range(10))
    inquiry = receive(
        person_mail(
            subject="Re: Our spring offer",
            body=f"Interested, please call.\n\nOn Mon, 3 Mar 2025, Rhys <rhys@example.com> wrote:\n{links}",
        )
    )
    assert inquiry.outcome == InquiryOutcome.CREATED
    assert inquiry.message == "Re: Our spring offer\n\nInterested, please call."
