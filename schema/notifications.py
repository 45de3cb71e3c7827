"""Notifications: the type, `notifications`, marking read, deleting, `notificationEvents`."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry

from models import Notification as NotificationModel
from models import NotificationType as TypeEnum
from resolvers import notifications as ops
from resolvers.cursors import PAGE_MAX
from resolvers.subscriptions import notification_events_topic
from schema.context import Info
from schema.errors import refused_as_bad_input
from schema.input_ids import pk_of
from schema.node import Node, encode_id
from schema.payloads import Payload, refused_as
from schema.relay import PageInfo, cursored, page_info
from schema.subscriptions import live_events

# Marked in place and named by alias, so the name is a type (see schema/enums.py).
strawberry.enum(TypeEnum, name="NotificationType", description="What a notification is about.")
NotificationType = TypeEnum


@strawberry.type(description="Something you should know about. Only you see your notifications.")
class Notification(Node):
    type: NotificationType = strawberry.field(description="What it is about.")
    title: str = strawberry.field(description="A short heading.")
    body: str = strawberry.field(description="A sentence saying what happened.")
    created_at: datetime = strawberry.field(description="When it happened.")
    read_at: datetime | None = strawberry.field(description="When you marked it read, if you did.")
    subject_id: strawberry.ID | None = strawberry.field(
        description="The global ID of what it is about (a CollabRequest, a Conversation, "
        "a Profile), for `node(id:)`."
    )

    @classmethod
    def from_snapshot(cls, n: ops.NotificationSnapshot) -> Notification:
        return cls(
            id=encode_id("Notification", n.id),
            type=n.type,
            title=n.title,
            body=n.body,
            created_at=n.created_at,
            read_at=n.read_at,
            subject_id=encode_id(n.subject_type, n.subject_id)
            if n.subject_type and n.subject_id
            else None,
        )

    @classmethod
    def from_model(cls, m: NotificationModel) -> Notification:
        return cls.from_snapshot(ops.NotificationSnapshot.from_model(m))


@strawberry.type(description="A notification in a page of notifications.")
class NotificationEdge:
    cursor: str = strawberry.field(description="Pass as `after` for the ones after it.")
    node: Notification = strawberry.field(description="The notification.")


@strawberry.type(description="Notifications, newest first.")
class NotificationConnection:
    edges: list[NotificationEdge] = strawberry.field(description="This page's notifications.")
    page_info: PageInfo = strawberry.field(description="Whether more follow, and where.")


@strawberry.input(description="Notifications of yours to mark read.")
class NotificationMarkReadInput:
    notifications: list[strawberry.ID] = strawberry.field(
        description=f"1 to {ops.MARK_MAX} of your notification IDs."
    )


@strawberry.type(description="The result of notificationMarkRead.")
class NotificationMarkReadPayload(Payload):
    notifications: list[Notification] | None = strawberry.field(
        default=None, description="Them, now read."
    )
    unread_count: int | None = strawberry.field(
        default=None, description="Your unread notifications now."
    )


@strawberry.input(description="Which of your notifications to mark read.")
class NotificationMarkAllReadInput:
    before: datetime | None = strawberry.field(
        default=None,
        description="Only those created up to this time (what you have shown); default: all.",
    )


@strawberry.type(description="The result of notificationMarkAllRead.")
class NotificationMarkAllReadPayload(Payload):
    count: int = strawberry.field(default=0, description="How many were marked read.")
    unread_count: int | None = strawberry.field(
        default=None, description="Your unread notifications now."
    )


@strawberry.input(description="A notification of yours to delete.")
class NotificationDeleteInput:
    notification: strawberry.ID = strawberry.field(description="The notification.")


@strawberry.type(description="The result of notificationDelete.")
class NotificationDeletePayload(Payload):
    deleted_notification_id: strawberry.ID | None = strawberry.field(
        default=None, description="The ID of the deleted notification."
    )


@strawberry.type
class NotificationQuery:
    @strawberry.field(
        description=f"Your notifications, newest first. `first` is at most {PAGE_MAX}."
    )
    @refused_as_bad_input
    async def notifications(
        self,
        info: Info,
        unread_only: bool = False,
        first: int | None = None,
        after: str | None = None,
    ) -> NotificationConnection:
        viewer = await info.context.require_viewer()
        page = await ops.list_notifications(viewer, unread_only, first, after)
        return NotificationConnection(
            edges=[
                NotificationEdge(cursor=c, node=Notification.from_model(n))
                for n, c in cursored(page)
            ],
            page_info=page_info(page),
        )


@strawberry.type
class NotificationMutation:
    @strawberry.mutation(description="Mark some of your notifications read.")
    @refused_as(NotificationMarkReadPayload)
    async def notification_mark_read(
        self, info: Info, input: NotificationMarkReadInput
    ) -> NotificationMarkReadPayload:
        viewer = await info.context.require_viewer()
        marked = await ops.mark_read(
            info.context.services, viewer, [pk_of(i, "Notification") for i in input.notifications]
        )
        return NotificationMarkReadPayload(
            notifications=[Notification.from_model(n) for n in marked],
            unread_count=await ops.unread_count(viewer.id),
        )

    @strawberry.mutation(description="Mark all your notifications read.")
    async def notification_mark_all_read(
        self, info: Info, input: NotificationMarkAllReadInput | None = None
    ) -> NotificationMarkAllReadPayload:
        viewer = await info.context.require_viewer()
        count = await ops.mark_all_read(
            info.context.services, viewer, input.before if input else None
        )
        return NotificationMarkAllReadPayload(
            count=count, unread_count=await ops.unread_count(viewer.id)
        )

    @strawberry.mutation(description="Delete one of your notifications.")
    @refused_as(NotificationDeletePayload)
    async def notification_delete(
        self, info: Info, input: NotificationDeleteInput
    ) -> NotificationDeletePayload:
        viewer = await info.context.require_viewer()
        deleted = await ops.delete_notification(
            info.context.services, viewer, pk_of(input.notification, "Notification")
        )
        return NotificationDeletePayload(deleted_notification_id=encode_id("Notification", deleted))


@strawberry.type
class NotificationSubscription:
    @strawberry.subscription(description="Your new notifications, as they are created.")
    async def notification_events(self, info: Info) -> AsyncGenerator[Notification, None]:
        viewer = await info.context.require_viewer()

        async def decode(raw: bytes) -> Notification:
            return Notification.from_snapshot(ops.NotificationSnapshot.decode(raw))

        async for event in live_events(info, notification_events_topic(viewer), decode):
            yield event
