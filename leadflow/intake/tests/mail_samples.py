"""Messages as mail servers deliver them, for the e-mail intake tests."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid


def person_mail(
    *,
    name: str = "Ayşe Yılmaz",
    address: str = "ayse@example.com",
    subject: str = "Fiyat teklifi",
    body: str = "Merhaba, 20 kişilik ekip için fiyat alabilir miyim?",
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = Address(name, addr_spec=address) if name else address
    message["To"] = "sales@leadflow.example.com"
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="example.com")
    for header, value in (headers or {}).items():
        message[header] = value
    message.set_content(body)
    return bytes(message)


def delivery_report(
    *,
    original_to: str = "gone@example.com",
    sender: str = "Mail Delivery System <MAILER-DAEMON@mx.example.com>",
    subject: str = "Undelivered Mail Returned to Sender",
) -> bytes:
    """A bounce as Postfix sends it: multipart/report with a delivery-status part."""
    return (
        f"From: {sender}\r\n"
        "To: sales@leadflow.example.com\r\n"
        f"Subject: {subject}\r\n"
        "Message-ID: <bounce-1@mx.example.com>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
        "\r\n"
        "--B\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        f"I'm sorry to have to inform you that your message could not be delivered to {original_to}.\r\n"
        "--B\r\n"
        "Content-Type: message/delivery-status\r\n"
        "\r\n"
        "Reporting-MTA: dns; mx.example.com\r\n"
        "\r\n"
        f"Final-Recipient: rfc822; {original_to}\r\n"
        "Action: failed\r\n"
        "Status: 5.1.1\r\n"
        "--B--\r\n"
    ).encode()


# A colleague forwards a customer's message to the intake address. Each mail
# program writes the forwarded message its own way; these follow what Gmail,
# Outlook, Thunderbird and Apple Mail send.

CUSTOMER_TEXT = "Merhaba, 20 kişilik ekip için fiyat alabilir miyim?\nTeşekkürler,\nAyşe"
NOTE = "Can someone call her back today?"


def _forward(*, forwarder: str, subject: str, plain: str | None, html: str | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = forwarder
    message["To"] = "sales@leadflow.example.com"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="mail.example.com")
    message["Date"] = "Mon, 03 Mar 2025 11:02:41 +0000"
    if plain is not None:
        message.set_content(plain)
        if html is not None:
            message.add_alternative(html, subtype="html")
    elif html is not None:
        message.set_content(html, subtype="html")
    return bytes(message)


def gmail_forward(*, forwarder: str = "Rhys Jones <rhys@example.com>") -> bytes:
    """Gmail's "Forward": multipart/alternative, the header block after a dashed line."""
    plain = (
        f"{NOTE}\n\n"
        "---------- Forwarded message ---------\n"
        "From: Ayşe Yılmaz <ayse@example.com>\n"
        "Date: Mon, 3 Mar 2025 at 10:15\n"
        "Subject: Fiyat teklifi\n"
        "To: Rhys Jones <rhys@example.com>\n\n\n"
        f"{CUSTOMER_TEXT}\n"
    )
    html = (
        f'<div dir="ltr">{NOTE}<br><br><div class="gmail_quote"><div dir="ltr" '
        'class="gmail_attr">---------- Forwarded message ---------<br>From: <strong '
        'class="gmail_sendername" dir="auto">Ayşe Yılmaz</strong> <span dir="auto">&lt;'
        '<a href="mailto:ayse@example.com">ayse@example.com</a>&gt;</span><br>Date: Mon, 3 '
        "Mar 2025 at 10:15<br>Subject: Fiyat teklifi<br>To: Rhys Jones &lt;<a "
        'href="mailto:rhys@example.com">rhys@example.com</a>&gt;<br></div><br><br>'
        f'<div dir="ltr">{CUSTOMER_TEXT.replace(chr(10), "<br>")}</div></div></div>'
    )
    return _forward(forwarder=forwarder, subject="Fwd: Fiyat teklifi", plain=plain, html=html)


def outlook_forward(*, forwarder: str = "Rhys Jones <rhys@example.com>") -> bytes:
    """Outlook (Microsoft 365) "Forward", HTML only: a rule, then a bold header block."""
    html = (
        "<html><head><style>p {margin:0}</style></head><body>"
        f'<div style="font-family: Aptos, sans-serif">{NOTE}</div>'
        '<div style="font-family: Aptos, sans-serif"><br>Rhys</div>'
        '<hr style="display:inline-block;width:98%" tabindex="-1">'
        '<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" '
        'style="font-size:11pt" color="#000000"><b>From:</b> Ayşe Yılmaz &lt;'
        "ayse@example.com&gt;<br><b>Sent:</b> Monday, March 3, 2025 10:15 AM<br><b>To:</b> "
        "Rhys Jones &lt;rhys@example.com&gt;<br><b>Subject:</b> Fiyat teklifi</font>"
        "<div>&nbsp;</div></div>"
        f"<div>{CUSTOMER_TEXT.replace(chr(10), '<br>')}</div></body></html>"
    )
    return _forward(forwarder=forwarder, subject="FW: Fiyat teklifi", plain=None, html=html)


