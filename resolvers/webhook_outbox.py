"""The transactional outbox for webhooks: queued with the event, sent after commit, retried.

``queue_for_notification`` writes one delivery per subscribed endpoint inside the transaction
that creates the notification, so a delivery exists exactly when its event does. After commit,
``deliver_soon`` tries them once in the background, and the ``send-due-webhooks`` job (every
minute) sends whatever is due — the same claim-then-send pattern as resolvers/mail_outbox.py:
one conditional UPDATE claims a row, so of two senders exactly one sends it.

A failed attempt is retried with exponential backoff (1, 2, 4 … minutes, at most an hour) until
the delivery is a day old, then given up. An endpoint whose every attempt has failed for a day
is disabled; ``on_disabled`` (the caller's) tells its owner. Delivery is at least once: a
receiver deduplicates by ``webhook-id``, which stays the same across retries.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from tortoise.expressions import F, Q
from tortoise.queryset import QuerySet

from adapters.webhooks import WebhookSender
from models import Notification, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from resolvers.services import Services

log = logging.getLogger("creatorgraph.webhooks")

RETRY_SECONDS = 24 * 3600  # a delivery is retried this long, then given up
DISABLE_AFTER_SECONDS = 24 * 3600  # an endpoint failing this long without a success is disabled
CLAIM_SECONDS = 60  # longer than one attempt may take (adapters/webhooks.py: 10 s)
BACKOFF_BASE_SECONDS = 60
BACKOFF_MAX_SECONDS = 3600
DUE_BATCH = 100
PING = "PING"

OnDisabled = Callable[[WebhookEndpoint], Awaitable[object]]


def message_id(delivery_id: int) -> str:
    """The ``webhook-id``: the same for every attempt at one delivery."""
    return f"msg_{delivery_id}"


def event_body(event: str, data: dict[str, Any], at: datetime) -> str:
    """The Standard Webhooks payload shape: type, timestamp, data."""
    return orjson.dumps({"type": event, "timestamp": at.isoformat(), "data": data}).decode()


async def queue_for_notification(note: Notification) -> list[WebhookDelivery]:
    """One delivery per enabled endpoint of the recipient's subscribed to this notification's
    type. Call inside the notification's transaction."""
    endpoints = await WebhookEndpoint.filter(owner_id=note.recipient_id, disabled_at=None)
    wanted = [e for e in endpoints if str(note.type) in e.events]
    if not wanted:
        return []
    body = event_body(
        str(note.type),
        {
            "notification": note.id,
            "title": note.title,
            "body": note.body,
            "subjectType": note.subject_type,
            "subjectId": note.subject_id,
            "details": note.payload,
        },
        note.created_at,
    )
    return [await queue(e, str(note.type), body) for e in wanted]


async def queue(endpoint: WebhookEndpoint, event: str, body: str) -> WebhookDelivery:
    return await WebhookDelivery.create(
        endpoint_id=endpoint.id, event=event, body=body, next_attempt_at=datetime.now(UTC)
    )


def deliver_soon(services: Services, delivery_ids: Sequence[int], on_disabled: OnDisabled) -> None:
    """Tries each delivery once in the background, after the response; the job retries."""
    if delivery_ids:
        services.background.spawn(
            deliver(services.webhooks, delivery_ids, on_disabled), name="send webhooks"
        )


def deliver_queued_soon(
    services: Services, notes: Sequence[Notification], on_disabled: OnDisabled
) -> None:
    """After commit, in the background: finds the deliveries these notifications queued and
    tries each once. Nothing here may touch the database on the request's path — the write has
    committed, and a query failing now (a lost connection) would report it as failed."""
    if not notes:
        return

    async def work() -> None:
        await deliver(services.webhooks, await deliveries_of(notes), on_disabled)

    services.background.spawn(work(), name="send webhooks")


async def deliveries_of(notes: Sequence[Notification]) -> list[int]:
    """The deliveries queued for these notifications, still unsent."""
    if not notes:
        return []
    rows = await WebhookDelivery.filter(
        endpoint__owner_id__in={n.recipient_id for n in notes},
        delivered_at=None,
        given_up_at=None,
        attempts=0,
    ).values_list("id", flat=True)
    return [int(r) for r in rows]  # type: ignore[call-overload]  # flat values_list is untyped


