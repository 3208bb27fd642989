"""A small IMAP4rev1 server on loopback, for testing the mailbox poller over a real socket.

It knows one user and one mailbox and answers just what the poller (and
imaplib) say: CAPABILITY, LOGIN, SELECT, SEARCH UNSEEN, FETCH (RFC822,
RFC822.SIZE, BODY[], BODY.PEEK[], BODY.PEEK[HEADER]), STORE +FLAGS, NOOP and
LOGOUT, each also in its UID form. Like a real server, fetching RFC822 or
BODY[] marks a message \\Seen and the PEEK forms do not.
"""

from __future__ import annotations

import re
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|\([^)]*\)|\S+')


@dataclass
class StoredMessage:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)


class LoopbackMailbox:
    """The messages, and switches that make the server misbehave once."""

    def __init__(self, *, username: str, password: str, name: str = "INBOX") -> None:
        self.username = username
        self.password = password
        self.name = name
        self.messages: list[StoredMessage] = []
        self.lock = threading.Lock()
        self.hang_up_on_store = False
        self.commands: list[str] = []

    def add(self, raw: bytes, *, seen: bool = False) -> int:
        """Store a message as a server does, with CRLF line ends; returns its UID."""
        raw = re.sub(rb"\r?\n", b"\r\n", raw)
        with self.lock:
            uid = (self.messages[-1].uid + 1) if self.messages else 1
            self.messages.append(StoredMessage(uid, raw, {"\\Seen"} if seen else set()))
            return uid

    def seen(self, uid: int) -> bool:
        return any(m.uid == uid and "\\Seen" in m.flags for m in self.messages)


def _unquote(token: bytes) -> str:
    text = token.decode()
    if text.startswith('"') and text.endswith('"'):
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


