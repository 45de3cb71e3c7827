"""Builds the OAuth client of every configured platform (the lifespan builds and closes them)."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from adapters.oauth.client import PlatformOAuth
from adapters.oauth.instagram import InstagramOAuth
from adapters.oauth.tiktok import TikTokOAuth
from adapters.oauth.twitch import TwitchOAuth
from adapters.oauth.x import XOAuth
from adapters.oauth.youtube import YouTubeOAuth
from settings import OAuthSettings

CLIENT_CLASSES: Mapping[str, type[PlatformOAuth]] = {
    "TIKTOK": TikTokOAuth,
    "YOUTUBE": YouTubeOAuth,
    "TWITCH": TwitchOAuth,
    "INSTAGRAM": InstagramOAuth,
    "TWITTER": XOAuth,
}


class OAuthClients:
    """The configured platforms' clients, by platform name (``TIKTOK`` …)."""

    def __init__(self, clients: Mapping[str, PlatformOAuth]) -> None:
        self._clients = dict(clients)

    def configured(self, platform: str) -> bool:
        return platform in self._clients

    def get(self, platform: str) -> PlatformOAuth | None:
        return self._clients.get(platform)

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()


def build_oauth_clients(settings: OAuthSettings, http: httpx.AsyncClient) -> OAuthClients:
    """Token calls take the same timeouts as the shared client (Authlib's client is its own
    httpx client, so it cannot share the pool); API calls use the shared client itself."""
    return OAuthClients(
        {
            platform: cls(
                settings.clients[platform], settings.redirect_uri(platform), http, http.timeout
            )
            for platform, cls in CLIENT_CLASSES.items()
            if settings.configured(platform)
        }
    )
