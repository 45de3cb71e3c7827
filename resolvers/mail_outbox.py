"""The transactional outbox for mail: queued with the change that causes it, sent after commit.

``queue_mail`` writes the message row inside the caller's transaction, so a mail exists exactly
when its change does. After commit, ``deliver_soon`` tries it once in the background (the request
never waits on a mail server), and the ``send-due-mail`` job (jobs/registry.py, every minute)
sends whatever is due, retrying a failure with exponential backoff.

A sender first claims a row with one conditional UPDATE (unsent, due, and not claimed by anyone
else for now): of two senders — two instances' jobs, or a job and the background try — exactly
one sees its UPDATE count a row, on PostgreSQL (the second UPDATE waits for the first, then
re-checks the condition) and on SQLite (one writer at a time) alike. The claim lasts longer than
an SMTP attempt may; a sender that dies mid-send leaves a claim that expires, and the message is
tried again. A server that accepts a message whose "sent" mark then fails to commit gets it
twice: delivery is at least once, as every mail queue's is.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from tortoise.expressions import F, Q
from tortoise.queryset import QuerySet

from adapters.mailer import Mailer, MailError, OutgoingMail
from models import MailKind, MailMessage
from resolvers.mail_templates import render_mail
from resolvers.services import Services

log = logging.getLogger("creatorgraph.mail")

MAX_ATTEMPTS = 10  # 1 + 2 + 4 + … minutes: about 8.5 hours of retries, then given up
CLAIM_SECONDS = 120  # longer than one SMTP attempt may take (adapters/mailer.py)
BACKOFF_BASE_SECONDS = 60
BACKOFF_MAX_SECONDS = 3600
DUE_BATCH = 100


async def queue_mail(recipient: str, kind: MailKind, **values: str) -> MailMessage:
    """Renders and stores the message, due at once. Call inside the transaction of the change
    that causes it; after commit, hand the row to ``deliver_soon``."""
    mail = render_mail(kind, **values)
    return await MailMessage.create(
        recipient=recipient,
        kind=kind,
        subject=mail.subject,
        text=mail.text,
        html=mail.html,
        next_attempt_at=datetime.now(UTC),
    )


def deliver_soon(services: Services, messages: Sequence[MailMessage]) -> None:
    """Tries each message once in the background, after the response; the job retries."""
    ids = [m.id for m in messages]
    if ids:
        services.background.spawn(deliver(services.mailer, ids), name="send mail")


async def deliver(mailer: Mailer, ids: Sequence[int]) -> int:
    """Sends these messages if they are still due and unclaimed; how many were sent."""
    sent = 0
    for message_id in ids:
        sent += await _claim_and_send(mailer, message_id)
    return sent


async def send_due_mail(mailer: Mailer, now: datetime | None = None) -> int:
    """The ``send-due-mail`` job: every due message, oldest first, each claimed before it is
    sent; how many were sent."""
    now = now or datetime.now(UTC)
    due = await _due(now).order_by("next_attempt_at", "id").limit(DUE_BATCH).values_list("id")
    return await deliver(mailer, [row[0] for row in due])


def backoff_seconds(attempts: int) -> int:
    """The wait after the ``attempts``-th failed try: 1, 2, 4 … minutes, at most an hour."""
    return int(min(BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1), BACKOFF_MAX_SECONDS))


def _due(now: datetime) -> QuerySet[MailMessage]:
    """Unsent, due, not given up, and not claimed by a sender right now."""
    return MailMessage.filter(
        Q(claimed_until=None) | Q(claimed_until__lt=now),
        sent_at=None,
        attempts__lt=MAX_ATTEMPTS,
        next_attempt_at__lte=now,
    )


async def _claim_and_send(mailer: Mailer, message_id: int) -> int:
    now = datetime.now(UTC)
    claimed = (
        await _due(now)
        .filter(id=message_id)
        .update(claimed_until=now + timedelta(seconds=CLAIM_SECONDS), attempts=F("attempts") + 1)
    )
    if not claimed:
        return 0  # sent, claimed by another sender, not due, or given up
    message = await MailMessage.get(id=message_id)
    outgoing = OutgoingMail(message.recipient, message.subject, message.text, message.html)
    try:
        await mailer.send(outgoing)
    except MailError as exc:
        wait = backoff_seconds(message.attempts)
        await MailMessage.filter(id=message_id).update(
            claimed_until=None,
            next_attempt_at=datetime.now(UTC) + timedelta(seconds=wait),
            last_error=str(exc)[:500],
        )
        if message.attempts >= MAX_ATTEMPTS:
            log.error(
                "mail %d (%s) given up after %d attempts", message_id, message.kind, MAX_ATTEMPTS
            )
        else:
            log.warning("mail %d (%s) failed, retried in %d s", message_id, message.kind, wait)
        return 0
    await MailMessage.filter(id=message_id).update(
        sent_at=datetime.now(UTC), claimed_until=None, last_error=None
    )
    return 1
