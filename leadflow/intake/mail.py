"""E-mail to lead: a received message becomes an inquiry on an e-mail channel.

``mail_parse`` reads the message (sender, subject, text, headers) and decides
whether a person wrote it or a machine did: auto-replies ("out of office")
and bounces (delivery-status reports) are recognised from their headers,
their sender and their subject, and are stored as ``rejected`` inquiries with
the reason ``auto-reply`` or ``bounce`` — counted and visible, never leads.

``mail_receive`` hands the rest to ``inquiry_submit`` like every other
channel. Whoever receives the message (the SMTP receiver, the IMAP poller in
``mailin.py``) calls it once per message and may call it again for the same
message after a crash: the Message-ID is kept as the inquiry's indexed source_ref and a
message already recorded is not recorded twice.
"""

from __future__ import annotations

import datetime
import email
import email.policy
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from leadflow.accounts.models import User
from leadflow.identity.matching import Match
from leadflow.identity.normalise import fold
from leadflow.identity.services import identity_lock
from leadflow.intake.models import ChannelKind, Inquiry
from leadflow.intake.services import inquiry_submit
from leadflow.leads.models import Lead

if TYPE_CHECKING:
    from leadflow.intake.models import Campaign, Channel

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 20_000
MAX_HEADERS = 200
MAX_HEADER_CHARS = 4_000
MAX_PARTS = 100
MAX_REFERENCES = 30


class MailVerdict:
    """Who wrote a message: a person, or a machine answering for one."""

    PERSON = "person"
    AUTO_REPLY = "auto-reply"
    BOUNCE = "bounce"


# Rejection reason for a message over the size cap (only its headers are read).
TOO_LARGE = "too-large"
# Rejection reason for a Leadflow user's own message with no customer's message forwarded in it.
FROM_STAFF = "from-staff"

# Subjects that auto-responders and mail servers put first, compared folded
# (case, accents and Turkish dotted/dotless i ignored) and after any "Re:".
_AUTO_REPLY_SUBJECTS = tuple(
    fold(prefix)
    for prefix in (
        "Out of office",
        "Out of the office",
        "Automatic reply",
        "Auto reply",
        "Auto-reply",
        "Autoreply",
        "Auto:",
        "Auto response",
        "Autosvar",
        "Automatische Antwort",
        "Abwesenheitsnotiz",
        "Réponse automatique",
        "Absence du bureau",
        "Respuesta automática",
        "Fuera de la oficina",
        "Risposta automatica",
        "Resposta automática",
        "Automatisch antwoord",
        "Otomatik yanıt",
        "Otomatik cevap",
        "Ofis dışında",
        "Ateb awtomatig",
        "Neges awtomatig",
        "Allan o'r swyddfa",
    )
)
_BOUNCE_SUBJECTS = tuple(
    fold(prefix)
    for prefix in (
        "Undelivered Mail Returned to Sender",
        "Undeliverable:",
        "Undeliverable mail",
        "Delivery Status Notification (Failure)",
        "Delivery Status Notification (Delay)",
        "Delivery failure",
        "Delivery has failed",
        "Mail delivery failed",
        "Mail System Error",
        "Returned mail:",
        "Failure notice",
        "Unzustellbar:",
        "Non remis:",
        "Iletilemedi:",
    )
)
_REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv|ynt|yanit|fw|fwd|wg|rv|tr)\s*(\[\d+\])?\s*:\s*)+", re.I)
_MACHINE_MAILBOXES = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"})
_AUTO_REPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress")
_BULK_PRECEDENCE = frozenset({"bulk", "junk", "auto_reply", "auto-reply"})
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Where a reply's quotation of the earlier message starts, in the users' languages.
_QUOTE_HEADER = re.compile(
    r"^[ \t]*(?:"
    # "On Mon, 3 Mar 2025, Rhys <rhys@…> wrote:", sometimes wrapped onto two lines.
    r"(?:On|Le|El|Am|Ar) [^\n]{4,200}(?:\n[^\n]{0,100})?"
    r"(?:wrote|a écrit|escribió|schrieb|ysgrifennodd)[^\n]{0,60}:[ \t]*$"
    r"|[^\n]{4,200} tarihinde[^\n]{0,200}yazdı:[ \t]*$"
    r"|-{2,} ?(?:Original Message|Orijinal İleti|Mensaje original|Neges Wreiddiol) ?-{2,}"
    r"|(?:_{10,}[ \t]*\n[ \t]*)?(?:From|Kimden|De|Oddi wrth): [^\n]+\n[ \t]*"
    r"(?:Sent|Date|Gönderildi|Tarih|Enviado|Fecha|Anfonwyd|Dyddiad): "
    r")",
    re.IGNORECASE | re.MULTILINE,
)
_NAME_PARTICLES = frozenset(
    {"van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "la", "le"}
    | {"dos", "das", "ap", "ab", "ferch", "verch", "bin", "ibn", "al", "el"}
)


@dataclass
class ForwardedMail:
    """A customer's message that someone forwarded: inline or attached (message/rfc822)."""

    how: str  # "attachment" or "inline"
    sender_name: str = ""
    sender_email: str = ""
    subject: str = ""
    date: str = ""
    body: str = ""
    # The forwarder's own words above the forwarded message.
    note: str = ""
    message_id: str = ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)

    def as_payload(self) -> dict[str, Any]:
        return {
            "how": self.how,
            "from": {"name": self.sender_name, "email": self.sender_email},
            "subject": self.subject,
            "date": self.date,
            "message_id": self.message_id,
            "note": self.note,
        }


