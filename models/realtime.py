"""The realtime side: collaboration requests, one-to-one conversations, messages, notifications.

Model classes carry comments rather than docstrings: Tortoise copies a class docstring into the
DDL as the table comment, and a semicolon there breaks SQLite.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from models.accounts import User


class CollabRequestStatus(StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    CANCELLED = "CANCELLED"


class NotificationType(StrEnum):
    COLLAB_REQUEST_RECEIVED = "COLLAB_REQUEST_RECEIVED"
    COLLAB_REQUEST_ACCEPTED = "COLLAB_REQUEST_ACCEPTED"
    MESSAGE_RECEIVED = "MESSAGE_RECEIVED"
    SYNC_COMPLETED = "SYNC_COMPLETED"
    SYNC_FAILED = "SYNC_FAILED"
    SOCIAL_ACCOUNT_DISCONNECTED = "SOCIAL_ACCOUNT_DISCONNECTED"
    WEBHOOK_DISABLED = "WEBHOOK_DISABLED"


class CollabRequest(Model):
    # One person asking another to collaborate. While it is pending, pending_key holds the pair
    # ("<lower user id>:<higher user id>"), and its unique constraint makes a second pending
    # request between the same two people impossible, in either direction and under any race.
    id = fields.BigIntField(primary_key=True)
    sender: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="collab_requests_sent", on_delete=fields.CASCADE
    )
    sender_id: int  # its key column, which Tortoise sets; declared for the type checker
    recipient: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="collab_requests_received", on_delete=fields.CASCADE
    )
    recipient_id: int  # its key column, which Tortoise sets; declared for the type checker
    message = fields.TextField(null=True)
    status = fields.CharEnumField(
        CollabRequestStatus, max_length=16, default=CollabRequestStatus.PENDING
    )
    pending_key = fields.CharField(max_length=64, null=True, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    responded_at = fields.DatetimeField(null=True)

    class Meta:
        table = "collab_requests"
        indexes = (("sender_id", "status", "id"), ("recipient_id", "status", "id"))


class Conversation(Model):
    # A one-to-one conversation. direct_key ("<lower user id>:<higher user id>") is unique, so
    # two people have exactly one conversation however many first messages race.
    # last_message_id is a denormalized pointer (no constraint) updated with every message.
    id = fields.BigIntField(primary_key=True)
    direct_key = fields.CharField(max_length=64, null=True, unique=True)
    last_message_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    activity_at = fields.DatetimeField()

    class Meta:
        table = "conversations"


class ConversationParticipant(Model):
    # A member of a conversation and how far they have read. activity_at copies the
    # conversation's, so one index serves "my conversations, most recent activity first".
    id = fields.BigIntField(primary_key=True)
    conversation: fields.ForeignKeyRelation[Conversation] = fields.ForeignKeyField(
        "models.Conversation", related_name="participants", on_delete=fields.CASCADE
    )
    conversation_id: int  # its key column, which Tortoise sets; declared for the type checker
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="conversation_memberships", on_delete=fields.CASCADE
    )
    user_id: int  # its key column, which Tortoise sets; declared for the type checker
    activity_at = fields.DatetimeField()
    last_read_message_id = fields.BigIntField(null=True)
    last_read_at = fields.DatetimeField(null=True)
    joined_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "conversation_participants"
        unique_together = (("conversation", "user"),)
        indexes = (("user_id", "activity_at", "id"),)


class Message(Model):
    # One chat message. Deleting keeps the row as a tombstone (deleted_at set, body emptied),
    # so replies, read receipts and unread counts keep their place.
    id = fields.BigIntField(primary_key=True)
    conversation: fields.ForeignKeyRelation[Conversation] = fields.ForeignKeyField(
        "models.Conversation", related_name="messages", on_delete=fields.CASCADE
    )
    conversation_id: int  # its key column, which Tortoise sets; declared for the type checker
    sender: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="messages_sent", on_delete=fields.CASCADE
    )
    sender_id: int  # its key column, which Tortoise sets; declared for the type checker
    body = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)
    edited_at = fields.DatetimeField(null=True)
    deleted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "messages"
        indexes = (("conversation_id", "id"),)


class Notification(Model):
    # Something a user should know about. title and body are written when it is created, so a
    # notification reads the same later. subject_type and subject_id name what it is about
    # (a CollabRequest, a Conversation, a Profile), for links and for marking related ones read.
    id = fields.BigIntField(primary_key=True)
    recipient: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="notifications", on_delete=fields.CASCADE
    )
    recipient_id: int  # its key column, which Tortoise sets; declared for the type checker
    type = fields.CharEnumField(NotificationType, max_length=32)
    title = fields.CharField(max_length=200)
    body = fields.TextField()
    payload = fields.JSONField[dict[str, Any]](default=dict)
    subject_type = fields.CharField(max_length=32, null=True)
    subject_id = fields.BigIntField(null=True)
    read_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "notifications"
        indexes = (
            ("recipient_id", "id"),
            ("recipient_id", "read_at"),
            ("recipient_id", "subject_id"),
        )
