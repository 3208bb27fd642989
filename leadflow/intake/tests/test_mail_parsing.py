"""Reading an e-mail: who sent it, what they wrote, and whether a person wrote it at all."""

from __future__ import annotations

import pytest

from leadflow.intake.mail import MailVerdict, html_to_text, mail_parse, name_split
from leadflow.intake.tests.mail_samples import delivery_report, person_mail


def raw_mail(*headers: str, body: str = "Hello", content_type: str = "text/plain") -> bytes:
    lines = [*headers, "MIME-Version: 1.0", f"Content-Type: {content_type}; charset=utf-8", ""]
    return ("\r\n".join(lines) + "\r\n" + body + "\r\n").encode()


@pytest.mark.parametrize(
    ("from_header", "first", "last", "email"),
    [
        # Encoded words, UTF-8 base64 and quoted-printable, Turkish and Welsh letters.
        (
            "=?utf-8?b?QXnFn2UgWcSxbG1heg==?= <ayse@example.com>",
            "Ayşe",
            "Yılmaz",
            "ayse@example.com",
        ),
        ("=?utf-8?q?Si=C3=A2n_Ll=C5=B7r?= <sian@example.com>", "Siân", "Llŷr", "sian@example.com"),
        # A legacy Turkish charset.
        (
            "=?iso-8859-9?q?=DEule_Y=FDld=FDz?= <sule@example.com>",
            "Şule",
            "Yıldız",
            "sule@example.com",
        ),
        # "Last, First", quoted.
        ('"Yılmaz, Ayşe" <ayse@example.com>', "Ayşe", "Yılmaz", "ayse@example.com"),
        (
            "=?utf-8?q?Ll=C5=B7r=2C_Si=C3=A2n?= <sian@example.com>",
            "Siân",
            "Llŷr",
            "sian@example.com",
        ),
        # Particles stay with the last name; comments are not part of the name.
        (
            "Rhys ap Gruffydd (Cwmni Cyf.) <rhys@example.com>",
            "Rhys",
            "ap Gruffydd",
            "rhys@example.com",
        ),
        (
            "Ludwig van der Berg <ludwig@example.com>",
            "Ludwig",
            "van der Berg",
            "ludwig@example.com",
        ),
        ("María José García <mj@example.com>", "María José", "García", "mj@example.com"),
        # No name, or the address repeated as the name: nobody is named.
        ("ayse@example.com", "", "", "ayse@example.com"),
        ('"ayse@example.com" <ayse@example.com>', "", "", "ayse@example.com"),
        ("Cher <cher@example.com>", "Cher", "", "cher@example.com"),
    ],
)
def test_the_senders_name_and_address_are_read_from_from(
    from_header: str, first: str, last: str, email: str
) -> None:
    parsed = mail_parse(raw_mail(f"From: {from_header}", "Subject: Hi"))
    assert (parsed.first_name, parsed.last_name, parsed.sender_email) == (first, last, email)


def test_reply_to_names_the_person_when_a_website_sends_on_their_behalf() -> None:
    parsed = mail_parse(
        raw_mail(
            "From: Website <noreply@shop.example.com>",
            "Reply-To: =?utf-8?q?Ay=C5=9Fe_Y=C4=B1lmaz?= <ayse@example.com>",
            "Subject: Contact form",
        )
    )
    assert (parsed.first_name, parsed.last_name, parsed.sender_email) == (
        "Ayşe",
        "Yılmaz",
        "ayse@example.com",
    )


def test_a_reply_to_without_a_name_borrows_the_name_from_from_for_the_same_mailbox() -> None:
    parsed = mail_parse(
        raw_mail("From: Gwen Price <gwen@example.com>", "Reply-To: GWEN@example.com")
    )
    assert (parsed.first_name, parsed.last_name, parsed.sender_email) == (
        "Gwen",
        "Price",
        "GWEN@example.com",
    )


def test_subject_and_plain_text_body_make_the_message() -> None:
    parsed = mail_parse(person_mail(subject="Fiyat teklifi", body="20 kişilik ekip için."))
    assert parsed.message == "Fiyat teklifi\n\n20 kişilik ekip için."


