from tortoise import migrations
from tortoise.migrations import operations as ops
from models.social import AccountState
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("models", "0002_realtime")]

    initial = False

    operations = [
        ops.AlterField(
            model_name="SocialAccount",
            name="state",
            field=fields.CharEnumField(
                default=AccountState.READY,
                description="READY: READY\nPRIVATE: PRIVATE\nNOT_FOUND: NOT_FOUND\nQUOTA_LIMITED: QUOTA_LIMITED\nDISCONNECTED: DISCONNECTED",
                enum_type=AccountState,
                max_length=24,
            ),
        ),
    ]
