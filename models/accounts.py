"""Who can sign in: users and their rotating refresh tokens."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Role(StrEnum):
    CREATOR = "CREATOR"
    BRAND = "BRAND"
    ADMIN = "ADMIN"


class User(Model):
    id = fields.BigIntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    password_hash = fields.CharField(max_length=255)
    role = fields.CharEnumField(Role, max_length=16)
    email_verified = fields.BooleanField(default=False)
    suspended = fields.BooleanField(default=False)
    suspended_at = fields.DatetimeField(null=True)
    suspension_reason = fields.CharField(max_length=500, null=True)
    # When the account last signed in or refreshed a token: what "active" means in adminStats.
    last_seen_at = fields.DatetimeField(null=True, db_index=True)
    # A deleted account keeps only this row (id, role, dates) so the messages others received
    # keep a valid sender: the email is replaced by "deleted:<id>", the password hash emptied.
    deleted_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "users"


class RefreshToken(Model):
    # One issued refresh token. Rotation marks it used and issues a sibling in the same family.
    # Presenting a used token again means it leaked, so the whole family is revoked.
    # (A comment, not a docstring: Tortoise copies docstrings into the DDL as table comments.)
    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="refresh_tokens", on_delete=fields.CASCADE
    )
    user_id: int  # its key column, which Tortoise sets; declared for the type checker
    jti_hash = fields.CharField(max_length=64, unique=True)
    family = fields.CharField(max_length=32, db_index=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "refresh_tokens"
