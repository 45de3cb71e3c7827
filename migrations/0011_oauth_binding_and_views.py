from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0010_webhooks')]

    initial = False

    operations = [
        ops.AddField(
            model_name='OAuthState',
            name='binding_hash',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='OAuthState',
            name='flow_hash',
            field=fields.CharField(null=True, db_index=True, max_length=64),
        ),
        ops.AddField(
            model_name='Profile',
            name='views_day',
            field=fields.DateField(null=True),
        ),
        ops.AddField(
            model_name='Profile',
            name='views_today',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Profile',
            name='views_yesterday',
            field=fields.IntField(default=0, db_default=0),
        ),
    ]