class _Session(socketserver.StreamRequestHandler):
    server: MailboxServer

    def send(self, line: str | bytes) -> None:
        data = line.encode() if isinstance(line, str) else line
        self.wfile.write(data + b"\r\n")

    def handle(self) -> None:
        self.authenticated = False
        self.selected = False
        self.send("* OK [CAPABILITY IMAP4rev1] Leadflow test mailbox ready")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            tokens = _TOKEN.findall(line.rstrip(b"\r\n"))
            if len(tokens) < 2:
                self.send("* BAD empty command")
                continue
            tag, command, args = tokens[0].decode(), tokens[1].decode().upper(), tokens[2:]
            by_uid = command == "UID"
            if by_uid and args:
                command, args = args[0].decode().upper(), args[1:]
            self.server.mailbox.commands.append(("UID " if by_uid else "") + command)
            method = getattr(self, f"do_{command.lower()}", None)
            if method is None:
                self.send(f"{tag} BAD unknown command {command}")
                continue
            if command not in ("CAPABILITY", "LOGIN", "LOGOUT", "NOOP") and not self.authenticated:
                self.send(f"{tag} NO log in first")
                continue
            if method(tag, args, by_uid) is False:
                return

    # Commands. Each answers with its tagged completion; False closes the connection.

    def do_capability(self, tag: str, args: list[bytes], by_uid: bool) -> None:
        self.send("* CAPABILITY IMAP4rev1")
        self.send(f"{tag} OK CAPABILITY completed")

    def do_noop(self, tag: str, args: list[bytes], by_uid: bool) -> None:
        self.send(f"{tag} OK NOOP completed")

    def do_login(self, tag: str, args: list[bytes], by_uid: bool) -> None:
        mailbox = self.server.mailbox
        if len(args) == 2 and [_unquote(a) for a in args] == [mailbox.username, mailbox.password]:
            self.authenticated = True
            self.send(f"{tag} OK LOGIN completed")
        else:
            self.send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials")

    def do_select(self, tag: str, args: list[bytes], by_uid: bool) -> None:
        mailbox = self.server.mailbox
        if not args or _unquote(args[0]) != mailbox.name:
            self.send(f"{tag} NO no such mailbox")
            return
        self.selected = True
        with mailbox.lock:
            count = len(mailbox.messages)
            next_uid = (mailbox.messages[-1].uid + 1) if mailbox.messages else 1
        self.send("* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)")
        self.send(f"* {count} EXISTS")
        self.send("* 0 RECENT")
        self.send("* OK [UIDVALIDITY 1] UIDs valid")
        self.send(f"* OK [UIDNEXT {next_uid}] Predicted next UID")
        self.send(f"{tag} OK [READ-WRITE] SELECT completed")

    def _numbered(self) -> list[tuple[int, StoredMessage]]:
        return list(enumerate(self.server.mailbox.messages, start=1))

    def _chosen(self, spec: bytes, by_uid: bool) -> Iterator[tuple[int, StoredMessage]]:
        wanted: set[int] = set()
        for item in spec.decode().split(","):
            low, _, high = item.partition(":")
            wanted.update(range(int(low), int(high or low) + 1))
        for number, message in self._numbered():
            if (message.uid if by_uid else number) in wanted:
                yield number, message

    def do_search(self, tag: str, args: list[bytes], by_uid: bool) -> None:
        criteria = [a.decode().upper() for a in args]
        if criteria not in (["UNSEEN"], ["ALL"]):
            self.send(f"{tag} NO only SEARCH UNSEEN or ALL")
            return
        with self.server.mailbox.lock:
            found = [
                str(message.uid if by_uid else number)
                for number, message in self._numbered()
                if criteria == ["ALL"] or "\\Seen" not in message.flags
            ]
        self.send("* SEARCH" + "".join(f" {item}" for item in found))
        self.send(f"{tag} OK SEARCH completed")

    def do_fetch(self, tag: str, args: list[bytes], by_uid: bool) -> None:
        if len(args) != 2:
            self.send(f"{tag} BAD FETCH takes a set and items")
            return
        items = args[1].decode().strip("()").upper().split()
        with self.server.mailbox.lock:
            for number, message in self._chosen(args[0], by_uid):
                head = [f"UID {message.uid}"] if by_uid or "UID" in items else []
                literal = b""
                for item in items:
                    if item == "UID":
                        continue
                    if item == "RFC822.SIZE":
                        head.append(f"RFC822.SIZE {len(message.raw)}")
                    elif item == "FLAGS":
                        head.append(f"FLAGS ({' '.join(sorted(message.flags))})")
                    elif item in ("RFC822", "BODY[]", "BODY.PEEK[]"):
                        literal = message.raw
                        head.append(
                            f"{'RFC822' if item == 'RFC822' else 'BODY[]'} {{{len(literal)}}}"
                        )
                        if "PEEK" not in item:
                            message.flags.add("\\Seen")
                    elif item == "BODY.PEEK[HEADER]":
                        end = message.raw.find(b"\r\n\r\n")
                        literal = message.raw if end < 0 else message.raw[: end + 4]
                        head.append(f"BODY[HEADER] {{{len(literal)}}}")
                    else:
                        self.send(f"{tag} BAD unsupported FETCH item {item}")
                        return
                if literal:
                    self.wfile.write(f"* {number} FETCH ({' '.join(head)}\r\n".encode())
                    self.wfile.write(literal)
                    self.send(")")
                else:
                    self.send(f"* {number} FETCH ({' '.join(head)})")
        self.send(f"{tag} OK FETCH completed")

    def do_store(self, tag: str, args: list[bytes], by_uid: bool) -> bool | None:
        mailbox = self.server.mailbox
        if mailbox.hang_up_on_store:
            mailbox.hang_up_on_store = False
            return False
        if len(args) != 3 or args[1].decode().upper() != "+FLAGS":
            self.send(f"{tag} BAD only STORE +FLAGS")
            return None
        flags = args[2].decode().strip("()").split()
        with mailbox.lock:
            for number, message in self._chosen(args[0], by_uid):
                message.flags.update(flags)
                uid = f"UID {message.uid} " if by_uid else ""
                self.send(f"* {number} FETCH ({uid}FLAGS ({' '.join(sorted(message.flags))}))")
        self.send(f"{tag} OK STORE completed")
        return None

    def do_logout(self, tag: str, args: list[bytes], by_uid: bool) -> bool:
        self.send("* BYE Leadflow test mailbox closing")
        self.send(f"{tag} OK LOGOUT completed")
        return False


class MailboxServer(socketserver.ThreadingTCPServer):
    """Serves one LoopbackMailbox on 127.0.0.1 (a free port) from a background thread."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, mailbox: LoopbackMailbox) -> None:
        super().__init__(("127.0.0.1", 0), _Session)
        self.mailbox = mailbox
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def __enter__(self) -> MailboxServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.shutdown()
        self.server_close()
        self.thread.join(timeout=5)