def outlook_classic_forward(*, forwarder: str = "Rhys Jones <rhys@example.com>") -> bytes:
    """Older Outlook's plain text: "-----Original Message-----" and a [mailto:] sender."""
    plain = (
        f"{NOTE}\n\n"
        "-----Original Message-----\n"
        "From: Ayşe Yılmaz [mailto:ayse@example.com] \n"
        "Sent: 03 March 2025 10:15\n"
        "To: Rhys Jones <rhys@example.com>\n"
        "Subject: Fiyat teklifi\n\n"
        f"{CUSTOMER_TEXT}\n"
    )
    return _forward(forwarder=forwarder, subject="FW: Fiyat teklifi", plain=plain)


def thunderbird_inline_forward(*, forwarder: str = "Rhys Jones <rhys@example.com>") -> bytes:
    """Thunderbird's inline forward: Subject first, a tab after each header name."""
    plain = (
        f"{NOTE}\n\n\n"
        "-------- Forwarded Message --------\n"
        "Subject: \tFiyat teklifi\n"
        "Date: \tMon, 3 Mar 2025 10:15:00 +0300\n"
        "From: \tAyşe Yılmaz <ayse@example.com>\n"
        "To: \tRhys Jones <rhys@example.com>\n\n\n\n"
        f"{CUSTOMER_TEXT}\n"
    )
    return _forward(forwarder=forwarder, subject="Fwd: Fiyat teklifi", plain=plain)


def apple_mail_forward(*, forwarder: str = "Rhys Jones <rhys@example.com>") -> bytes:
    plain = (
        f"{NOTE}\n\n"
        "Begin forwarded message:\n\n"
        "From: Ayşe Yılmaz <ayse@example.com>\n"
        "Subject: Fiyat teklifi\n"
        "Date: 3 March 2025 at 10:15:00 GMT+3\n"
        "To: Rhys Jones <rhys@example.com>\n\n"
        f"{CUSTOMER_TEXT}\n"
    )
    return _forward(forwarder=forwarder, subject="Fwd: Fiyat teklifi", plain=plain)


def attached_forward(
    *,
    forwarder: str = "Rhys Jones <rhys@example.com>",
    original_id: str = "<CAF1x2y3@mail.example.com>",
    in_reply_to: str | None = None,
) -> bytes:
    """ "Forward as attachment" (Thunderbird, Outlook, Gmail): the message/rfc822 part."""
    original = EmailMessage()
    original["From"] = "=?utf-8?b?QXnFn2UgWcSxbG1heg==?= <ayse@example.com>"
    original["To"] = "Rhys Jones <rhys@example.com>"
    original["Subject"] = "Fiyat teklifi"
    original["Date"] = "Mon, 03 Mar 2025 10:15:00 +0300"
    original["Message-ID"] = original_id
    if in_reply_to:
        original["In-Reply-To"] = in_reply_to
        original["References"] = in_reply_to
    original.set_content(CUSTOMER_TEXT)
    message = EmailMessage()
    message["From"] = forwarder
    message["To"] = "sales@leadflow.example.com"
    message["Subject"] = "Fwd: Fiyat teklifi"
    message["Message-ID"] = make_msgid(domain="mail.example.com")
    message.set_content(f"{NOTE}\n")
    message.add_attachment(original, filename="Fiyat teklifi.eml")
    return bytes(message)


def turkish_gmail_forward(*, forwarder: str = "Rhys Jones <rhys@example.com>") -> bytes:
    plain = (
        "Bu müşteriyi arayabilir misiniz?\n\n"
        "---------- Yönlendirilen ileti ---------\n"
        "Gönderen: Şule Yıldız <sule@example.com.tr>\n"
        "Date: 3 Mar 2025 Pzt, 10:15\n"
        "Subject: Teklif\n"
        "To: <rhys@example.com>\n\n\n"
        "İyi günler, teklif rica ediyorum.\n"
    )
    return _forward(forwarder=forwarder, subject="Fwd: Teklif", plain=plain)
