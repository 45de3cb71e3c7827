from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("models", "0005_oauth")]

    initial = False

    operations = [
        ops.AddField(
            model_name="SocialAccount",
            name="next_refresh_at",
            field=fields.DatetimeField(
                null=True, db_index=True, auto_now=False, auto_now_add=False
            ),
        ),
        ops.AddField(
            model_name="SocialAccount",
            name="refresh_error_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name="SocialAccount",
            name="refresh_error_code",
            field=fields.CharField(null=True, max_length=40),
        ),
        ops.AddField(
            model_name="SocialAccount",
            name="refresh_error_message",
            field=fields.CharField(null=True, max_length=500),
        ),
        ops.AddField(
            model_name="SocialAccount",
            name="refresh_priority",
            field=fields.SmallIntField(default=1, db_default=1),
        ),
    ]