@dataclass
class ParsedMail:
    """What Leadflow reads from one message."""

    message_id: str = ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    sender_name: str = ""
    sender_email: str = ""
    first_name: str = ""
    last_name: str = ""
    subject: str = ""
    body: str = ""
    headers: list[list[str]] = field(default_factory=list)
    parts: list[dict[str, Any]] = field(default_factory=list)
    size: int = 0
    verdict: str = MailVerdict.PERSON
    verdict_because: str = ""
    # From's address (the sender's own mailbox, whatever Reply-To says).
    from_email: str = ""
    # The messages forwarded inside this one, outermost first.
    forwarded: list[ForwardedMail] = field(default_factory=list)

    @property
    def thread(self) -> list[str]:
        """The Message-IDs of the earlier messages this one answers, nearest first."""
        return [self.in_reply_to, *reversed(self.references)]

    @property
    def message(self) -> str:
        """Subject and text as the inquiry's message."""
        return "\n\n".join(part for part in (self.subject, self.body) if part)[:MAX_MESSAGE_CHARS]

    def fields(self) -> dict[str, str]:
        person = {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "email": self.sender_email,
        }
        return {name: value for name, value in person.items() if value}


def _clean_text(text: str) -> str:
    """Text safe to store everywhere: valid UTF-8, no NUL or control characters."""
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text.replace("\t", " "))


def _header_text(value: object) -> str:
    return _clean_text(str(value)).replace("\n", " ").strip()


def _header(message: Message, name: str) -> str:
    """One header as text; a header too broken to parse reads as its raw value."""
    try:
        value = message.get(name)
    except Exception:  # the header parser gives up on some malformed values
        raw = [v for n, v in message.raw_items() if n.lower() == name.lower()]
        value = raw[0] if raw else None
    return "" if value is None else _header_text(value)


def name_split(display_name: str, address: str = "") -> tuple[str, str]:
    """A sender's display name → (first name, last name).

    "Last, First" is read in that order; a comment in parentheses is dropped;
    a name that is only the address (or any address) is no name. Otherwise
    the last word is the last name, together with the particles before it
    ("van der Berg", "ap Gruffydd"), and the words before are the first name.
    """
    name = re.sub(r"\([^)]*\)", " ", display_name)
    name = " ".join(name.strip().strip("\"'").split())
    if not name or "@" in name or (address and fold(name) == fold(address)):
        return "", ""
    if "," in name:
        last, first = (part.strip(" ,") for part in name.split(",", 1))
        return first, last
    words = name.split(" ")
    if len(words) == 1:
        return words[0], ""
    start = len(words) - 1
    while start > 1 and fold(words[start - 1]) in _NAME_PARTICLES:
        start -= 1
    return " ".join(words[:start]), " ".join(words[start:])


