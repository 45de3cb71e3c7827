"""Per-platform audience stats: the current numbers of each account and every sync's snapshot."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from models.profiles import Profile


class Platform(StrEnum):
    TIKTOK = "TIKTOK"
    INSTAGRAM = "INSTAGRAM"
    YOUTUBE = "YOUTUBE"
    TWITCH = "TWITCH"
    TWITTER = "TWITTER"


class SyncSource(StrEnum):
    MANUAL = "MANUAL"
    PROVIDER = "PROVIDER"
    OAUTH = "OAUTH"


class AccountState(StrEnum):
    """Where a platform account stands: READY after a successful sync; PRIVATE or NOT_FOUND as
    the provider last saw the handle; QUOTA_LIMITED while the provider's quota is used up."""

    READY = "READY"
    PRIVATE = "PRIVATE"
    NOT_FOUND = "NOT_FOUND"
    QUOTA_LIMITED = "QUOTA_LIMITED"
    DISCONNECTED = "DISCONNECTED"


class SocialAccount(Model):
    id = fields.BigIntField(primary_key=True)
    profile: fields.ForeignKeyRelation[Profile] = fields.ForeignKeyField(
        "models.Profile", related_name="social_accounts", on_delete=fields.CASCADE
    )
    profile_id: int  # its key column, which Tortoise sets; declared for the type checker
    platform = fields.CharEnumField(Platform, max_length=16)
    handle = fields.CharField(max_length=100, null=True)
    followers = fields.BigIntField(default=0)
    engagement = fields.FloatField(null=True)
    source = fields.CharEnumField(SyncSource, max_length=16, default=SyncSource.MANUAL)
    # The width of the column it replaced (a CharField), so the migration changes no column type.
    state = fields.CharEnumField(AccountState, max_length=24, default=AccountState.READY)
    synced_at = fields.DatetimeField()
    # What a provider or OAuth fetch adds beyond the numbers (null for manual syncs).
    platform_user_id = fields.CharField(max_length=100, null=True)
    display_name = fields.CharField(max_length=200, null=True)
    avatar_url = fields.CharField(max_length=2048, null=True)
    verified = fields.BooleanField(null=True)
    following = fields.BigIntField(null=True)
    content_count = fields.BigIntField(null=True)
    total_likes = fields.BigIntField(null=True)
    total_views = fields.BigIntField(null=True)
    engagement_method = fields.CharField(max_length=64, null=True)
    count_precision = fields.CharField(max_length=16, null=True)  # EXACT, ROUNDED, HIDDEN
    provider = fields.CharField(max_length=32, null=True)
    fetched_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    # The scheduled refresh (resolvers/scheduled_refresh.py): when it is next due, how urgent the
    # account is (0 hot, 1 default, 2 dormant: the selection takes the lowest first), and the
    # last background failure, shown to the owner until a refresh succeeds.
    next_refresh_at = fields.DatetimeField(null=True, db_index=True)
    refresh_priority = fields.SmallIntField(default=1, db_default=1)
    refresh_error_code = fields.CharField(max_length=40, null=True)
    refresh_error_message = fields.CharField(max_length=500, null=True)
    refresh_error_at = fields.DatetimeField(null=True)

    class Meta:
        table = "social_accounts"
        unique_together = (("profile", "platform"),)


class StatsSnapshot(Model):
    id = fields.BigIntField(primary_key=True)
    account: fields.ForeignKeyRelation[SocialAccount] = fields.ForeignKeyField(
        "models.SocialAccount", related_name="snapshots", on_delete=fields.CASCADE
    )
    account_id: int  # its key column, which Tortoise sets; declared for the type checker
    followers = fields.BigIntField()
    engagement = fields.FloatField(null=True)
    source = fields.CharEnumField(SyncSource, max_length=16)
    taken_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "stats_snapshots"
        indexes = (("account_id", "taken_at"),)