def test_an_html_only_message_is_read_as_text() -> None:
    html = (
        "<html><head><style>p {color: red}</style><script>track()</script></head>"
        "<body><p>Bore da,</p><p>Hoffwn <b>bris</b> &amp; dyddiad.</p>"
        "<ul><li>10 o bobl</li><li>Caerdydd</li></ul></body></html>"
    )
    parsed = mail_parse(
        raw_mail(
            "From: Siân <sian@example.com>", "Subject: Pris", body=html, content_type="text/html"
        )
    )
    assert parsed.body == "Bore da,\n\nHoffwn bris & dyddiad.\n\n10 o bobl\n\nCaerdydd"
    assert "track" not in parsed.message and "color" not in parsed.message


def test_html_to_text_keeps_line_structure_and_entities() -> None:
    assert html_to_text("a<br>b&nbsp;c<div>d</div>") == "a\nb c\nd"


def test_the_plain_part_of_a_multipart_message_is_preferred_and_attachments_only_listed() -> None:
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = "Gwen Price <gwen@example.com>"
    message["Subject"] = "Quote"
    message["Message-ID"] = "<q-1@example.com>"
    message.set_content("Plain words")
    message.add_alternative("<p>HTML words</p>", subtype="html")
    message.add_attachment(
        b"%PDF-1.4 " * 1000, maintype="application", subtype="pdf", filename="rfp.pdf"
    )

    parsed = mail_parse(bytes(message))

    assert parsed.body == "Plain words"
    assert parsed.message_id == "<q-1@example.com>"
    attachment = next(part for part in parsed.parts if part["filename"] == "rfp.pdf")
    assert attachment == {
        "content_type": "application/pdf",
        "filename": "rfp.pdf",
        "disposition": "attachment",
        "size": 9000,
    }
    header_names = [name for name, _ in parsed.headers]
    assert header_names[:3] == ["From", "Subject", "Message-ID"]
    assert "PDF" not in repr(parsed.headers) + repr(parsed.parts)


def test_control_characters_are_removed_so_a_real_message_is_not_taken_for_spam() -> None:
    parsed = mail_parse(person_mail(body="Line one\x0cLine\x1b two\x00"))
    assert parsed.body == "Line oneLine two"


def test_reply_threading_ids_are_read() -> None:
    parsed = mail_parse(
        raw_mail(
            "From: a@example.com",
            "Message-ID: <3@example.com>",
            "In-Reply-To: <2@leadflow.example.com>",
            "References: <1@example.com>\r\n <2@leadflow.example.com>",
        )
    )
    assert parsed.in_reply_to == "<2@leadflow.example.com>"
    assert parsed.references == ["<1@example.com>", "<2@leadflow.example.com>"]


def test_a_persons_message_is_a_person() -> None:
    assert mail_parse(person_mail()).verdict == MailVerdict.PERSON
    parsed = mail_parse(person_mail(headers={"Auto-Submitted": "no", "Precedence": "normal"}))
    assert parsed.verdict == MailVerdict.PERSON


@pytest.mark.parametrize(
    "header",
    [
        "Auto-Submitted: auto-replied",
        "Auto-Submitted: auto-generated",
        "Auto-Submitted: Auto-Replied; owner-email=ayse@example.com",
        "X-Autoreply: yes",
        "X-Autorespond: Out of office",
        "Precedence: bulk",
        "Precedence: junk",
        "Precedence: auto_reply",
        "X-Auto-Response-Suppress: All",
    ],
)
def test_auto_reply_headers_mark_an_auto_reply(header: str) -> None:
    parsed = mail_parse(raw_mail("From: Ayşe Yılmaz <ayse@example.com>".encode().decode(), header))
    assert parsed.verdict == MailVerdict.AUTO_REPLY
    assert header.split(":")[0] in parsed.verdict_because


@pytest.mark.parametrize(
    "subject",
    [
        "Out of Office: Your quote",
        "Automatic reply: Your quote",
        "AUTOMATIC REPLY: Your quote",
        "Otomatik yanıt: Teklifiniz",
        "OTOMATİK YANIT: Teklifiniz",
        "Respuesta automática: Su presupuesto",
        "Ateb awtomatig: Eich dyfynbris",
        "Re: Out of office",
        "=?utf-8?q?Otomatik_yan=C4=B1t=3A_Teklif?=",
    ],
)
def test_auto_reply_subjects_in_the_users_languages_mark_an_auto_reply(subject: str) -> None:
    parsed = mail_parse(raw_mail("From: Ayşe Yılmaz <ayse@example.com>", f"Subject: {subject}"))
    assert parsed.verdict == MailVerdict.AUTO_REPLY


