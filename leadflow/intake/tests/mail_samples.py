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
