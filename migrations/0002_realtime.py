from tortoise import migrations
from tortoise.migrations import operations as ops
from models.realtime import CollabRequestStatus, NotificationType
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("models", "0001_initial")]

    initial = False

    operations = [
        ops.CreateModel(
            name="CollabRequest",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "sender",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="sender_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="collab_requests_sent",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "recipient",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="recipient_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="collab_requests_received",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("message", fields.TextField(null=True, unique=False)),
                (
                    "status",
                    fields.CharEnumField(
                        default=CollabRequestStatus.PENDING,
                        description="PENDING: PENDING\nACCEPTED: ACCEPTED\nDECLINED: DECLINED\nCANCELLED: CANCELLED",
                        enum_type=CollabRequestStatus,
                        max_length=16,
                    ),
                ),
                ("pending_key", fields.CharField(null=True, unique=True, max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "responded_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "collab_requests",
                "app": "models",
                "indexes": [
                    Index(fields=["sender_id", "status", "id"]),
                    Index(fields=["recipient_id", "status", "id"]),
                ],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Conversation",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("direct_key", fields.CharField(null=True, unique=True, max_length=64)),
                ("last_message_id", fields.BigIntField(null=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("activity_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={"table": "conversations", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ConversationParticipant",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "conversation",
                    fields.ForeignKeyField(
                        "models.Conversation",
                        source_field="conversation_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="participants",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="conversation_memberships",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("activity_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("last_read_message_id", fields.BigIntField(null=True)),
                (
                    "last_read_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("joined_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "conversation_participants",
                "app": "models",
                "unique_together": (("conversation", "user"),),
                "indexes": [Index(fields=["user_id", "activity_at", "id"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Message",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "conversation",
                    fields.ForeignKeyField(
                        "models.Conversation",
                        source_field="conversation_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="messages",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "sender",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="sender_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="messages_sent",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("body", fields.TextField(unique=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("edited_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("deleted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "messages",
                "app": "models",
                "indexes": [Index(fields=["conversation_id", "id"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Notification",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "recipient",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="recipient_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="notifications",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "type",
                    fields.CharEnumField(
                        description="COLLAB_REQUEST_RECEIVED: COLLAB_REQUEST_RECEIVED\nCOLLAB_REQUEST_ACCEPTED: COLLAB_REQUEST_ACCEPTED\nMESSAGE_RECEIVED: MESSAGE_RECEIVED\nSYNC_COMPLETED: SYNC_COMPLETED\nSYNC_FAILED: SYNC_FAILED",
                        enum_type=NotificationType,
                        max_length=32,
                    ),
                ),
                ("title", fields.CharField(max_length=200)),
                ("body", fields.TextField(unique=False)),
                ("payload", fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ("subject_type", fields.CharField(null=True, max_length=32)),
                ("subject_id", fields.BigIntField(null=True)),
                ("read_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "notifications",
                "app": "models",
                "indexes": [
                    Index(fields=["recipient_id", "id"]),
                    Index(fields=["recipient_id", "read_at"]),
                    Index(fields=["recipient_id", "subject_id"]),
                ],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
    ]
