"""OAuth connect: the pending authorization states and each connected account's tokens."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.accounts import User
from models.social import Platform, SocialAccount


class OAuthState(Model):
    """One started authorization: single use, short lived, bound to the user who started it.
    Once the browser opens it, it is bound to that browser too (``binding_hash``: the SHA-256 of
    a secret in that browser's cookie), so a flow handed to someone else cannot land their
    account on the user who asked. Only hashes are kept, so a leaked table cannot complete
    anyone's flow. Until the browser starts the flow (``flow_hash`` names it), ``state_hash`` is
    the hash of a random value given to nobody. The PKCE verifier is useless without the code,
    which only the platform's redirect carries."""

    id = fields.BigIntField(primary_key=True)
    state_hash = fields.CharField(max_length=64, unique=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="oauth_states", on_delete=fields.CASCADE
    )
    platform = fields.CharEnumField(Platform, max_length=16)
    code_verifier = fields.CharField(max_length=128, null=True)
    flow_hash = fields.CharField(max_length=64, null=True, db_index=True)
    binding_hash = fields.CharField(max_length=64, null=True)
    expires_at = fields.DatetimeField(db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "oauth_states"


class OAuthConnection(Model):
    """The tokens of an account connected with OAuth, sealed by adapters/token_cipher.py with
    the account's identity as associated data. ``refreshing_until`` is the claim of the one
    refresh in flight (any instance): set by a conditional update, cleared when it is done."""

    id = fields.BigIntField(primary_key=True)
    account: fields.OneToOneRelation[SocialAccount] = fields.OneToOneField(
        "models.SocialAccount", related_name="oauth", on_delete=fields.CASCADE
    )
    # Sealed tokens: platforms' tokens run to a few hundred characters; sealing adds a third.
    access_token = fields.CharField(max_length=4096)
    refresh_token = fields.CharField(max_length=4096, null=True)
    access_expires_at = fields.DatetimeField(null=True, db_index=True)
    refresh_expires_at = fields.DatetimeField(null=True)
    scope = fields.CharField(max_length=500, null=True)
    refreshing_until = fields.DatetimeField(null=True)
    refreshed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "oauth_connections"
