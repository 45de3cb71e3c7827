from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("models", "0008_account_mail")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Post",
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
                        related_name="posts",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("platform_post_id", fields.CharField(max_length=100)),
                ("url", fields.CharField(null=True, max_length=2048)),
                ("kind", fields.CharField(null=True, max_length=32)),
                (
                    "published_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("likes", fields.BigIntField(null=True)),
                ("comments", fields.BigIntField(null=True)),
                ("views", fields.BigIntField(null=True)),
                ("fetched_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "posts",
                "app": "models",
                "indexes": [Index(fields=["account_id", "id"])],
                "pk_attr": "id",
                "table_description": "One post or video with its public counts. An account's posts are replaced whole at each",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="Profile",
            name="growth_30d",
            field=fields.FloatField(null=True, db_index=True),
        ),
        ops.AddField(
            model_name="Profile",
            name="growth_30d_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
