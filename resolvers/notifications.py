"""Notifications: created inside the transaction of what they report, published after it commits.

Each user's notifications go out live on their own topic (``Notifications:<user id>``); only
that user can subscribe to it. IDs of someone else's notifications answer exactly like IDs that
do not exist.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from models import Notification, NotificationType, User, WebhookEndpoint
from resolvers.cache_tags import announce_changed, viewer_tags
from resolvers.cursors import (
    Page,
    newest_first,
)
from resolvers.errors import ErrorCode, FieldError, OperationError
from resolvers.services import Services
from resolvers.transactions import write_transaction
from resolvers.webhook_outbox import deliver_queued_soon, queue_for_notification

MARK_MAX = 100
PLATFORM_NAMES = {
    "TIKTOK": "TikTok",
    "INSTAGRAM": "Instagram",
    "YOUTUBE": "YouTube",
    "TWITCH": "Twitch",
    "TWITTER": "X",
}
_CURSOR = "Notification"


def notification_topic(user_id: int) -> str:
    return f"Notifications:{user_id}"


@dataclass(frozen=True, slots=True)
class NotificationSnapshot:
    """A notification as it travels through the broker: everything a subscriber shows."""

    id: int
    recipient_id: int
    type: NotificationType
    title: str
    body: str
    subject_type: str | None
    subject_id: int | None
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def from_model(cls, n: Notification) -> NotificationSnapshot:
        return cls(
            id=n.id,
            recipient_id=n.recipient_id,
            type=NotificationType(n.type),
            title=n.title,
            body=n.body,
            subject_type=n.subject_type,
            subject_id=n.subject_id,
            created_at=n.created_at,
            read_at=n.read_at,
        )

    def encode(self) -> bytes:
        return orjson.dumps(
            {
                "id": self.id,
                "recipient": self.recipient_id,
                "type": self.type.value,
                "title": self.title,
                "body": self.body,
                "subjectType": self.subject_type,
                "subjectId": self.subject_id,
                "createdAt": self.created_at.isoformat(),
                "readAt": self.read_at.isoformat() if self.read_at else None,
            }
        )

    @classmethod
    def decode(cls, raw: bytes) -> NotificationSnapshot:
        data = orjson.loads(raw)
        return cls(
            id=data["id"],
            recipient_id=data["recipient"],
            type=NotificationType(data["type"]),
            title=data["title"],
            body=data["body"],
            subject_type=data["subjectType"],
            subject_id=data["subjectId"],
            created_at=datetime.fromisoformat(data["createdAt"]),
            read_at=datetime.fromisoformat(data["readAt"]) if data["readAt"] else None,
        )


async def create_notification(
    recipient_id: int,
    type: NotificationType,
    title: str,
    body: str,
    *,
    subject: tuple[str, int] | None = None,
    payload: dict[str, Any] | None = None,
) -> Notification:
    """Call inside the transaction of what it reports; publish the result after the commit.
    The recipient's webhook endpoints subscribed to its type get a delivery queued in the same
    transaction (resolvers/webhook_outbox.py)."""
    note = await Notification.create(
        recipient_id=recipient_id,
        type=type,
        title=title,
        body=body,
        subject_type=subject[0] if subject else None,
        subject_id=subject[1] if subject else None,
        payload=payload or {},
    )
    await queue_for_notification(note)
    return note


async def publish_notifications(services: Services, notes: Sequence[Notification]) -> None:
    """After commit: each notification to its recipient's topic, and their webhook deliveries
    tried once in the background. Their recipients' unread counts changed first."""
    recipients = {note.recipient_id for note in notes}
    await announce_changed(services, [tag for r in recipients for tag in viewer_tags(r)])
    for note in notes:
        await services.broker.publish(
            notification_topic(note.recipient_id),
            NotificationSnapshot.from_model(note).encode(),
        )
    deliver_queued_soon(services, notes, notify_webhook_disabled(services))


def notify_webhook_disabled(services: Services) -> Callable[[WebhookEndpoint], Awaitable[None]]:
    """What the webhook outbox calls when it disables an endpoint: its owner is told why."""

    async def notify(endpoint: WebhookEndpoint) -> None:
        note = await create_notification(
            endpoint.owner_id,
            NotificationType.WEBHOOK_DISABLED,
            "Webhook disabled",
            f"Every delivery to {endpoint.url} failed for a day, so we stopped sending to it. "
            "Fix the receiver, then create the endpoint again.",
            subject=("WebhookEndpoint", endpoint.id),
            payload={"url": endpoint.url},
        )
        await publish_notifications(services, [note])

    return notify


