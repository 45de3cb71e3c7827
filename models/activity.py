"""The activity log: every admin action and security event, kept for operators."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model


class ActivityAction(StrEnum):
    SIGN_IN = "SIGN_IN"
    SIGN_IN_FAILED = "SIGN_IN_FAILED"
    PASSWORD_RESET_REQUESTED = "PASSWORD_RESET_REQUESTED"  # noqa: S105  # an event name, not a secret
    PASSWORD_RESET = "PASSWORD_RESET"  # noqa: S105  # an event name, not a secret
    PASSWORD_CHANGED = "PASSWORD_CHANGED"  # noqa: S105  # an event name, not a secret
    EMAIL_VERIFIED = "EMAIL_VERIFIED"
    ADMIN_GRANTED = "ADMIN_GRANTED"
    USER_SUSPENDED = "USER_SUSPENDED"
    USER_UNSUSPENDED = "USER_UNSUSPENDED"
    USER_DELETED = "USER_DELETED"
    ACCOUNT_DELETED = "ACCOUNT_DELETED"
    ACCOUNT_EXPORTED = "ACCOUNT_EXPORTED"


class ActivityEntry(Model):
    # One event. actor_id and target_id are plain columns, not foreign keys: the log outlives
    # the accounts it names (deletion must not erase the record of the deletion). The action
    # is a plain string column, so a new kind of event needs no migration.
    id = fields.BigIntField(primary_key=True)
    action = fields.CharField(max_length=40)
    actor_id = fields.BigIntField(null=True)
    target_id = fields.BigIntField(null=True, db_index=True)
    client_address = fields.CharField(max_length=64)
    detail = fields.JSONField[dict[str, Any]](default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "activity_log"
