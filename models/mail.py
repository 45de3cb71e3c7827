"""Mail waiting to be sent, and the one-time codes that mail carries."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.accounts import User


class MailKind(StrEnum):
    EMAIL_VERIFICATION = "EMAIL_VERIFICATION"
    PASSWORD_RESET = "PASSWORD_RESET"  # noqa: S105 (a kind of mail, not a secret)
    PASSWORD_CHANGED = "PASSWORD_CHANGED"  # noqa: S105
    EMAIL_CHANGE = "EMAIL_CHANGE"


class CodePurpose(StrEnum):
    VERIFY_EMAIL = "VERIFY_EMAIL"
    RESET_PASSWORD = "RESET_PASSWORD"  # noqa: S105 (a purpose, not a secret)
    CHANGE_EMAIL = "CHANGE_EMAIL"


class MailMessage(Model):
    # A transactional outbox row: written in the transaction of the change that causes the mail,
    # sent after commit. A sender claims a row by moving claimed_until forward in one conditional
    # UPDATE, so two instances never send one message twice.
    id = fields.BigIntField(primary_key=True)
    recipient = fields.CharField(max_length=254)
    kind = fields.CharEnumField(MailKind, max_length=24)
    subject = fields.CharField(max_length=200)
    text = fields.TextField()
    html = fields.TextField()
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(db_index=True)
    claimed_until = fields.DatetimeField(null=True)
    sent_at = fields.DatetimeField(null=True, db_index=True)
    last_error = fields.CharField(max_length=500, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "mail_messages"


class EmailCode(Model):
    # A six-digit one-time code, stored as an HMAC only. new_email is set for an email change:
    # the address the code was sent to, which becomes the user's when the code is confirmed.
    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="email_codes", on_delete=fields.CASCADE
    )
    user_id: int  # its key column, which Tortoise sets; declared for the type checker
    purpose = fields.CharEnumField(CodePurpose, max_length=16)
    code_hash = fields.CharField(max_length=64)
    new_email = fields.CharField(max_length=254, null=True)
    attempts = fields.IntField(default=0)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "email_codes"