async def notify_sync_finished(
    services: Services,
    user_id: int,
    platforms: Sequence[str],
    errors: Sequence[FieldError],
    profile_id: int | None = None,
) -> Notification:
    """Tells a user about a sync they did not start themself (a scheduled refresh, an admin):
    SYNC_COMPLETED when any platform was saved, else SYNC_FAILED with the first reason."""
    names = [PLATFORM_NAMES.get(p, p.title()) for p in platforms]
    details = [
        {"field": list(e.field or ()), "message": e.message, "code": e.code.value} for e in errors
    ]
    subject = ("Profile", profile_id) if profile_id else None
    if names:
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        note = await create_notification(
            user_id,
            NotificationType.SYNC_COMPLETED,
            "Stats synced",
            f"Your {listed} stats were updated."
            + (f" {len(errors)} item(s) could not be saved." if errors else ""),
            subject=subject,
            payload={"platforms": list(platforms), "errors": details},
        )
    else:
        reason = errors[0].message if errors else "Nothing was saved."
        note = await create_notification(
            user_id,
            NotificationType.SYNC_FAILED,
            "Stats sync failed",
            f"We could not update your stats: {reason}",
            subject=subject,
            payload={"platforms": [], "errors": details},
        )
    await publish_notifications(services, [note])
    return note


async def notify_account_disconnected(
    services: Services, user_id: int, platform: str, profile_id: int
) -> Notification:
    """Tells a user the platform revoked our access to their account (the grant expired or was
    removed), so its numbers stop updating until they connect it again."""
    name = PLATFORM_NAMES.get(platform, platform.title())
    note = await create_notification(
        user_id,
        NotificationType.SOCIAL_ACCOUNT_DISCONNECTED,
        f"{name} disconnected",
        f"{name} no longer lets us read your account. Connect it again to keep your stats "
        "up to date.",
        subject=("Profile", profile_id),
        payload={"platform": platform},
    )
    await publish_notifications(services, [note])
    return note


async def list_notifications(
    user: User, unread_only: bool, first: int | None, after: str | None
) -> Page[Notification]:
    query = Notification.filter(recipient_id=user.id)
    if unread_only:
        query = query.filter(read_at=None)
    return await newest_first(query, _CURSOR, first, after)


async def unread_count(user_id: int) -> int:
    return await Notification.filter(recipient_id=user_id, read_at=None).count()


async def visible_notification(user: User, notification_id: int) -> Notification | None:
    return await Notification.get_or_none(id=notification_id, recipient_id=user.id)


async def mark_read(services: Services, user: User, ids: Sequence[int]) -> list[Notification]:
    """Marks the user's notifications read. An ID that is not one of theirs is refused like an
    unknown one, and then none are marked."""
    if not ids:
        raise OperationError.single(
            ("notifications",), "Choose at least one notification.", ErrorCode.REQUIRED
        )
    if len(ids) > MARK_MAX:
        raise OperationError.single(
            ("notifications",), f"Choose at most {MARK_MAX} notifications.", ErrorCode.TOO_MANY
        )
    wanted = list(dict.fromkeys(ids))
    async with write_transaction():
        found = {
            n.id: n
            for n in await Notification.filter(id__in=wanted, recipient_id=user.id).order_by("id")
        }
        missing = [
            FieldError(
                ("notifications", str(i)), "No notification with this ID.", ErrorCode.NOT_FOUND
            )
            for i, nid in enumerate(ids)
            if nid not in found
        ]
        if missing:
            raise OperationError(missing)
        now = datetime.now(UTC)
        await Notification.filter(id__in=wanted, recipient_id=user.id, read_at=None).update(
            read_at=now
        )
    await announce_changed(services, viewer_tags(user.id))
    for note in found.values():
        note.read_at = note.read_at or now
    return [found[i] for i in wanted]


async def mark_all_read(services: Services, user: User, before: datetime | None = None) -> int:
    """Marks every unread notification read, or only those created up to ``before`` (so a
    client marks what it has shown, not what arrived since). Returns how many changed."""
    query = Notification.filter(recipient_id=user.id, read_at=None)
    if before is not None:
        query = query.filter(created_at__lte=before)
    count = await query.update(read_at=datetime.now(UTC))
    await announce_changed(services, viewer_tags(user.id))
    return count


async def mark_subject_read(user_id: int, subject_type: str, subject_id: int) -> None:
    """Marks read what a user has now seen elsewhere (e.g. a conversation's message
    notifications once they read the conversation). Call inside the caller's transaction,
    and announce the user's tags after its commit (resolvers/cache_tags.py)."""
    await Notification.filter(
        recipient_id=user_id, subject_id=subject_id, subject_type=subject_type, read_at=None
    ).update(read_at=datetime.now(UTC))


async def delete_notification(services: Services, user: User, notification_id: int) -> int:
    deleted = await Notification.filter(id=notification_id, recipient_id=user.id).delete()
    if not deleted:
        raise OperationError.single(
            ("notification",), "No notification with this ID.", ErrorCode.NOT_FOUND
        )
    await announce_changed(services, viewer_tags(user.id))
    return notification_id