async def deliver(sender: WebhookSender, ids: Sequence[int], on_disabled: OnDisabled) -> int:
    """Sends these deliveries if they are still due and unclaimed; how many succeeded."""
    sent = 0
    for delivery_id in ids:
        sent += await _claim_and_send(sender, delivery_id, on_disabled)
    return sent


async def send_due(
    sender: WebhookSender, on_disabled: OnDisabled, now: datetime | None = None
) -> int:
    """The ``send-due-webhooks`` job: every due delivery, oldest first; how many succeeded."""
    now = now or datetime.now(UTC)
    due = await _due(now).order_by("next_attempt_at", "id").limit(DUE_BATCH).values_list("id")
    return await deliver(sender, [row[0] for row in due], on_disabled)


def backoff_seconds(attempts: int) -> int:
    """The wait after the ``attempts``-th failed try: 1, 2, 4 … minutes, at most an hour."""
    return int(min(BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1), BACKOFF_MAX_SECONDS))


def _due(now: datetime) -> QuerySet[WebhookDelivery]:
    """Unsent, not given up, due, and not claimed by a sender right now."""
    return WebhookDelivery.filter(
        Q(claimed_until=None) | Q(claimed_until__lt=now),
        delivered_at=None,
        given_up_at=None,
        next_attempt_at__lte=now,
    )


async def _claim_and_send(sender: WebhookSender, delivery_id: int, on_disabled: OnDisabled) -> int:
    now = datetime.now(UTC)
    claimed = (
        await _due(now)
        .filter(id=delivery_id)
        .update(claimed_until=now + timedelta(seconds=CLAIM_SECONDS), attempts=F("attempts") + 1)
    )
    if not claimed:
        return 0  # sent, claimed by another sender, not due, or given up
    delivery = await WebhookDelivery.get(id=delivery_id)
    endpoint = await WebhookEndpoint.get(id=delivery.endpoint_id)
    if endpoint.disabled_at is not None:
        await WebhookDelivery.filter(id=delivery_id).update(given_up_at=now, claimed_until=None)
        return 0
    result = await sender.send(
        endpoint.url, endpoint.secret, message_id(delivery_id), delivery.body.encode()
    )
    done = datetime.now(UTC)
    await WebhookAttempt.create(
        delivery_id=delivery_id,
        status_code=result.status_code,
        latency_ms=result.latency_ms,
        error=result.error,
    )
    if result.ok:
        await WebhookDelivery.filter(id=delivery_id).update(delivered_at=done, claimed_until=None)
        await WebhookEndpoint.filter(id=endpoint.id).update(failing_since=None)
        return 1
    if done - delivery.created_at >= timedelta(seconds=RETRY_SECONDS):
        await WebhookDelivery.filter(id=delivery_id).update(given_up_at=done, claimed_until=None)
        log.warning(
            "webhook delivery %d given up after %d attempts", delivery_id, delivery.attempts
        )
    else:
        wait = backoff_seconds(delivery.attempts)
        await WebhookDelivery.filter(id=delivery_id).update(
            claimed_until=None, next_attempt_at=done + timedelta(seconds=wait)
        )
    await _record_failure(endpoint, done, on_disabled)
    return 0


async def _record_failure(
    endpoint: WebhookEndpoint, now: datetime, on_disabled: OnDisabled
) -> None:
    """Starts the endpoint's run of failures, or disables it when the run has lasted a day
    (one conditional UPDATE: of two senders, one disables it and its owner is told once)."""
    if endpoint.failing_since is None:
        await WebhookEndpoint.filter(id=endpoint.id, failing_since=None).update(failing_since=now)
        return
    if now - endpoint.failing_since < timedelta(seconds=DISABLE_AFTER_SECONDS):
        return
    disabled = await WebhookEndpoint.filter(id=endpoint.id, disabled_at=None).update(
        disabled_at=now
    )
    if disabled:
        endpoint.disabled_at = now
        log.warning("webhook endpoint %d disabled after a day of failures", endpoint.id)
        await on_disabled(endpoint)
