"""A real SMTP server on loopback (aiosmtpd) that the tests' mail goes through, and helpers that
read the codes out of the messages it received."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from adapters.mailer import SmtpMailer, SmtpServer
from tests.conftest import RunningServer, free_port

_CODE = re.compile(r"\b(\d{6})\b")


class MailCatcher:
    """An aiosmtpd handler: keeps every message, or refuses the next ``refuse`` ones with a
    temporary failure (451), as a busy mail server does."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            if self.refuse > 0:
                self.refuse -= 1
                return "451 Try again later"
            message = message_from_bytes(envelope.content, policy=policy.default)
            assert isinstance(message, EmailMessage)
            self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if m["To"] == address]

    async def wait_for(self, address: str, count: int = 1, seconds: float = 10) -> EmailMessage:
        """The ``count``-th message to ``address``, waiting for it to arrive."""
        for _ in range(int(seconds / 0.02)):
            received = self.to(address)
            if len(received) >= count:
                return received[count - 1]
            await asyncio.sleep(0.02)
        raise AssertionError(f"no message #{count} to {address}; got {len(self.to(address))}")


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()  # type: ignore[no-any-return,attr-defined]  # EmailMessage part


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return part.get_content()  # type: ignore[no-any-return,attr-defined]  # EmailMessage part


def code_in(message: EmailMessage) -> str:
    found = _CODE.search(text_of(message))
    assert found, text_of(message)
    return found.group(1)


@contextmanager
def smtp_for(server: RunningServer) -> Iterator[MailCatcher]:
    """Runs an SMTP server on loopback and points the running app's mailer at it (the real
    SmtpMailer, as ``SMTP_URL=smtp://127.0.0.1:<port>`` builds it) for the duration."""
    catcher = MailCatcher()
    port = free_port()
    controller = Controller(catcher, hostname="127.0.0.1", port=port)
    controller.start()
    services = server.services
    previous = services.mailer
    services.mailer = SmtpMailer(
        SmtpServer.from_url(f"smtp://127.0.0.1:{port}"), "creatorgraph <no-reply@example.com>"
    )
    try:
        yield catcher
    finally:
        services.mailer = previous
        controller.stop()
