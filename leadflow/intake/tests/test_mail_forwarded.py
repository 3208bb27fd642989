"""A colleague forwards a customer's e-mail to the intake address: the inquiry is the customer's."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from leadflow.activities.models import Notification
from leadflow.factories import channel
from leadflow.intake.mail import FROM_STAFF, mail_parse, mail_receive
from leadflow.intake.models import InquiryOutcome
from leadflow.intake.tests.mail_samples import (
    CUSTOMER_TEXT,
    NOTE,
    apple_mail_forward,
    attached_forward,
    gmail_forward,
    outlook_classic_forward,
    outlook_forward,
    person_mail,
    thunderbird_inline_forward,
    turkish_gmail_forward,
)
from leadflow.leads.models import Lead
from leadflow.leads.services import lead_assign

pytestmark = pytest.mark.django_db

FORWARDS = [
    gmail_forward,
    outlook_forward,
    outlook_classic_forward,
    thunderbird_inline_forward,
    apple_mail_forward,
    attached_forward,
]


def receive(raw: bytes):
    return mail_receive(raw=raw, channel=channel("email"))


@pytest.mark.parametrize("forward", FORWARDS, ids=lambda sample: sample.__name__)
def test_every_mail_programs_forward_names_the_original_sender(
    forward: Callable[..., bytes],
) -> None:
    [original] = mail_parse(forward()).forwarded
    assert (original.sender_name, original.sender_email) == ("Ayşe Yılmaz", "ayse@example.com")
    assert original.subject == "Fiyat teklifi"
    assert original.body.startswith("Merhaba, 20 kişilik ekip")
    assert original.note.startswith(NOTE)


@pytest.mark.parametrize("forward", FORWARDS, ids=lambda sample: sample.__name__)
def test_a_colleagues_forward_becomes_the_customers_lead_submitted_by_the_colleague(
    forward: Callable[..., bytes], rhys
) -> None:
    inquiry = receive(forward())

    assert inquiry.outcome == InquiryOutcome.CREATED, inquiry.reason
    lead = inquiry.lead
    assert (lead.first_name, lead.last_name, lead.email) == ("Ayşe", "Yılmaz", "ayse@example.com")
    assert inquiry.submitted_by == rhys
    assert inquiry.message.startswith("Fiyat teklifi\n\n" + CUSTOMER_TEXT.split("\n")[0])
    assert f"Forwarded by Rhys: {NOTE}" in inquiry.message
    assert inquiry.payload["forwarded"]["from"]["email"] == "ayse@example.com"
    assert inquiry.payload["forwarded_by"] == {"user": rhys.pk, "email": "rhys@example.com"}
    # The colleague is never taken for a customer.
    assert not Lead.objects.filter(email="rhys@example.com").exists()


def test_a_forward_in_another_language_is_read_too(rhys) -> None:
    inquiry = receive(turkish_gmail_forward(forwarder="RHYS@Example.COM"))
    assert inquiry.outcome == InquiryOutcome.CREATED
    assert (inquiry.lead.first_name, inquiry.lead.last_name) == ("Şule", "Yıldız")
    assert inquiry.lead.email == "sule@example.com.tr"
    assert inquiry.submitted_by == rhys


def test_a_forwarded_known_customer_attaches_to_their_lead_and_tells_the_owner(
    harriet, rhys, rosa
) -> None:
    first = receive(person_mail(subject="Merhaba"))
    lead_assign(actor=harriet, lead=first.lead, owner=rhys)

    again = receive(gmail_forward(forwarder="Rosa <rosa@example.com>"))

    assert again.outcome == InquiryOutcome.ATTACHED
    assert again.lead_id == first.lead_id
    assert again.submitted_by == rosa
    assert Notification.objects.filter(user=rhys).exists()


def test_a_forward_of_a_forward_between_colleagues_is_the_customers(rhys, rosa) -> None:
    rosas_forward = (
        "Could you take this one?\n\n"
        "---------- Forwarded message ---------\n"
        "From: Ayşe Yılmaz <ayse@example.com>\n"
        "Date: Mon, 3 Mar 2025 at 10:15\n"
        "Subject: Fiyat teklifi\n"
        "To: Rosa <rosa@example.com>\n\n\n"
        f"{CUSTOMER_TEXT}\n"
    )
    text = (
        "Rosa passed this on, can you take it?\n\n"
        "---------- Forwarded message ---------\n"
        "From: Rosa <rosa@example.com>\n"
        "Date: Mon, 3 Mar 2025 at 11:00\n"
        "Subject: Fwd: Fiyat teklifi\n"
        "To: Rhys Jones <rhys@example.com>\n\n\n"
        f"{rosas_forward}"
    )
    raw = (
        "From: Rhys Jones <rhys@example.com>\r\nTo: sales@leadflow.example.com\r\n"
        "Subject: Fwd: Fwd: Fiyat teklifi\r\nMessage-ID: <fwd2@mail.example.com>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text.replace("\n", "\r\n")
    ).encode()

    inquiry = receive(raw)

    assert inquiry.outcome == InquiryOutcome.CREATED
    assert inquiry.lead.email == "ayse@example.com"
    assert inquiry.submitted_by == rhys


def test_a_colleagues_own_message_with_nothing_forwarded_is_rejected_not_a_lead(rhys) -> None:
    inquiry = receive(person_mail(name="Rhys Jones", address="rhys@example.com"))
    assert inquiry.outcome == InquiryOutcome.REJECTED
    assert inquiry.reason == FROM_STAFF
    assert inquiry.submitted_by == rhys
    assert not Lead.objects.exists()


def test_a_forward_from_someone_who_is_not_a_user_stays_their_own_inquiry() -> None:
    inquiry = receive(gmail_forward(forwarder="Mehmet Kaya <mehmet@example.net>"))
    assert inquiry.outcome == InquiryOutcome.CREATED
    assert inquiry.lead.email == "mehmet@example.net"
    assert inquiry.submitted_by is None
    assert "forwarded" not in inquiry.payload


def test_a_deactivated_users_address_is_not_a_colleagues(rhys) -> None:
    rhys.is_active = False
    rhys.save()
    inquiry = receive(gmail_forward())
    assert inquiry.lead.email == "rhys@example.com"
    assert inquiry.submitted_by is None


def test_a_forwarded_reply_in_a_known_thread_goes_to_that_card_for_review(rhys) -> None:
    first = receive(
        person_mail(address="a.yilmaz@work.example", message_id="<quote-1@example.com>")
    )
    forwarded = receive(
        attached_forward(original_id="<reply-2@example.com>", in_reply_to="<quote-1@example.com>")
    )
    assert forwarded.outcome == InquiryOutcome.ATTACHED
    assert forwarded.lead_id == first.lead_id
    assert forwarded.needs_review
    assert forwarded.payload["forwarded"]["message_id"] == "<reply-2@example.com>"


def plain_forward(text: str) -> bytes:
    return (
        "From: Rhys Jones <rhys@example.com>\r\nTo: sales@leadflow.example.com\r\n"
        "Subject: FW: Presupuesto\r\nMessage-ID: <fw-es@mail.example.com>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n" + text.replace("\n", "\r\n")
    ).encode()


@pytest.mark.parametrize(
    ("from_line", "name", "address"),
    [
        # Outlook's HTML turned into text by Outlook itself.
        (
            "Ayşe Yılmaz <ayse@example.com<mailto:ayse@example.com>>",
            "Ayşe Yılmaz",
            "ayse@example.com",
        ),
        ('"Yılmaz, Ayşe" <ayse@example.com>', "Yılmaz, Ayşe", "ayse@example.com"),
        ("ayse@example.com", "", "ayse@example.com"),
        ("*Ayşe Yılmaz* <ayse@example.com>", "Ayşe Yılmaz", "ayse@example.com"),
    ],
)
def test_the_forwarded_sender_is_read_however_the_mail_program_wrote_it(
    from_line: str, name: str, address: str
) -> None:
    text = (
        "FYI\n\n________________________________\n"
        f"From: {from_line}\nSent: Monday, March 3, 2025 10:15 AM\n"
        "To: Rhys Jones <rhys@example.com>\nSubject: Fiyat teklifi\n\nMerhaba\n"
    )
    [original] = mail_parse(plain_forward(text)).forwarded
    assert (original.sender_name, original.sender_email) == (name, address)


def test_a_spanish_outlook_forward_is_read(rhys) -> None:
    text = (
        "¿Alguien puede llamarla?\n\n"
        "________________________________\n"
        "De: María José García <mj@example.es>\n"
        "Enviado: lunes, 3 de marzo de 2025 10:15\n"
        "Para: Rhys Jones <rhys@example.com>\n"
        "Asunto: Presupuesto\n\n"
        "Hola, ¿me pueden enviar un presupuesto para 40 cometas?\n"
    )
    inquiry = receive(plain_forward(text))
    assert inquiry.outcome == InquiryOutcome.CREATED
    assert (inquiry.lead.first_name, inquiry.lead.last_name) == ("María José", "García")
    assert inquiry.message.startswith("Presupuesto\n\nHola, ¿me pueden")
    assert inquiry.submitted_by == rhys


def test_a_colleagues_message_that_only_mentions_from_is_not_taken_for_a_forward(rhys) -> None:
    text = "From: the trade fair stand, three leads to follow up.\nSee you tomorrow.\n"
    inquiry = receive(plain_forward(text))
    assert inquiry.outcome == InquiryOutcome.REJECTED
    assert inquiry.reason == FROM_STAFF


def test_a_rule_in_the_colleagues_signature_does_not_hide_the_forward_below_it(rhys) -> None:
    text = (
        "Can someone call her back today?\n\nRhys Jones\n____________________\n"
        "Sales, Cwmni Te Cyf.\n\n"
        "---------- Forwarded message ---------\n"
        "From: Ayşe Yılmaz <ayse@example.com>\n"
        "Date: Mon, 3 Mar 2025 at 10:15\n"
        "Subject: Fiyat teklifi\n"
        "To: Rhys Jones <rhys@example.com>\n\n\n"
        f"{CUSTOMER_TEXT}\n"
    )
    [original] = mail_parse(plain_forward(text)).forwarded
    assert original.sender_email == "ayse@example.com"
    assert original.note.startswith(NOTE) and "Sales, Cwmni Te Cyf." in original.note
