"""The mailer and the mail outbox: .eml files in development, retries by the send-due-mail job,
one send per message however many senders run, and templates that escape what they insert."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

import models
from adapters.mailer import MailError, OutgoingMail, SmtpServer
from jobs.registry import scheduled_jobs
from models import MailKind
from resolvers.mail_outbox import backoff_seconds, deliver, queue_mail, send_due_mail
from resolvers.mail_templates import render_mail
from settings import JobSettings
from tests.conftest import GraphQLClient, RunningServer, register, unique_email
from tests.mail_support import code_in, smtp_for


def outbox_files(server: RunningServer, recipient: str) -> list[EmailMessage]:
    found = []
    for path in sorted(Path(server.settings.mail_outbox_dir).glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        if message["To"] == recipient:
            found.append(message)
    return found


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


async def test_without_smtp_each_mail_is_an_eml_file_and_its_path_is_logged_not_its_code(
    gql: GraphQLClient, server: RunningServer
):
    records, logger = Records(), logging.getLogger("creatorgraph.mail")
    logger.addHandler(records)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        account = await register(gql)
        # The file appears a moment before the line that names it is logged: wait for both.
        for _ in range(250):
            if outbox_files(server, account.email) and any(
                account.email in line for line in records.lines
            ):
                break
            await asyncio.sleep(0.02)
    finally:
        logger.removeHandler(records)
        logger.setLevel(level)

    [message] = outbox_files(server, account.email)
    assert message["From"] and message["Date"] and message["Message-ID"]
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    code = code_in(message)
    logged = "\n".join(records.lines)
    assert account.email in logged and ".eml" in logged
    assert code not in logged


class FlakyMailer:
    """Fails the first ``failures[recipient]`` sends to a recipient, then keeps each message it
    is handed (other tests' mail included, if any is due: the tests look at their own)."""

    def __init__(self, failures: dict[str, int] | None = None, delay: float = 0.0) -> None:
        self.failures = dict(failures or {})
        self.delay = delay
        self.sent: list[OutgoingMail] = []

    async def send(self, mail: OutgoingMail) -> None:
        await asyncio.sleep(self.delay)
        if self.failures.get(mail.recipient, 0) > 0:
            self.failures[mail.recipient] -= 1
            raise MailError("451 try again later")
        self.sent.append(mail)

    def sent_to(self, recipients: list[str]) -> list[str]:
        return sorted(m.recipient for m in self.sent if m.recipient in recipients)


async def queued(recipient: str) -> models.MailMessage:
    return await queue_mail(recipient, MailKind.PASSWORD_CHANGED, email=recipient)


async def test_a_failed_send_is_retried_by_the_job_after_a_backoff_and_sent_once(
    server: RunningServer,
):
    recipient = unique_email("retry")
    message = await queued(recipient)
    mailer = FlakyMailer({recipient: 1})

    await send_due_mail(mailer)
    failed = await models.MailMessage.get(id=message.id)
    assert failed.sent_at is None and failed.attempts == 1 and "451" in (failed.last_error or "")
    assert failed.next_attempt_at > datetime.now(UTC) + timedelta(seconds=50)
    await send_due_mail(mailer)  # not due yet
    assert mailer.sent_to([recipient]) == []

    await models.MailMessage.filter(id=message.id).update(next_attempt_at=datetime.now(UTC))
    await send_due_mail(mailer)
    await send_due_mail(mailer)

    assert mailer.sent_to([recipient]) == [recipient]
    sent = await models.MailMessage.get(id=message.id)
    assert sent.sent_at is not None and sent.attempts == 2 and sent.last_error is None


async def test_a_message_refused_by_the_smtp_server_is_sent_by_the_next_job_run(
    server: RunningServer,
):
    with smtp_for(server) as smtp:
        smtp.refuse = 1
        recipient = unique_email("smtp-retry")
        message = await queued(recipient)

        await deliver(server.services.mailer, [message.id])  # the try right after commit
        assert smtp.to(recipient) == []
        await models.MailMessage.filter(id=message.id).update(next_attempt_at=datetime.now(UTC))
        await send_due_mail(server.services.mailer)

        assert len(smtp.to(recipient)) == 1


async def test_two_job_runs_at_once_send_each_message_once(server: RunningServer):
    """Two instances' jobs (on PostgreSQL, two connections racing for the same rows)."""
    recipients = [unique_email("race") for _ in range(5)]
    for recipient in recipients:
        await queued(recipient)
    mailer = FlakyMailer(delay=0.01)

    await asyncio.gather(send_due_mail(mailer), send_due_mail(mailer), send_due_mail(mailer))

    assert mailer.sent_to(recipients) == sorted(recipients)


def test_retries_back_off_exponentially_up_to_an_hour():
    assert [backoff_seconds(n) for n in (1, 2, 3, 4, 10)] == [60, 120, 240, 480, 3600]


def test_the_send_due_mail_job_runs_every_minute():
    assert ("send-due-mail", "* * * * *") in [
        (name, cron) for name, cron, _ in scheduled_jobs(JobSettings())
    ]


def test_templates_escape_what_they_insert_into_html():
    mail = render_mail(MailKind.EMAIL_CHANGE, code="123456", minutes="10", email="<b>x</b>@ex.com")

    assert "&lt;b&gt;x&lt;/b&gt;@ex.com" in mail.html and "<b>x</b>@ex.com" not in mail.html
    assert "<b>x</b>@ex.com" in mail.text
    assert "123456" in mail.html and "123456" in mail.text


def test_smtp_urls_choose_tls_and_keep_starttls_required_beyond_loopback():
    relay = SmtpServer.from_url("smtp://user%40corp:p%3Ass@mail.example.com")
    assert (relay.host, relay.port, relay.username, relay.password) == (
        "mail.example.com",
        587,
        "user@corp",
        "p:ss",
    )
    assert relay.require_starttls and not relay.implicit_tls
    implicit = SmtpServer.from_url("smtps://mail.example.com")
    assert implicit.implicit_tls and implicit.port == 465
    assert not SmtpServer.from_url("smtp://127.0.0.1:2525").require_starttls
    with pytest.raises(ValueError, match="SMTP_URL"):
        SmtpServer.from_url("http://mail.example.com")
