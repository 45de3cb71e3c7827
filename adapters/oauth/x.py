"""X (OAuth 2.0 with PKCE): a confidential client authenticates with HTTP Basic *and* names
itself in the body; refresh tokens are single use (``offline.access`` grants one); a spent or
unknown code or refresh token is reported as ``invalid_request`` ("Value passed for the … was
invalid."), which is ``invalid_grant`` in RFC terms."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from authlib.common.urls import add_params_to_qs
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oauth2.auth import encode_client_secret_basic

from adapters.oauth.client import PlatformOAuth, as_int, rewrite_body_error
from adapters.platforms.types import (
    CountPrecision,
    Engagement,
    Platform,
    PlatformProfile,
    ProviderName,
)


def _basic_and_client_id(
    client: Any, method: str, uri: str, headers: dict[str, str], body: str
) -> tuple[str, dict[str, str], str]:
    uri, headers, body = encode_client_secret_basic(client, method, uri, headers, body)
    return uri, headers, add_params_to_qs(body or "", [("client_id", client.client_id)])


def _invalid_grant(response: httpx.Response) -> httpx.Response:
    try:
        body = response.json()
    except ValueError:
        return response
    if (
        isinstance(body, dict)
        and body.get("error") == "invalid_request"
        and str(body.get("error_description", "")).startswith("Value passed for the")
    ):
        return rewrite_body_error(response, "invalid_grant", str(body["error_description"]))
    return response


class XOAuth(PlatformOAuth):
    platform = "TWITTER"
    scope = "tweet.read users.read offline.access"
    pkce = True
    auth_method = "client_secret_basic_and_id"

    def configure(self, oauth: AsyncOAuth2Client) -> None:
        oauth.register_client_auth_method(("client_secret_basic_and_id", _basic_and_client_id))
        oauth.register_compliance_hook("access_token_response", _invalid_grant)
        oauth.register_compliance_hook("refresh_token_response", _invalid_grant)

    async def own_stats(self, access_token: str) -> PlatformProfile:
        body = await self.get_json(
            f"{self.settings.api_url}/users/me?user.fields=public_metrics,username,name,"
            "profile_image_url,verified",
            access_token,
        )
        user: dict[str, Any] = body.get("data") or {}
        metrics = user.get("public_metrics") or {}
        return PlatformProfile(
            platform=Platform.TWITTER,
            handle=str(user.get("username") or ""),
            platform_user_id=str(user.get("id") or ""),
            display_name=user.get("name"),
            avatar_url=user.get("profile_image_url"),
            bio=None,
            verified=user.get("verified"),
            followers=as_int(metrics.get("followers_count")),
            following=as_int(metrics.get("following_count")),
            content_count=as_int(metrics.get("tweet_count")),
            total_likes=as_int(metrics.get("like_count")),
            total_views=None,
            engagement=Engagement.not_available(),
            precision=CountPrecision.EXACT,
            provider=ProviderName.OAUTH,
            fetched_at=datetime.now(UTC),
        )
