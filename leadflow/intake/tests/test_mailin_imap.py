"""The IMAP poller against a real IMAP server on loopback (tests/mailbox_server.py)."""

from __future__ import annotations

import imaplib
from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from leadflow.factories import channel
from leadflow.intake.mail import TOO_LARGE
from leadflow.intake.mailin import MailboxAddress, mailbox_poll
from leadflow.intake.models import Campaign, Inquiry, InquiryOutcome
from leadflow.intake.tests.mail_samples import delivery_report, person_mail
from leadflow.intake.tests.mailbox_server import LoopbackMailbox, MailboxServer
from leadflow.leads.models import Lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox() -> LoopbackMailbox:
    return LoopbackMailbox(username="leads@example.com", password='s3cret "pass"')


@pytest.fixture
def server(mailbox: LoopbackMailbox) -> Iterator[MailboxServer]:
    with MailboxServer(mailbox) as running:
        yield running


def url(server: MailboxServer, *, password: str = "s3cret%20%22pass%22") -> str:
    return f"imap://leads%40example.com:{password}@127.0.0.1:{server.port}/INBOX"


def poll(server: MailboxServer, max_bytes: int = 1_000_000):
    return mailbox_poll(
        MailboxAddress.from_url(url(server)), channel=channel("email"), max_bytes=max_bytes
    )


def test_unseen_messages_become_inquiries_and_are_marked_seen(mailbox, server) -> None:
    old = mailbox.add(person_mail(name="Old Message", address="old@example.com"), seen=True)
    new = mailbox.add(person_mail(message_id="<new@example.com>"))
    auto = mailbox.add(person_mail(subject="Automatic reply: Hello", address="gwen@example.com"))
    bounce = mailbox.add(delivery_report())

    result = poll(server)

    assert dict(result.outcomes) == {InquiryOutcome.CREATED: 1, InquiryOutcome.REJECTED: 2}
    lead = Lead.objects.get()
    assert (lead.first_name, lead.email) == ("Ayşe", "ayse@example.com")
    assert sorted(Inquiry.objects.values_list("reason", flat=True)) == ["", "auto-reply", "bounce"]
    assert all(mailbox.seen(uid) for uid in (old, new, auto, bounce))
    # Read without setting \Seen until stored: the poller peeks, then marks.
    assert "UID STORE" in mailbox.commands

    assert poll(server).read == 0


def test_a_poller_stopped_between_storing_and_marking_does_not_record_a_message_twice(
    mailbox, server, settings
) -> None:
    # Hours may pass before the poller runs again: the Message-ID, not the
    # double-submit window, recognises the message.
    settings.LEADFLOW_DOUBLE_SUBMIT_SECONDS = 0
    uid = mailbox.add(person_mail(message_id="<only-once@example.com>"))
    mailbox.hang_up_on_store = True

    with pytest.raises(imaplib.IMAP4.abort):
        poll(server)
    assert not mailbox.seen(uid)
    assert Inquiry.objects.count() == 1

    result = poll(server)

    assert (result.repeated, sum(result.outcomes.values())) == (1, 0)
    assert Inquiry.objects.count() == 1 and Lead.objects.count() == 1
    assert mailbox.seen(uid)


def test_a_message_over_the_size_cap_is_recorded_from_its_headers_as_rejected(
    mailbox, server
) -> None:
    uid = mailbox.add(person_mail(body="x" * 50_000, message_id="<big@example.com>"))

    poll(server, max_bytes=10_000)

    inquiry = Inquiry.objects.get()
    assert (inquiry.outcome, inquiry.reason) == (InquiryOutcome.REJECTED, TOO_LARGE)
    assert inquiry.payload["message_id"] == "<big@example.com>"
    assert "x" * 100 not in inquiry.message
    assert mailbox.seen(uid)
    assert not Lead.objects.exists()


def test_a_wrong_password_is_an_error_and_leaves_the_mailbox_alone(mailbox, server) -> None:
    uid = mailbox.add(person_mail())
    with pytest.raises(imaplib.IMAP4.error):
        mailbox_poll(
            MailboxAddress.from_url(url(server, password="wrong")),
            channel=channel("email"),
            max_bytes=1_000_000,
        )
    assert not mailbox.seen(uid)
    assert not Inquiry.objects.exists()


def test_mailin_once_polls_the_mailbox_for_the_given_channel_and_campaign(mailbox, server) -> None:
    fair = Campaign.objects.create(name="Trade fair", slug="fair")
    mailbox.add(person_mail())
    out = StringIO()

    call_command(
        "mailin",
        "--imap",
        url(server),
        "--once",
        "--channel",
        "chat",
        "--campaign",
        "fair",
        stdout=out,
    )

    lead = Lead.objects.get()
    assert (lead.channel.slug, lead.campaign) == ("chat", fair)
    assert "1 message(s): 1 created" in out.getvalue()


def test_mailin_once_without_a_reachable_mailbox_fails(mailbox, server) -> None:
    with pytest.raises(CommandError):
        call_command("mailin", "--imap", url(server, password="wrong"), "--once", stderr=StringIO())


def test_mailin_refuses_an_unknown_channel_and_a_bad_url() -> None:
    with pytest.raises(CommandError, match="No channel"):
        call_command("mailin", "--imap", "imap://u:p@127.0.0.1/", "--once", "--channel", "nope")
    with pytest.raises(CommandError, match="imaps://"):
        call_command("mailin", "--imap", "http://example.com/", "--once")


def test_an_imap_url_is_read_with_its_defaults() -> None:
    address = MailboxAddress.from_url(
        "imaps://leads%40example.com:p%40ss@mail.example.com/Sales%20Leads"
    )
    assert (address.host, address.port, address.username, address.password, address.mailbox) == (
        "mail.example.com",
        993,
        "leads@example.com",
        "p@ss",
        "Sales Leads",
    )
    assert address.use_ssl
    assert MailboxAddress.from_url("imap://u:p@127.0.0.1").port == 143
    assert "p@ss" not in repr(address)
