from tortoise import migrations
from tortoise.migrations import operations as ops
from models.realtime import NotificationType
from models.social import Platform
from tortoise.fields.base import OnDelete
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("models", "0004_idempotency")]

    initial = False

    operations = [
        ops.CreateModel(
            name="OAuthConnection",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                (
                    "account",
                    fields.OneToOneField(
                        "models.SocialAccount",
                        source_field="account_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="oauth",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("access_token", fields.CharField(max_length=4096)),
                ("refresh_token", fields.CharField(null=True, max_length=4096)),
                (
                    "access_expires_at",
                    fields.DatetimeField(
                        null=True, db_index=True, auto_now=False, auto_now_add=False
                    ),
                ),
                (
                    "refresh_expires_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("scope", fields.CharField(null=True, max_length=500)),
                (
                    "refreshing_until",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "refreshed_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "oauth_connections",
                "app": "models",
                "pk_attr": "id",
                "table_description": "The tokens of an account connected with OAuth, sealed by adapters/token_cipher.py with",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="OAuthState",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("state_hash", fields.CharField(unique=True, max_length=64)),
                (
                    "user",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="user_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="oauth_states",
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
                ("code_verifier", fields.CharField(null=True, max_length=128)),
                (
                    "expires_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "oauth_states",
                "app": "models",
                "pk_attr": "id",
                "table_description": "One started authorization: single use, short lived, bound to the user who started it.",
            },
            bases=["Model"],
        ),
        ops.AlterField(
            model_name="Notification",
            name="type",
            field=fields.CharEnumField(
                description="COLLAB_REQUEST_RECEIVED: COLLAB_REQUEST_RECEIVED\nCOLLAB_REQUEST_ACCEPTED: COLLAB_REQUEST_ACCEPTED\nMESSAGE_RECEIVED: MESSAGE_RECEIVED\nSYNC_COMPLETED: SYNC_COMPLETED\nSYNC_FAILED: SYNC_FAILED\nSOCIAL_ACCOUNT_DISCONNECTED: SOCIAL_ACCOUNT_DISCONNECTED",
                enum_type=NotificationType,
                max_length=32,
            ),
        ),
    ]
