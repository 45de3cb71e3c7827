"""Twitch: errors are ``{"status":400,"message":"…"}``, not RFC 6749, so a compliance hook
rewrites them before Authlib reads them; ``scope`` is an array; revocation sends only the
client id; Helix calls carry ``Client-Id`` beside the user's token."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import ClassVar

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client

from adapters.oauth.client import PlatformOAuth, as_int, rewrite_body_error
from adapters.oauth.errors import OAuthFailure
from adapters.platforms.types import (
    CountPrecision,
    Engagement,
    Platform,
    PlatformProfile,
    ProviderName,
)

# Twitch's messages for a spent or unknown code or refresh token.
_INVALID_GRANT = ("invalid refresh token", "invalid authorization code")


def _rfc_error(response: httpx.Response) -> httpx.Response:
    if response.status_code < 400 or response.status_code >= 500:
        return response
    try:
        body = response.json()
    except ValueError:
        return response
    if not isinstance(body, dict) or ("error" in body and "message" not in body):
        return response
    message = str(body.get("message") or "")
    code = "invalid_grant" if message.lower() in _INVALID_GRANT else "invalid_request"
    if response.status_code in (401, 403) and code != "invalid_grant":
        code = "invalid_client"
    return rewrite_body_error(response, code, message)


class TwitchOAuth(PlatformOAuth):
    platform = "TWITCH"
    scope = "user:read:email moderator:read:followers"
    authorize_params: ClassVar[Mapping[str, str]] = {"force_verify": "true"}

    def configure(self, oauth: AsyncOAuth2Client) -> None:
        oauth.revocation_endpoint_auth_method = "none"
        oauth.register_compliance_hook("access_token_response", _rfc_error)
        oauth.register_compliance_hook("refresh_token_response", _rfc_error)

    async def own_stats(self, access_token: str) -> PlatformProfile:
        client_id = self.settings.client_id or ""
        api = self.settings.api_url
        users = await self.get_json(f"{api}/users", access_token, **{"Client-Id": client_id})
        data = users.get("data") or []
        if not data:
            raise OAuthFailure("no_user", "Twitch returned no user for this token")
        user = data[0]
        followers = await self.get_json(
            f"{api}/channels/followers?broadcaster_id={user.get('id')}",
            access_token,
            **{"Client-Id": client_id},
        )
        return PlatformProfile(
            platform=Platform.TWITCH,
            handle=str(user.get("login") or ""),
            platform_user_id=str(user.get("id") or ""),
            display_name=user.get("display_name"),
            avatar_url=user.get("profile_image_url") or None,
            bio=user.get("description") or None,
            verified=user.get("broadcaster_type") == "partner",
            followers=as_int(followers.get("total")),
            following=None,
            content_count=None,
            total_likes=None,
            total_views=None,
            engagement=Engagement.not_available(),
            precision=CountPrecision.EXACT,
            provider=ProviderName.OAUTH,
            fetched_at=datetime.now(UTC),
        )
