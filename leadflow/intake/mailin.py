"""Receiving e-mail: a built-in SMTP receiver, and an IMAP poller as the alternative.

Both hand every message to ``leadflow.intake.mail.mail_receive``; neither
keeps state of its own. The SMTP receiver answers 250 only after the inquiry
is committed, and 451 (try again later) when it could not be stored, so the
sending server keeps the message until Leadflow has it. The IMAP poller reads
unseen messages without marking them (``BODY.PEEK``), stores each, and only
then marks it ``\\Seen``; a poller stopped in between finds the message again
and ``mail_receive`` recognises its Message-ID.
"""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import logging
import re
import ssl
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from aiosmtpd.controller import Controller
from django.db import close_old_connections, connections

from leadflow.intake.mail import TOO_LARGE, mail_receive

if TYPE_CHECKING:
    from leadflow.intake.models import Campaign, Channel, Inquiry

logger = logging.getLogger(__name__)


def _release_connections() -> None:
    """Drop database connections that are too old or broken, as Django does between requests.

    Never inside a transaction (a caller's, or a test's).
    """
    if not any(c.in_atomic_block for c in connections.all(initialized_only=True)):
        close_old_connections()


def address_parse(value: str) -> tuple[str, int]:
    """ "HOST:PORT" (or "[::1]:PORT") → (host, port)."""
    host, sep, port = value.strip().rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ValueError(f"expected HOST:PORT, got {value!r}")
    return host.strip("[]"), int(port)


class InquiryMailHandler:
    """aiosmtpd handler: every message accepted for delivery becomes an inquiry."""

    def __init__(
        self,
        *,
        channel: Channel,
        campaign: Campaign | None = None,
        max_bytes: int,
    ) -> None:
        self.channel = channel
        self.campaign = campaign
        self.max_bytes = max_bytes
        # One thread of its own does the database work, one message at a time,
        # so the event loop keeps talking SMTP meanwhile.
        self.database_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mailin")

    def close(self) -> None:
        """Close the database thread's connections and end it."""
        self.database_thread.submit(connections.close_all).result()
        self.database_thread.shutdown()

    def receive(self, raw: bytes, mail_from: str, rcpt_tos: list[str], peer: Any) -> Inquiry:
        _release_connections()
        try:
            inquiry = mail_receive(
                raw=raw,
                channel=self.channel,
                campaign=self.campaign,
                envelope_sender=mail_from,
                recipients=rcpt_tos,
                source_ip=peer[0] if isinstance(peer, tuple) and peer else None,
            )
        finally:
            _release_connections()
        return inquiry

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        if len(raw) > self.max_bytes:
            return "552 5.3.4 Message too big"
        try:
            inquiry = await asyncio.get_running_loop().run_in_executor(
                self.database_thread,
                self.receive,
                raw,
                envelope.mail_from or "",
                list(envelope.rcpt_tos),
                session.peer,
            )
        except Exception:
            logger.exception("Could not store a message from %s", envelope.mail_from)
            return "451 4.3.0 Could not store the message, try again later"
        logger.info(
            "Message from %s: inquiry %s %s", envelope.mail_from, inquiry.pk, inquiry.outcome
        )
        return "250 2.0.0 Message accepted"


class MailReceiver(Controller):
    """aiosmtpd's threaded controller; stopping it also closes the handler's database thread."""

    handler: InquiryMailHandler

    def stop(self, no_assert: bool = False) -> None:
        super().stop(no_assert=no_assert)
        self.handler.close()


def smtp_receiver(
    *,
    host: str,
    port: int,
    channel: Channel,
    campaign: Campaign | None = None,
    max_bytes: int,
) -> MailReceiver:
    """An SMTP receiver on host:port, not yet started (``.start()`` / ``.stop()``)."""
    handler = InquiryMailHandler(channel=channel, campaign=campaign, max_bytes=max_bytes)
    return MailReceiver(
        handler,
        hostname=host,
        port=port,
        data_size_limit=max_bytes,
        enable_SMTPUTF8=True,
        decode_data=False,
        ident="Leadflow mailin",
    )


