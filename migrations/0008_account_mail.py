from tortoise import migrations
from tortoise.migrations import operations as ops
from models.mail import CodePurpose, MailKind
from tortoise.fields.base import OnDelete
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("models", "0007_admin_lifecycle")]

    initial = False

    operations = [
        ops.CreateModel(
            name="EmailCode",
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
                        related_name="email_codes",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "purpose",
                    fields.CharEnumField(
                        description="VERIFY_EMAIL: VERIFY_EMAIL\nRESET_PASSWORD: RESET_PASSWORD\nCHANGE_EMAIL: CHANGE_EMAIL",
                        enum_type=CodePurpose,
                        max_length=16,
                    ),
                ),
                ("code_hash", fields.CharField(max_length=64)),
                ("new_email", fields.CharField(null=True, max_length=254)),
                ("attempts", fields.IntField(default=0)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("used_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "created_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True),
                ),
            ],
            options={"table": "email_codes", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        ops.CreateModel(
            name="MailMessage",
            fields=[
                (
                    "id",
                    fields.BigIntField(
                        generated=True, primary_key=True, unique=True, db_index=True
                    ),
                ),
                ("recipient", fields.CharField(max_length=254)),
                (
                    "kind",
                    fields.CharEnumField(
                        description="EMAIL_VERIFICATION: EMAIL_VERIFICATION\nPASSWORD_RESET: PASSWORD_RESET\nPASSWORD_CHANGED: PASSWORD_CHANGED\nEMAIL_CHANGE: EMAIL_CHANGE",
                        enum_type=MailKind,
                        max_length=24,
                    ),
                ),
                ("subject", fields.CharField(max_length=200)),
                ("text", fields.TextField(unique=False)),
                ("html", fields.TextField(unique=False)),
                ("attempts", fields.IntField(default=0)),
                (
                    "next_attempt_at",
                    fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "claimed_until",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "sent_at",
                    fields.DatetimeField(
                        null=True, db_index=True, auto_now=False, auto_now_add=False
                    ),
                ),
                ("last_error", fields.CharField(null=True, max_length=500)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "mail_messages", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
    ]
