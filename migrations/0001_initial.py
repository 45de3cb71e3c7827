from tortoise import migrations
from tortoise.migrations import operations as ops
from models.accounts import Role
from models.social import Platform, SyncSource
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="User",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("email", fields.CharField(unique=True, max_length=254)),
                ("password_hash", fields.CharField(max_length=255)),
                (
                    "role",
                    fields.CharEnumField(
                        description="CREATOR: CREATOR\nBRAND: BRAND\nADMIN: ADMIN",
                        enum_type=Role,
                        max_length=16,
                    ),
                ),
                ("email_verified", fields.BooleanField(default=False)),
                ("suspended", fields.BooleanField(default=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={"table": "users", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Profile",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "user",
                    fields.OneToOneField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="profile",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("role", fields.CharField(db_index=True, max_length=16)),
                ("display_name", fields.CharField(max_length=80)),
                ("bio", fields.TextField(null=True, unique=False)),
                ("avatar_url", fields.CharField(null=True, max_length=2048)),
                ("niches", fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ("niche_tags", fields.CharField(default="", max_length=1024)),
                ("city", fields.CharField(null=True, max_length=100)),
                ("state", fields.CharField(null=True, max_length=100)),
                ("country", fields.CharField(null=True, max_length=100)),
                ("preferences", fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ("is_public", fields.BooleanField(default=True)),
                ("is_active", fields.BooleanField(default=True)),
                ("total_followers", fields.BigIntField(default=0, db_index=True)),
                ("avg_engagement", fields.FloatField(default=0.0, db_index=True)),
                ("rizz_score", fields.IntField(default=0, db_index=True)),
                (
                    "last_seen_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "updated_at",
                    fields.DatetimeField(db_index=True, auto_now=True, auto_now_add=False),
                ),
            ],
            options={"table": "profiles", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="RefreshToken",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="refresh_tokens",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("jti_hash", fields.CharField(unique=True, max_length=64)),
                ("family", fields.CharField(db_index=True, max_length=32)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("used_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("revoked_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "refresh_tokens", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SocialAccount",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "profile",
                    fields.ForeignKeyField(
                        "models.Profile",
                        source_field="profile_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="social_accounts",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "platform",
                    fields.CharEnumField(
                        description="TIKTOK: TIKTOK\nINSTAGRAM: INSTAGRAM\nYOUTUBE: YOUTUBE\nTWITCH: TWITCH\nTWITTER: TWITTER",
                        enum_type=Platform,
                        max_length=16,
                    ),
                ),
                ("handle", fields.CharField(null=True, max_length=100)),
                ("followers", fields.BigIntField(default=0)),
                ("engagement", fields.FloatField(null=True)),
                (
                    "source",
                    fields.CharEnumField(
                        default=SyncSource.MANUAL,
                        description="MANUAL: MANUAL\nPROVIDER: PROVIDER\nOAUTH: OAUTH",
                        enum_type=SyncSource,
                        max_length=16,
                    ),
                ),
                ("state", fields.CharField(default="READY", max_length=24)),
                ("synced_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("platform_user_id", fields.CharField(null=True, max_length=100)),
                ("display_name", fields.CharField(null=True, max_length=200)),
                ("avatar_url", fields.CharField(null=True, max_length=2048)),
                ("verified", fields.BooleanField(null=True)),
                ("following", fields.BigIntField(null=True)),
                ("content_count", fields.BigIntField(null=True)),
                ("total_likes", fields.BigIntField(null=True)),
                ("total_views", fields.BigIntField(null=True)),
                ("engagement_method", fields.CharField(null=True, max_length=64)),
                ("count_precision", fields.CharField(null=True, max_length=16)),
                ("provider", fields.CharField(null=True, max_length=32)),
                ("fetched_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "social_accounts",
                "app": "models",
                "unique_together": (("profile", "platform"),),
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="StatsSnapshot",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "account",
                    fields.ForeignKeyField(
                        "models.SocialAccount",
                        source_field="account_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="snapshots",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("followers", fields.BigIntField()),
                ("engagement", fields.FloatField(null=True)),
                (
                    "source",
                    fields.CharEnumField(
                        description="MANUAL: MANUAL\nPROVIDER: PROVIDER\nOAUTH: OAUTH",
                        enum_type=SyncSource,
                        max_length=16,
                    ),
                ),
                (
                    "taken_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "stats_snapshots",
                "app": "models",
                "indexes": [Index(fields=["account_id", "taken_at"])],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
    ]