def _person_address(message: Message) -> tuple[str, str]:
    """(display name, address) of the person: Reply-To when it names one, else From."""
    found: list[tuple[str, str]] = []
    for name in ("Reply-To", "From"):
        try:
            header = message.get(name)
        except Exception:
            continue
        for address in getattr(header, "addresses", ()):
            if address.addr_spec and "@" in address.addr_spec:
                found.append((_header_text(address.display_name), address.addr_spec.strip()))
                break
    if not found:
        return "", ""
    display_name, address = found[0]
    if not display_name:
        # A Reply-To without a name borrows From's name when it is the same mailbox.
        for other_name, other_address in found[1:]:
            if other_address.lower() == address.lower():
                display_name = other_name
    return display_name, address


def _from_address(message: Message) -> str:
    try:
        header = message.get("From")
    except Exception:
        return ""
    for address in getattr(header, "addresses", ()):
        if address.addr_spec and "@" in address.addr_spec:
            return str(address.addr_spec).strip()
    return ""


class _TextFromHtml(HTMLParser):
    _SKIP = frozenset({"script", "style", "head", "title", "template"})
    _BLOCK = frozenset(
        {"p", "div", "br", "li", "tr", "table", "blockquote", "section", "article", "hr"}
        | {"h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "pre", "address"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self.skipping += 1
        elif tag in self._BLOCK:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self._BLOCK:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.chunks.append(data)


def html_to_text(html: str) -> str:
    """Readable text of an HTML body: blocks become lines, scripts and styles vanish."""
    parser = _TextFromHtml()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.chunks).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _part_text(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
    except (LookupError, UnicodeError, AssertionError, KeyError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def _body(message: EmailMessage) -> str:
    """The plain-text body, or the HTML one turned into text."""
    plain = message.get_body(preferencelist=("plain",))
    if plain is not None:
        text = _part_text(plain)
        if text.strip():
            return text
    html = message.get_body(preferencelist=("html",))
    if html is not None:
        return html_to_text(_part_text(html))
    return ""


def without_quoted_reply(text: str) -> str:
    """What the sender wrote this time: the quoted earlier message of a reply left out.

    Quoted text is the sales team's own words (and links) again; kept, it
    would make every long thread look like a new, link-heavy message.
    """
    found = _QUOTE_HEADER.search(text)
    if found:
        text = text[: found.start()]
    lines = [line for line in text.split("\n") if not line.lstrip().startswith(">")]
    return "\n".join(lines).strip()


def _parts(message: Message) -> list[dict[str, Any]]:
    """What the message carries (types, names and sizes; never the attachments' bytes)."""
    parts = []
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        parts.append(
            {
                "content_type": part.get_content_type(),
                "filename": _header_text(part.get_filename() or ""),
                "disposition": part.get_content_disposition() or "",
                "size": len(payload) if isinstance(payload, bytes) else 0,
            }
        )
        if len(parts) >= MAX_PARTS:
            break
    return parts


# The line mail programs put above a message forwarded inline (Gmail, Thunderbird,
# Apple Mail, Outlook), in the users' languages.
_FORWARD_MARKER = re.compile(
    r"^[ \t]*(?:"
    r"-{2,}[ \t]*(?:Forwarded message|Forwarded Message|Original Message|Message transféré"
    r"|Message d'origine|Mensaje reenviado|Mensaje original|Weitergeleitete Nachricht"
    r"|Ursprüngliche Nachricht|Yönlendirilen ileti|Yönlendirilmiş ileti|İletilen ileti"
    r"|Orijinal İleti"
    r"|Iletilen mesaj|Neges wedi'i hanfon ymlaen|Neges Wreiddiol)[ \t]*-{2,}"
    r"|Begin forwarded message:|Début du message réexpédié :|Inicio del mensaje reenviado:"
    r"|_{10,}"
    r")[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
# Header lines of a forwarded message's header block ("From: …", "*Subject:* …").
_FORWARD_HEADER = re.compile(r"^[ \t>]*\*?([^\W\d_][\w .'/-]{0,20}?)\*?[ \t]*:[ \t]*(.*)$")
_FORWARD_FROM = frozenset({"from", "von", "de", "kimden", "gönderen", "oddi wrth", "van", "da"})
_FORWARD_SUBJECT = frozenset({"subject", "betreff", "asunto", "konu", "objet", "pwnc", "oggetto"})
_FORWARD_DATE = frozenset(
    {"date", "sent", "gesendet", "datum", "enviado", "fecha", "tarih", "gönderildi"}
    | {"envoyé", "dyddiad", "anfonwyd", "data", "inviato"}
)
_ADDRESS = re.compile(r"[^\s<>\[\]\"'(),;:]+@[^\s<>\[\]\"'(),;:]+\.[^\s<>\[\]\"'(),;:]+")
MAX_FORWARD_DEPTH = 5


def _forward_sender(value: str) -> tuple[str, str]:
    """(display name, address) of a forwarded "From:" line in any mail program's spelling.

    "Ayşe Yılmaz <ayse@example.com>", "Ayşe Yılmaz [mailto:ayse@example.com]",
    "Ayşe Yılmaz <ayse@example.com<mailto:ayse@example.com>>" (Outlook's HTML
    as text), a bare address.
    """
    found = _ADDRESS.search(value.replace("mailto:", " "))
    if found is None:
        return "", ""
    address = found.group(0).strip(".")
    name = value[: value.find(address)] if address in value else value[: found.start()]
    name = re.sub(r"[<\[]\s*(mailto:)?\s*$", "", name.strip()).strip()
    return _header_text(name.strip("\"' *")), address


_FORWARD_KINDS = {
    fold(name): kind
    for kind, names in (
        ("from", _FORWARD_FROM),
        ("subject", _FORWARD_SUBJECT),
        ("date", _FORWARD_DATE),
    )
    for name in names
}


def _forward_header_name(name: str) -> str:
    """ "from", "subject", "date", or "" for any other header (To, Cc, …)."""
    return _FORWARD_KINDS.get(fold(name).strip(), "")


def _inline_forward(text: str) -> ForwardedMail | None:
    """The message forwarded inline in ``text``: its header block read, its text after it.

    A header block is a run of lines such as "From:", "Date:"/"Sent:",
    "Subject:" and "To:" ending at a blank line, usually under a forwarding
    line ("---------- Forwarded message ---------"); the first such line
    with a header block naming a sender counts (a signature's rule above it
    does not stop the search). Without a forwarding line (Outlook sometimes
    has none) the block must name a sender, a date and a subject, so a
    message that merely starts a line with "From:" is not taken for a forward.
    """
    lines = text.split("\n")
    # (first line of the header block, where the forwarder's note ends, under a marker?)
    candidates = [
        (text.count("\n", 0, marker.start()) + 1, marker.start(), True)
        for marker in _FORWARD_MARKER.finditer(text)
    ]
    from_lines = [
        number
        for number, line in enumerate(lines)
        if (header := _FORWARD_HEADER.match(line))
        and _forward_header_name(header.group(1)) == "from"
    ]
    candidates += [
        (number, len("\n".join(lines[:number])), False) for number in from_lines[:MAX_FORWARD_DEPTH]
    ]
    for start, note_end, marked in candidates:
        while start < len(lines) and not lines[start].strip():
            start += 1
        headers: dict[str, str] = {}
        end = start
        last = ""
        while end < len(lines) and lines[end].strip():
            header = _FORWARD_HEADER.match(lines[end])
            if header:
                last = _forward_header_name(header.group(1)) or "other"
                headers.setdefault(last, header.group(2).strip())
            elif not last:
                break
            # Any other line continues the header before it (a long "To:" wrapped).
            end += 1
        if "from" not in headers:
            continue
        if not marked and not ("date" in headers and "subject" in headers):
            continue
        name, address = _forward_sender(headers["from"])
        if not address:
            continue
        return ForwardedMail(
            how="inline",
            sender_name=name,
            sender_email=address,
            subject=_header_text(headers.get("subject", "")),
            date=_header_text(headers.get("date", "")),
            body="\n".join(lines[end:]).strip(),
            note=without_quoted_reply(text[:note_end].strip()),
        )
    return None


def _attached_forward(message: EmailMessage, note: str) -> ForwardedMail | None:
    """The first message attached whole (message/rfc822: "forward as attachment")."""
    for part in message.walk():
        if part.get_content_type() != "message/rfc822":
            continue
        try:
            inner = part.get_content()
        except Exception:  # an attachment too broken to read is just an attachment
            continue
        if not isinstance(inner, EmailMessage):
            continue
        name, address = _person_address(inner)
        if not address:
            continue
        return ForwardedMail(
            how="attachment",
            sender_name=name,
            sender_email=address,
            subject=_header(inner, "Subject"),
            date=_header(inner, "Date"),
            body=_clean_text(_body(inner)).strip(),
            note=without_quoted_reply(note),
            message_id=next(iter(_message_ids(_header(inner, "Message-ID"))), ""),
            in_reply_to=next(iter(_message_ids(_header(inner, "In-Reply-To"))), ""),
            references=_message_ids(_header(inner, "References"))[-MAX_REFERENCES:],
        )
    return None


def forwarded_messages(message: EmailMessage, text: str) -> list[ForwardedMail]:
    """The messages forwarded in ``message`` (whose readable text is ``text``), outermost first.

    A colleague may forward a forward: each level is read in turn, attached
    messages before inline ones, up to ``MAX_FORWARD_DEPTH`` deep.
    """
    chain: list[ForwardedMail] = []
    found = _attached_forward(message, text) or _inline_forward(text)
    while found is not None and len(chain) < MAX_FORWARD_DEPTH:
        chain.append(found)
        found = _inline_forward(found.body)
    return chain


def _message_ids(value: str) -> list[str]:
    return re.findall(r"<[^<>\s]+>", value)


def _mailbox(address: str) -> str:
    return address.strip().strip("<>").split("@", 1)[0].lower()


def mail_classify(message: Message, *, envelope_sender: str | None = None) -> tuple[str, str]:
    """(verdict, the evidence): a person's message, an auto-reply or a bounce.

    ``envelope_sender`` is SMTP's MAIL FROM ("" is the null sender that
    delivery reports and well-behaved auto-responders use); without it the
    Return-Path header stands in.
    """
    content_type = message.get_content_type()
    report_type = str(message.get_param("report-type", "") or "").lower()
    if content_type == "multipart/report":
        if report_type == "disposition-notification":
            return MailVerdict.AUTO_REPLY, "Content-Type: multipart/report (read receipt)"
        return MailVerdict.BOUNCE, f"Content-Type: multipart/report; report-type={report_type}"
    if any(part.get_content_type() == "message/delivery-status" for part in message.walk()):
        return MailVerdict.BOUNCE, "a message/delivery-status part"

    if envelope_sender is None:
        return_path = _header(message, "Return-Path")
        envelope_sender = return_path if return_path else None
    senders = [_header(message, "From"), _header(message, "Sender"), envelope_sender or ""]
    for sender in senders:
        for address in re.findall(r"[^\s<>\"',;]+@[^\s<>\"',;]+", sender) or [sender]:
            if _mailbox(address) in _MACHINE_MAILBOXES:
                return MailVerdict.BOUNCE, f"sent by {address.strip('<>')}"

    auto_submitted = _header(message, "Auto-Submitted").split(";", 1)[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return MailVerdict.AUTO_REPLY, f"Auto-Submitted: {auto_submitted}"
    for name in _AUTO_REPLY_HEADERS:
        value = _header(message, name)
        if value and value.lower() not in ("no", "false", "0"):
            return MailVerdict.AUTO_REPLY, f"{name}: {value}"[:200]
    precedence = _header(message, "Precedence").lower()
    if precedence in _BULK_PRECEDENCE:
        return MailVerdict.AUTO_REPLY, f"Precedence: {precedence}"

    subject = fold(_REPLY_PREFIX.sub("", _header(message, "Subject")))
    for prefix in _BOUNCE_SUBJECTS:
        if subject.startswith(prefix):
            return MailVerdict.BOUNCE, f"subject starts with {prefix!r}"
    for prefix in _AUTO_REPLY_SUBJECTS:
        if subject.startswith(prefix):
            return MailVerdict.AUTO_REPLY, f"subject starts with {prefix!r}"

    if envelope_sender is not None and envelope_sender.strip() in ("", "<>"):
        return MailVerdict.BOUNCE, "null envelope sender"
    return MailVerdict.PERSON, ""


def mail_parse(raw: bytes, *, envelope_sender: str | None = None) -> ParsedMail:
    """Read a message as received (RFC 5322 bytes)."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    parsed = ParsedMail(size=len(raw))
    parsed.headers = [
        [_header_text(name), _header_text(value)[:MAX_HEADER_CHARS]]
        for name, value in message.raw_items()
    ][:MAX_HEADERS]
    parsed.message_id = next(iter(_message_ids(_header(message, "Message-ID"))), "")
    parsed.in_reply_to = next(iter(_message_ids(_header(message, "In-Reply-To"))), "")
    parsed.references = _message_ids(_header(message, "References"))[-MAX_REFERENCES:]
    parsed.sender_name, parsed.sender_email = _person_address(message)
    first, last = name_split(parsed.sender_name, parsed.sender_email)
    parsed.first_name = first[: Lead._meta.get_field("first_name").max_length]
    parsed.last_name = last[: Lead._meta.get_field("last_name").max_length]
    parsed.subject = _header(message, "Subject")
    parsed.verdict, parsed.verdict_because = mail_classify(message, envelope_sender=envelope_sender)
    parsed.from_email = _from_address(message)
    try:
        body = _clean_text(_body(message)).strip()
        parsed.body = (without_quoted_reply(body) or body)[:MAX_MESSAGE_CHARS]
        parsed.parts = _parts(message)
        parsed.forwarded = forwarded_messages(message, body)
    except Exception:  # a body too broken to read still leaves sender and subject
        logger.warning("Unreadable body in message %s", parsed.message_id, exc_info=True)
    return parsed


def _payload(
    parsed: ParsedMail, *, envelope_sender: str | None, recipients: Sequence[str]
) -> dict[str, Any]:
    return {
        "message_id": parsed.message_id,
        "in_reply_to": parsed.in_reply_to,
        "references": parsed.references,
        "from": {"name": parsed.sender_name, "email": parsed.sender_email},
        "subject": parsed.subject,
        "headers": parsed.headers,
        "parts": parsed.parts,
        "size": parsed.size,
        "envelope": {
            "mail_from": None if envelope_sender is None else _header_text(envelope_sender),
            "rcpt_to": [_header_text(recipient) for recipient in recipients][:100],
        },
        "classified": {"as": parsed.verdict, "because": parsed.verdict_because},
    }


def _email_inquiries(
    channel: Channel, now: datetime.datetime, message_ids: Sequence[str]
) -> QuerySet[Inquiry]:
    """Recent inquiries by e-mail (through any e-mail channel or this one) with these Message-IDs.

    The Message-ID is the inquiry's indexed ``source_ref``, so the look-up
    costs the same whatever the number of e-mails received.
    """
    since = now - datetime.timedelta(days=settings.LEADFLOW_MAILIN_REMEMBER_DAYS)
    return Inquiry.objects.filter(
        Q(channel=channel) | Q(channel__kind=ChannelKind.EMAIL),
        received_at__gte=since,
        source_ref__in=list(message_ids),
    )


def _thread_match(channel: Channel, thread: Sequence[str], now: datetime.datetime) -> Match | None:
    """The card of an earlier message in this thread, as a probable match (to be reviewed)."""
    thread = [message_id for message_id in thread if message_id]
    if not thread:
        return None
    earlier = (
        _email_inquiries(channel, now, thread)
        .exclude(lead=None, contact=None)
        .order_by("-pk")
        .first()
    )
    if earlier is None:
        return None
    return Match(
        lead_id=earlier.lead_id,
        contact_id=earlier.contact_id if earlier.lead_id is None else None,
        confidence=settings.LEADFLOW_MATCH_PROBABLE,
        explanation={
            "thread": {"similarity": 1.0, "weight": 1.0, "inquiry": earlier.pk},
        },
    )


def _staff_user(address: str) -> User | None:
    """The active Leadflow user whose address sent the message, if one did."""
    if not address:
        return None
    return User.objects.filter(email__iexact=address, is_active=True).order_by("pk").first()


def _forwarded_original(parsed: ParsedMail) -> ForwardedMail | None:
    """The customer's message inside a colleague's forward: the first level not sent by staff."""
    for forwarded in parsed.forwarded:
        if _staff_user(forwarded.sender_email) is None:
            return forwarded
    return None


def _forwarded_inquiry(original: ForwardedMail, forwarder: User) -> tuple[dict[str, str], str]:
    """(person fields, message) of a forwarded customer's message, the colleague's note kept."""
    first, last = name_split(original.sender_name, original.sender_email)
    person = {
        "first_name": first[: Lead._meta.get_field("first_name").max_length],
        "last_name": last[: Lead._meta.get_field("last_name").max_length],
        "email": original.sender_email,
    }
    body = without_quoted_reply(original.body) or original.body
    parts = [original.subject, body]
    if original.note:
        parts.append(
            _("Forwarded by %(name)s: %(note)s")
            % {"name": forwarder.get_full_name() or forwarder.username, "note": original.note}
        )
    message = "\n\n".join(part for part in parts if part)[:MAX_MESSAGE_CHARS]
    return {name: value for name, value in person.items() if value}, message


@transaction.atomic
def mail_receive(
    *,
    raw: bytes,
    channel: Channel,
    campaign: Campaign | None = None,
    envelope_sender: str | None = None,
    recipients: Sequence[str] = (),
    source_ip: str | None = None,
    reject_reason: str = "",
    received_at: datetime.datetime | None = None,
) -> Inquiry:
    """Turn one received message into an inquiry on ``channel``.

    - The person is Reply-To's (else From's) name and address; subject and
      text are the message; headers, Message-ID, envelope and the list of
      parts (not their bytes) are the payload.
    - Auto-replies and bounces are stored ``rejected`` with the reason
      ``auto-reply`` or ``bounce``; a sender address that cannot be right is
      stored ``rejected`` too (a mailbox has nobody to correct it).
    - A message whose Message-ID is already recorded returns that inquiry
      (``repeated`` is True): redelivery and a poller restarted between
      storing and marking a message as read cost nothing.
    - A reply in the thread of a message already on a card goes to that
      card when identity matching finds nobody better (flagged for review).
    - A message From an active Leadflow user's address is a colleague
      forwarding a customer's message (inline in any common mail program's
      layout, or attached as message/rfc822): the inquiry is the original
      sender's, ``submitted_by`` is the colleague and their note is kept in
      the message. A colleague's own message with nothing forwarded in it is
      stored ``rejected`` (``from-staff``), never a lead for the colleague.
    """
    now = received_at or timezone.now()
    parsed = mail_parse(raw, envelope_sender=envelope_sender)
    forwarder = _staff_user(parsed.from_email)
    if parsed.message_id:
        identity_lock({f"m:{parsed.message_id}"})
        earlier = _email_inquiries(channel, now, [parsed.message_id]).order_by("pk").first()
        if earlier is not None:
            earlier.repeated = True  # type: ignore[attr-defined]
            return earlier

    reason = reject_reason or ("" if parsed.verdict == MailVerdict.PERSON else parsed.verdict)
    payload = _payload(parsed, envelope_sender=envelope_sender, recipients=recipients)
    person, message, thread = parsed.fields(), parsed.message, parsed.thread
    if forwarder is not None:
        # A colleague forwarded a customer's message: the inquiry is the customer's.
        original = _forwarded_original(parsed)
        payload["forwarded_by"] = {"user": forwarder.pk, "email": parsed.from_email}
        if original is None:
            reason = reason or FROM_STAFF
        else:
            payload["forwarded"] = original.as_payload()
            person, message = _forwarded_inquiry(original, forwarder)
            thread = [original.message_id, original.in_reply_to, *reversed(original.references)]
    arguments: dict[str, Any] = {
        "actor": forwarder,
        "channel": channel,
        "campaign": campaign,
        "message": message,
        "payload": payload,
        "source_ip": source_ip,
        "received_at": now,
        "source_ref": parsed.message_id,
    }
    try:
        with transaction.atomic():
            return inquiry_submit(
                fields=person,
                reject_reason=reason,
                thread_match=None if reason else _thread_match(channel, thread, now),
                **arguments,
            )
    except ValidationError as exc:
        problem = "; ".join(exc.messages)
        return inquiry_submit(
            fields={}, reject_reason=f"invalid sender: {problem}"[:255], **arguments
        )
