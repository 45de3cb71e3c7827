"""The latest posts or videos of an account, as the provider sync that fetched them saw them."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.social import SocialAccount


class Post(Model):
    """One post or video with its public counts. An account's posts are replaced whole at each
    provider sync that returns posts, so they always belong to one fetch (``fetched_at``). Rows
    are written oldest first: a higher id is a newer post."""

    id = fields.BigIntField(primary_key=True)
    account: fields.ForeignKeyRelation[SocialAccount] = fields.ForeignKeyField(
        "models.SocialAccount", related_name="posts", on_delete=fields.CASCADE
    )
    account_id: int  # its key column, which Tortoise sets; declared for the type checker
    platform_post_id = fields.CharField(max_length=100)
    url = fields.CharField(max_length=2048, null=True)
    kind = fields.CharField(max_length=32, null=True)  # as the provider names it: VIDEO, IMAGE…
    published_at = fields.DatetimeField(null=True)
    likes = fields.BigIntField(null=True)
    comments = fields.BigIntField(null=True)
    views = fields.BigIntField(null=True)
    fetched_at = fields.DatetimeField()

    class Meta:
        table = "posts"
        indexes = (("account_id", "id"),)
