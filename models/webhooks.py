"""Outbound webhooks: a user's endpoints, the deliveries queued for them, and each attempt.

Model classes carry comments rather than docstrings: Tortoise copies a class docstring into the
DDL as the table comment, and a semicolon there breaks SQLite.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from models.accounts import User


class WebhookEndpoint(Model):
    # A URL of the owner's that receives their events, signed with the secret (shown once at
    # creation). failing_since marks the first failure of an unbroken run of failures, and
    # disabled_at is set when that run lasted long enough to stop sending.
    id = fields.BigIntField(primary_key=True)
    owner: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="webhook_endpoints", on_delete=fields.CASCADE
    )
    owner_id: int  # its key column, which Tortoise sets; declared for the type checker
    url = fields.CharField(max_length=2048)
    events: Any = fields.JSONField(default=list)
    secret = fields.CharField(max_length=80)
    failing_since = fields.DatetimeField(null=True)
    disabled_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "webhook_endpoints"


class WebhookDelivery(Model):
    # A transactional outbox row: written in the transaction of the event it carries, sent
    # after commit. A sender claims it by moving claimed_until forward in one conditional
    # UPDATE, so two instances never send one delivery at once.
    id = fields.BigIntField(primary_key=True)
    endpoint: fields.ForeignKeyRelation[WebhookEndpoint] = fields.ForeignKeyField(
        "models.WebhookEndpoint", related_name="deliveries", on_delete=fields.CASCADE
    )
    endpoint_id: int  # its key column, which Tortoise sets; declared for the type checker
    event = fields.CharField(max_length=32)
    body = fields.TextField()
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(db_index=True)
    claimed_until = fields.DatetimeField(null=True)
    delivered_at = fields.DatetimeField(null=True, db_index=True)
    given_up_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "webhook_deliveries"


class WebhookAttempt(Model):
    # One try at sending a delivery: the response status (null when none came), how long it
    # took, and why it failed.
    id = fields.BigIntField(primary_key=True)
    delivery: fields.ForeignKeyRelation[WebhookDelivery] = fields.ForeignKeyField(
        "models.WebhookDelivery", related_name="attempt_rows", on_delete=fields.CASCADE
    )
    delivery_id: int  # its key column, which Tortoise sets; declared for the type checker
    status_code = fields.IntField(null=True)
    latency_ms = fields.IntField()
    error = fields.CharField(max_length=500, null=True)
    attempted_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "webhook_attempts"
