"""Webhook endpoints: creating (the secret shown once), listing, deleting, a test ping, and each
endpoint's deliveries with their attempts. Sending is resolvers/webhook_outbox.py's.

Another user's endpoint IDs answer exactly like IDs that do not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from adapters.ssrf import BlockedUrlError
from adapters.webhooks import new_secret
from models import NotificationType, User, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from resolvers.cursors import Page, newest_first
from resolvers.errors import ErrorCode, FieldError, OperationError
from resolvers.notifications import notify_webhook_disabled
from resolvers.services import Services
from resolvers.transactions import write_transaction
from resolvers.webhook_outbox import PING, deliver_soon, event_body, queue, send_due

MAX_ENDPOINTS = 10
URL_MAX = 2048
# The notification types an endpoint may subscribe to: the owner's own data.
EVENTS = (
    NotificationType.SYNC_COMPLETED,
    NotificationType.SYNC_FAILED,
    NotificationType.SOCIAL_ACCOUNT_DISCONNECTED,
    NotificationType.COLLAB_REQUEST_RECEIVED,
    NotificationType.MESSAGE_RECEIVED,
)
_ENDPOINT_CURSOR = "WebhookEndpoint"
_DELIVERY_CURSOR = "WebhookDelivery"


@dataclass(frozen=True, slots=True)
class CreatedEndpoint:
    endpoint: WebhookEndpoint
    secret: str  # shown in this answer only


async def create_endpoint(
    services: Services, user: User, url: str, events: Sequence[NotificationType]
) -> CreatedEndpoint:
    url = url.strip()
    if not url:
        raise OperationError.single(("url",), "Enter the URL.", ErrorCode.REQUIRED)
    if len(url) > URL_MAX:
        raise OperationError.single(
            ("url",), f"Use at most {URL_MAX} characters.", ErrorCode.TOO_LONG
        )
    wanted = list(dict.fromkeys(events))
    if not wanted:
        raise OperationError.single(("events",), "Choose at least one event.", ErrorCode.REQUIRED)
    if any(e not in EVENTS for e in wanted):
        raise OperationError.single(
            ("events",), "Webhooks carry only your own events.", ErrorCode.INVALID
        )
    try:
        await services.webhooks.check(url)
    except BlockedUrlError as exc:
        raise OperationError.single(
            ("url",), f"This URL cannot receive webhooks: {exc}.", ErrorCode.INVALID
        ) from exc
    secret = new_secret()
    async with write_transaction():
        # The owner's row, locked: two creations at once cannot both pass the limit.
        await User.select_for_update().filter(id=user.id).first()
        if await WebhookEndpoint.filter(owner_id=user.id).count() >= MAX_ENDPOINTS:
            raise OperationError.single(
                ("url",),
                f"You can have at most {MAX_ENDPOINTS} webhook endpoints.",
                ErrorCode.TOO_MANY,
            )
        endpoint = await WebhookEndpoint.create(
            owner_id=user.id, url=url, events=[str(e) for e in wanted], secret=secret
        )
    return CreatedEndpoint(endpoint, secret)


async def list_endpoints(user: User, first: int | None, after: str | None) -> Page[WebhookEndpoint]:
    return await newest_first(
        WebhookEndpoint.filter(owner_id=user.id), _ENDPOINT_CURSOR, first, after
    )


async def visible_endpoint(user: User, endpoint_id: int) -> WebhookEndpoint | None:
    return await WebhookEndpoint.get_or_none(id=endpoint_id, owner_id=user.id)


async def visible_delivery(user: User, delivery_id: int) -> WebhookDelivery | None:
    return await WebhookDelivery.get_or_none(id=delivery_id, endpoint__owner_id=user.id)


async def _own_endpoint(user: User, endpoint_id: int) -> WebhookEndpoint:
    endpoint = await visible_endpoint(user, endpoint_id)
    if endpoint is None:
        raise OperationError.single(
            ("endpoint",), "No webhook endpoint with this ID.", ErrorCode.NOT_FOUND
        )
    return endpoint


async def delete_endpoint(user: User, endpoint_id: int) -> int:
    if not await WebhookEndpoint.filter(id=endpoint_id, owner_id=user.id).delete():
        raise OperationError.single(
            ("endpoint",), "No webhook endpoint with this ID.", ErrorCode.NOT_FOUND
        )
    return endpoint_id


async def queue_ping(services: Services, user: User, endpoint_id: int) -> WebhookDelivery:
    """Queues a PING delivery to an enabled endpoint and tries it at once."""
    endpoint = await _own_endpoint(user, endpoint_id)
    if endpoint.disabled_at is not None:
        raise OperationError(
            [FieldError(("endpoint",), "This endpoint is disabled.", ErrorCode.INVALID)]
        )
    now = datetime.now(UTC)
    delivery = await queue(endpoint, PING, event_body(PING, {"endpoint": endpoint.id}, now))
    deliver_soon(services, [delivery.id], notify_webhook_disabled(services))
    return delivery


async def list_deliveries(
    endpoint: WebhookEndpoint, first: int | None, after: str | None
) -> Page[WebhookDelivery]:
    return await newest_first(
        WebhookDelivery.filter(endpoint_id=endpoint.id), _DELIVERY_CURSOR, first, after
    )


async def attempts_of(delivery_ids: Sequence[int]) -> dict[int, list[WebhookAttempt]]:
    """Each delivery's attempts, oldest first, in one query."""
    found: dict[int, list[WebhookAttempt]] = {i: [] for i in delivery_ids}
    for attempt in await WebhookAttempt.filter(delivery_id__in=list(delivery_ids)).order_by("id"):
        found[attempt.delivery_id].append(attempt)
    return found


async def send_due_webhooks(services: Services) -> int:
    """The ``send-due-webhooks`` job (jobs/registry.py)."""
    return await send_due(services.webhooks, notify_webhook_disabled(services))
