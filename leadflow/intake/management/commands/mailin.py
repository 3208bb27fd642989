from __future__ import annotations

import imaplib
import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from leadflow.core.management.base import LeadflowCommand
from leadflow.intake.mailin import MailboxAddress, address_parse, mailbox_poll, smtp_receiver
from leadflow.intake.models import Campaign, Channel


class Command(LeadflowCommand):
    help = (
        "Receive e-mail as inquiries: an SMTP receiver (--smtp HOST:PORT, default "
        "LEADFLOW_MAILIN_SMTP) and/or an IMAP mailbox polled every --interval seconds "
        "(--imap URL, default LEADFLOW_MAILIN_IMAP_URL). Without either option it polls "
        "LEADFLOW_MAILIN_IMAP_URL when that is set, else it listens on LEADFLOW_MAILIN_SMTP."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--smtp",
            nargs="?",
            const="",
            metavar="HOST:PORT",
            help="Listen for SMTP here (0.0.0.0:25 to be a mail exchanger).",
        )
        parser.add_argument(
            "--imap",
            nargs="?",
            const="",
            metavar="URL",
            help="Poll this mailbox: imaps://user:password@host:993/INBOX.",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="Seconds between mailbox polls (default LEADFLOW_MAILIN_IMAP_INTERVAL).",
        )
        parser.add_argument("--channel", default="email", help="Channel slug (default email).")
        parser.add_argument("--campaign", default="", help="Campaign slug for every inquiry.")
        parser.add_argument(
            "--once", action="store_true", help="Poll the mailbox once and exit (IMAP only)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        channel = Channel.objects.filter(slug=options["channel"]).first()
        if channel is None:
            raise CommandError(f"No channel with the slug {options['channel']!r}.")
        campaign = None
        if options["campaign"]:
            campaign = Campaign.objects.filter(slug=options["campaign"]).first()
            if campaign is None:
                raise CommandError(f"No campaign with the slug {options['campaign']!r}.")

        smtp, imap = options["smtp"], options["imap"]
        if smtp is None and imap is None:
            if settings.LEADFLOW_MAILIN_IMAP_URL:
                imap = ""
            else:
                smtp = ""
        if options["once"] and imap is None:
            raise CommandError("--once polls a mailbox: give --imap (or set the IMAP URL).")
        if options["once"] and smtp is not None:
            raise CommandError("--once polls a mailbox; it cannot be combined with --smtp.")
        mailbox = None
        if imap is not None:
            url = imap or settings.LEADFLOW_MAILIN_IMAP_URL
            if not url:
                raise CommandError("--imap needs a URL (or LEADFLOW_MAILIN_IMAP_URL).")
            try:
                mailbox = MailboxAddress.from_url(url)
            except ValueError as exc:
                raise CommandError(f"--imap: {exc}") from exc
        max_bytes = settings.LEADFLOW_MAILIN_MAX_BYTES

        if options["once"]:
            assert mailbox is not None
            if not self._poll(mailbox, channel=channel, campaign=campaign, max_bytes=max_bytes):
                raise CommandError("The mailbox could not be read.")
            return

        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        receiver = None
        if smtp is not None:
            try:
                host, port = address_parse(smtp or settings.LEADFLOW_MAILIN_SMTP)
            except ValueError as exc:
                raise CommandError(f"--smtp: {exc}") from exc
            receiver = smtp_receiver(
                host=host, port=port, channel=channel, campaign=campaign, max_bytes=max_bytes
            )
            try:
                receiver.start()
            except (OSError, RuntimeError) as exc:
                raise CommandError(f"Cannot listen on {host}:{port}: {exc}") from exc
            self.stdout.write(f"Receiving e-mail for channel {channel.slug} on {host}:{port}.")
        interval = options["interval"] or settings.LEADFLOW_MAILIN_IMAP_INTERVAL
        if mailbox is not None:
            self.stdout.write(
                f"Polling {mailbox.mailbox} at {mailbox.host} every {interval:g} s "
                f"for channel {channel.slug}."
            )
        try:
            while not stop.is_set():
                if mailbox is not None:
                    self._poll(mailbox, channel=channel, campaign=campaign, max_bytes=max_bytes)
                stop.wait(interval if mailbox is not None else 3600)
        except KeyboardInterrupt:
            pass
        finally:
            if receiver is not None:
                receiver.stop()

    def _poll(
        self,
        mailbox: MailboxAddress,
        *,
        channel: Channel,
        campaign: Campaign | None,
        max_bytes: int,
    ) -> bool:
        try:
            result = mailbox_poll(mailbox, channel=channel, campaign=campaign, max_bytes=max_bytes)
        except (OSError, imaplib.IMAP4.error) as exc:
            self.stderr.write(f"Mailbox {mailbox.host}: {exc}")
            return False
        if result.read:
            counts = ", ".join(
                f"{count} {outcome}" for outcome, count in sorted(result.outcomes.items())
            )
            extra = [f"{result.repeated} already recorded"] if result.repeated else []
            extra += [f"{result.failed} failed (left unread)"] if result.failed else []
            self.stdout.write(
                f"{result.read} message(s): " + "; ".join(filter(None, [counts, *extra]))
            )
        return True
