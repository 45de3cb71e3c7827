"""Idempotency keys: one row per (scope, key) a client sent with a write, holding the claim while
the write runs and the sealed response once it is final.

Model classes carry comments rather than docstrings: Tortoise copies a class docstring into the
DDL as the table comment, and a semicolon there breaks SQLite.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class IdempotencyKey(Model):
    # The unique (scope, key) pair makes claiming atomic on every instance: of two requests with
    # one key, exactly one inserts the row. ``status`` stays null while the claim's request runs
    # (``claim`` names it, ``locked_until`` bounds it, so a crashed holder blocks no retry for
    # long). The body is sealed: it may carry tokens, which the database otherwise stores hashed.
    id = fields.BigIntField(primary_key=True)
    scope = fields.CharField(max_length=64)
    key = fields.CharField(max_length=255)
    fingerprint = fields.CharField(max_length=64)
    claim = fields.CharField(max_length=32)
    locked_until = fields.DatetimeField()
    expires_at = fields.DatetimeField(db_index=True)
    status = fields.IntField(null=True)
    headers = fields.JSONField[list[list[str]]](null=True)
    body = fields.BinaryField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "idempotency_keys"
        unique_together = (("scope", "key"),)
