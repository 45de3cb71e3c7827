"""Sending mail: one interface, SMTP for real use and an outbox directory for development.

``SMTP_URL`` picks SMTP (``aiosmtplib``): ``smtp://user:pass@host:587`` upgrades with STARTTLS
and refuses a server that does not offer it (a downgrade would send codes in the clear);
only a relay on loopback (a local sidecar, the tests' server) may answer without it.
``smtps://user:pass@host:465`` speaks TLS from the first byte. Without ``SMTP_URL`` each message
is written as an RFC 5322 ``.eml`` file under the outbox directory, and its path is logged —
never its body, which holds one-time codes.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

log = logging.getLogger("creatorgraph.mail")

SMTP_TIMEOUT_SECONDS = 20.0


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    recipient: str
    subject: str
    text: str
    html: str


class MailError(Exception):
    """The message was not handed over; sending it again later may work."""


class Mailer(Protocol):
    async def send(self, mail: OutgoingMail) -> None:
        """Hands the message over for delivery, or raises ``MailError``."""
        ...


def build_message(mail: OutgoingMail, sender: str) -> EmailMessage:
    """The message as RFC 5322: a plain-text part and its HTML alternative."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


class OutboxMailer:
    """Writes each message to ``directory`` as ``<time>-<id>.eml``, readable in any mail client
    or text editor (development and tests)."""

    def __init__(self, directory: Path, sender: str) -> None:
        self.directory = directory
        self.sender = sender

    async def send(self, mail: OutgoingMail) -> None:
        message = build_message(mail, self.sender)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        path = self.directory / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        try:
            await asyncio.to_thread(self._write, path, bytes(message))
        except OSError as exc:
            raise MailError(f"cannot write {path}: {exc.strerror}") from exc
        log.info("mail to %s written to %s", mail.recipient, path)

    def _write(self, path: Path, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


@dataclass(frozen=True, slots=True)
class SmtpServer:
    host: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool  # smtps://
    require_starttls: bool

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise ValueError("SMTP_URL must look like smtp://user:pass@host:587 or smtps://…")
        implicit = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if implicit else 587),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            implicit_tls=implicit,
            require_starttls=not implicit and not _is_loopback(parts.hostname),
        )


class SmtpMailer:
    def __init__(self, server: SmtpServer, sender: str) -> None:
        self.server = server
        self.sender = sender

    async def send(self, mail: OutgoingMail) -> None:
        server = self.server
        try:
            await aiosmtplib.send(
                build_message(mail, self.sender),
                hostname=server.host,
                port=server.port,
                username=server.username,
                password=server.password,
                use_tls=server.implicit_tls,
                # True: STARTTLS or fail; None: STARTTLS when offered (loopback relays only).
                start_tls=None if server.implicit_tls else (server.require_starttls or None),
                timeout=SMTP_TIMEOUT_SECONDS,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise MailError(f"SMTP {server.host}:{server.port}: {exc}") from exc
        log.info("mail to %s handed to %s:%d", mail.recipient, server.host, server.port)


def build_mailer(smtp_url: str | None, sender: str, outbox_dir: Path) -> Mailer:
    if smtp_url:
        return SmtpMailer(SmtpServer.from_url(smtp_url), sender)
    return OutboxMailer(outbox_dir, sender)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