def test_a_subject_merely_mentioning_an_office_is_a_person() -> None:
    parsed = mail_parse(person_mail(subject="Office chairs: out of stock?"))
    assert parsed.verdict == MailVerdict.PERSON


def test_a_delivery_status_report_is_a_bounce() -> None:
    parsed = mail_parse(delivery_report(sender="Mail Robot <robot@mx.example.com>", subject="Hi"))
    assert (parsed.verdict, parsed.verdict_because) == (
        MailVerdict.BOUNCE,
        "Content-Type: multipart/report; report-type=delivery-status",
    )


@pytest.mark.parametrize(
    ("headers", "envelope_sender"),
    [
        (["From: Mail Delivery System <MAILER-DAEMON@mx.example.com>"], None),
        (["From: postmaster@example.com"], None),
        (["From: Robot <robot@example.com>", "Return-Path: <>"], None),
        (["From: Robot <robot@example.com>"], ""),
        (["From: Robot <robot@example.com>"], "<>"),
        (["From: Robot <robot@example.com>", "Subject: Undeliverable: Your quote"], None),
        (["From: Robot <robot@example.com>", "Subject: Mail delivery failed"], None),
    ],
)
def test_mail_daemons_null_senders_and_failure_subjects_are_bounces(
    headers: list[str], envelope_sender: str | None
) -> None:
    parsed = mail_parse(raw_mail(*headers), envelope_sender=envelope_sender)
    assert parsed.verdict == MailVerdict.BOUNCE


def test_a_read_receipt_is_an_auto_reply() -> None:
    parsed = mail_parse(
        raw_mail(
            "From: Ayşe <ayse@example.com>",
            content_type='multipart/report; report-type=disposition-notification; boundary="x"',
            body="--x\r\nContent-Type: text/plain\r\n\r\nRead.\r\n--x--",
        )
    )
    assert parsed.verdict == MailVerdict.AUTO_REPLY


def test_name_split_reads_last_comma_first() -> None:
    assert name_split("Yılmaz, Ayşe") == ("Ayşe", "Yılmaz")
    assert name_split("  Gwen   Price ") == ("Gwen", "Price")
    assert name_split("") == ("", "")


@pytest.mark.parametrize(
    "reply",
    [
        "Yes please, call me.\n\nOn Mon, 3 Mar 2025 at 10:00, Rhys Jones <rhys@example.com> wrote:\n> Shall I call?",
        "Yes please, call me.\n\n3 Mar 2025 Pzt, 10:00 tarihinde Rhys <rhys@example.com> şunu yazdı:\n> Arayayım mı?",
        "Yes please, call me.\n\nAr Llun, 3 Maw 2025 am 10:00, Rhys <rhys@example.com> ysgrifennodd:\n> Galwad?",
        "Yes please, call me.\n\nEl lun, 3 mar 2025 a las 10:00, Rhys (<rhys@example.com>)\nescribió:\n> ¿Llamo?",
        "Yes please, call me.\n\n________________________________\nFrom: Rhys Jones <rhys@example.com>\nSent: Monday, 3 March 2025 10:00\nSubject: Call?",
        "Yes please, call me.\n-----Original Message-----\nFrom: Rhys Jones",
    ],
)
def test_the_quoted_earlier_message_of_a_reply_is_left_out(reply: str) -> None:
    assert mail_parse(person_mail(body=reply)).body == "Yes please, call me."


def test_inline_answers_are_kept_without_the_quoted_lines() -> None:
    body = "Answers below.\n> How many seats?\n20 seats.\n> When?\nIn May.\n"
    assert mail_parse(person_mail(body=body)).body == "Answers below.\n20 seats.\nIn May."


def test_a_sentence_that_only_starts_like_a_quote_header_is_kept() -> None:
    body = "On Monday we are closed.\nFrom: our office in Cardiff\nThanks"
    assert mail_parse(person_mail(body=body)).body == body