@dataclass(frozen=True)
class MailboxAddress:
    """Where the IMAP poller reads: from imaps://user:password@host:993/INBOX."""

    host: str
    port: int
    username: str
    password: str = field(repr=False)
    mailbox: str = "INBOX"
    use_ssl: bool = True

    @classmethod
    def from_url(cls, url: str) -> MailboxAddress:
        parts = urlsplit(url)
        if parts.scheme not in ("imap", "imaps"):
            raise ValueError("an IMAP URL starts with imaps:// (or imap:// without TLS)")
        if not parts.hostname or not parts.username:
            raise ValueError("an IMAP URL names the user and the host: imaps://user:pass@host/")
        use_ssl = parts.scheme == "imaps"
        return cls(
            host=parts.hostname,
            port=parts.port or (993 if use_ssl else 143),
            username=unquote(parts.username),
            password=unquote(parts.password or ""),
            mailbox=unquote(parts.path.lstrip("/")) or "INBOX",
            use_ssl=use_ssl,
        )


@dataclass
class PollResult:
    """What one pass over the mailbox did."""

    outcomes: Counter[str] = field(default_factory=Counter)
    repeated: int = 0
    failed: int = 0

    @property
    def read(self) -> int:
        return sum(self.outcomes.values()) + self.repeated + self.failed


def _quoted(mailbox: str) -> str:
    if re.fullmatch(r"[A-Za-z0-9_./-]+", mailbox):
        return mailbox
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _checked(response: tuple[str, Any], what: str) -> Any:
    status, data = response
    if status != "OK":
        raise imaplib.IMAP4.error(f"{what}: {status} {data!r}")
    return data


def _fetched_bytes(data: Any) -> bytes:
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return bytes(item[1])
    raise imaplib.IMAP4.error("FETCH answered without the message")


def _fetched_size(data: Any) -> int:
    for item in data:
        head = item[0] if isinstance(item, tuple) else item
        if isinstance(head, bytes):
            found = re.search(rb"RFC822\.SIZE (\d+)", head)
            if found:
                return int(found.group(1))
    raise imaplib.IMAP4.error("FETCH answered without RFC822.SIZE")


def mailbox_connect(address: MailboxAddress, *, timeout: float = 30.0) -> imaplib.IMAP4:
    if address.use_ssl:
        context = ssl.create_default_context()
        return imaplib.IMAP4_SSL(address.host, address.port, ssl_context=context, timeout=timeout)
    return imaplib.IMAP4(address.host, address.port, timeout=timeout)


def mailbox_poll(
    address: MailboxAddress,
    *,
    channel: Channel,
    campaign: Campaign | None = None,
    max_bytes: int,
    timeout: float = 30.0,
) -> PollResult:
    """Turn every unseen message in the mailbox into an inquiry, then mark it seen.

    A message over ``max_bytes`` is recorded from its headers alone as
    ``rejected`` (reason ``too-large``). A message that could not be stored
    stays unseen and is tried again next time. Losing the connection ends
    the pass (raises); what was stored before stays stored.
    """
    result = PollResult()
    client = mailbox_connect(address, timeout=timeout)
    try:
        _checked(client.login(address.username, address.password), "LOGIN")
        _checked(client.select(_quoted(address.mailbox)), "SELECT")
        found = _checked(client.uid("SEARCH", "UNSEEN"), "SEARCH")
        uids = [uid.decode() for uid in (found[0] or b"").split()]
        for uid in uids:
            size = _fetched_size(_checked(client.uid("FETCH", uid, "(RFC822.SIZE)"), "FETCH"))
            too_large = size > max_bytes
            part = "BODY.PEEK[HEADER]" if too_large else "BODY.PEEK[]"
            raw = _fetched_bytes(_checked(client.uid("FETCH", uid, f"({part})"), "FETCH"))
            _release_connections()
            try:
                inquiry = mail_receive(
                    raw=raw,
                    channel=channel,
                    campaign=campaign,
                    reject_reason=TOO_LARGE if too_large else "",
                )
            except Exception:
                logger.exception("Could not store message %s from %s", uid, address.host)
                result.failed += 1
                continue
            if getattr(inquiry, "repeated", False):
                result.repeated += 1
            else:
                result.outcomes[inquiry.outcome] += 1
            _checked(client.uid("STORE", uid, "+FLAGS", "(\\Seen)"), "STORE")
    finally:
        _release_connections()
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            client.logout()
    return result
