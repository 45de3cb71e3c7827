"""A user's public face: one profile per user, with denormalized stats aggregates."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from models.accounts import User


class Profile(Model):
    id = fields.BigIntField(primary_key=True)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "models.User", related_name="profile", on_delete=fields.CASCADE
    )
    user_id: int  # its key column, which Tortoise sets; declared for the type checker
    # Copied from the user so discovery can filter by role without a join; users never change role.
    role = fields.CharField(max_length=16, db_index=True)
    display_name = fields.CharField(max_length=80)
    bio = fields.TextField(null=True)
    avatar_url = fields.CharField(max_length=2048, null=True)
    niches = fields.JSONField[list[str]](default=list)
    # "|fitness|travel|": the niches in a form every database can match with LIKE.
    niche_tags = fields.CharField(max_length=1024, default="")
    city = fields.CharField(max_length=100, null=True)
    state = fields.CharField(max_length=100, null=True)
    country = fields.CharField(max_length=100, null=True)
    preferences = fields.JSONField[dict[str, Any]](default=dict)
    is_public = fields.BooleanField(default=True)
    is_active = fields.BooleanField(default=True)
    total_followers = fields.BigIntField(default=0, db_index=True)
    avg_engagement = fields.FloatField(default=0.0, db_index=True)
    rizz_score = fields.IntField(default=0, db_index=True)
    # Follower growth over 30 days in percent (resolvers/growth.py defines it), for discovery's
    # filter and order; null while unknown (fewer than two snapshots, or a zero baseline).
    # ``growth_30d_at`` is when it was computed: the daily job recomputes the profiles whose
    # baseline has moved since.
    growth_30d = fields.FloatField(null=True, db_index=True)
    growth_30d_at = fields.DatetimeField(null=True)
    last_seen_at = fields.DatetimeField(null=True)
    # Reads by others on the UTC day ``views_day`` and the day before (resolvers/profile_views.py),
    # for the scheduled refresh's "viewed often".
    views_today = fields.IntField(default=0, db_default=0)
    views_yesterday = fields.IntField(default=0, db_default=0)
    views_day = fields.DateField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True, db_index=True)

    class Meta:
        table = "profiles"
