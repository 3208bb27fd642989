"""The SMTP receiver over a real loopback connection: mail in, inquiries out."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Iterator

import pytest

from leadflow.factories import channel
from leadflow.intake.mailin import smtp_receiver
from leadflow.intake.models import Inquiry, InquiryOutcome
from leadflow.intake.tests.mail_samples import attached_forward, delivery_report, person_mail
from leadflow.leads.models import Lead

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

MAX_BYTES = 64 * 1024


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def receiver_port() -> Iterator[int]:
    port = free_port()
    receiver = smtp_receiver(
        host="127.0.0.1", port=port, channel=channel("email"), max_bytes=MAX_BYTES
    )
    receiver.start()
    try:
        yield port
    finally:
        receiver.stop()


def send(port: int, raw: bytes, *, sender: str = "ayse@example.com") -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.sendmail(sender, ["sales@leadflow.example.com"], raw)


def test_mail_sent_over_smtp_becomes_a_lead_and_a_reply_attaches_to_it(receiver_port) -> None:
    send(receiver_port, person_mail(message_id="<first@example.com>"))

    inquiry = Inquiry.objects.get()
    assert inquiry.outcome == InquiryOutcome.CREATED
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name, lead.email) == ("Ayşe", "Yılmaz", "ayse@example.com")
    assert lead.channel.slug == "email"
    assert inquiry.payload["envelope"]["rcpt_to"] == ["sales@leadflow.example.com"]
    assert inquiry.source_ip == "127.0.0.1"

    send(
        receiver_port,
        person_mail(
            name="Yılmaz, Ayşe",  # sent as an encoded word
            subject="Re: Fiyat teklifi",
            headers={"In-Reply-To": "<answer@leadflow.example.com>"},
        ),
    )
    reply = Inquiry.objects.exclude(pk=inquiry.pk).get()
    assert (reply.outcome, reply.lead_id) == (InquiryOutcome.ATTACHED, lead.pk)
    assert Lead.objects.count() == 1


def test_encoded_sender_names_arrive_decoded(receiver_port) -> None:
    raw = (
        b"From: =?utf-8?q?Si=C3=A2n_Ll=C5=B7r?= <sian@example.com>\r\n"
        b"Subject: =?utf-8?q?Pris_am_=C5=B5yl?=\r\n"
        b"Message-ID: <sian-1@example.com>\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"\r\n"
        b"Bore da\r\n"
    )
    send(receiver_port, raw, sender="sian@example.com")
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name) == ("Siân", "Llŷr")
    assert Inquiry.objects.get().message == "Pris am ŵyl\n\nBore da"


def test_auto_replies_and_bounces_are_accepted_and_rejected_not_leads(receiver_port) -> None:
    send(
        receiver_port,
        person_mail(subject="Out of Office: Fiyat", headers={"X-Autoreply": "yes"}),
    )
    send(receiver_port, delivery_report(), sender="")

    reasons = sorted(Inquiry.objects.values_list("outcome", "reason"))
    assert reasons == [
        (InquiryOutcome.REJECTED, "auto-reply"),
        (InquiryOutcome.REJECTED, "bounce"),
    ]
    assert not Lead.objects.exists()


def test_a_message_over_the_size_cap_is_refused(receiver_port) -> None:
    big = person_mail(body="x" * (MAX_BYTES + 1000))
    with pytest.raises(smtplib.SMTPException) as refused:
        send(receiver_port, big)
    assert "552" in str(refused.value) or "too big" in str(refused.value).lower()
    assert not Inquiry.objects.exists()


def test_a_colleagues_forward_over_smtp_is_the_customers_inquiry(receiver_port, rhys) -> None:
    send(receiver_port, attached_forward(), sender="rhys@example.com")

    inquiry = Inquiry.objects.get()
    assert inquiry.outcome == InquiryOutcome.CREATED
    assert inquiry.lead is not None and inquiry.lead.email == "ayse@example.com"
    assert inquiry.submitted_by == rhys
