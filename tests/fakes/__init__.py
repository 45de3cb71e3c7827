"""Local fake provider servers: real HTTP on 127.0.0.1 speaking each provider's real format
(status codes, headers, odd bodies). ``FakeProviders`` starts them all and gives the
environment that points a creatorgraph server at them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from settings import ProviderSettings
from tests.fakes.apify import APIFY_TOKEN, FakeApify
from tests.fakes.instagram_graph import GRAPH_TOKEN, GRAPH_USER_ID, FakeInstagramGraph
from tests.fakes.rapidapi import (
    RAPIDAPI_KEY,
    FakeTikTokApi23,
    FakeTwitchScraper2,
    FakeTwitter241,
)
from tests.fakes.server import FakeProvider, Reply
from tests.fakes.twitch import CLIENT_ID, CLIENT_SECRET, FakeTwitch
from tests.fakes.x import BEARER, FakeX
from tests.fakes.youtube import API_KEY, FakeYouTube

__all__ = ["FakeProviders", "Reply"]


@dataclass
class FakeProviders:
    youtube: FakeYouTube
    twitch: FakeTwitch
    x: FakeX
    tiktok: FakeTikTokApi23
    twitter241: FakeTwitter241
    twitch_scraper: FakeTwitchScraper2
    apify: FakeApify
    graph: FakeInstagramGraph

    @classmethod
    async def start(cls) -> FakeProviders:
        fakes = cls(
            FakeYouTube(),
            FakeTwitch(),
            FakeX(),
            FakeTikTokApi23(),
            FakeTwitter241(),
            FakeTwitchScraper2(),
            FakeApify(),
            FakeInstagramGraph(),
        )
        await asyncio.gather(*(f.start() for f in fakes.all()))
        return fakes

    def all(self) -> list[FakeProvider]:
        return [
            self.youtube,
            self.twitch,
            self.x,
            self.tiktok,
            self.twitter241,
            self.twitch_scraper,
            self.apify,
            self.graph,
        ]

    async def stop(self) -> None:
        await asyncio.gather(*(f.stop() for f in self.all()))

    def environment(self, **overrides: str) -> dict[str, str]:
        """Every provider configured and pointed at its fake, with retries fast enough for
        tests and a circuit breaker patient enough that tests sharing a server do not trip it."""
        env = {
            "YOUTUBE_API_KEY": API_KEY,
            "TWITCH_CLIENT_ID": CLIENT_ID,
            "TWITCH_CLIENT_SECRET": CLIENT_SECRET,
            "X_BEARER_TOKEN": BEARER,
            "RAPIDAPI_KEY": RAPIDAPI_KEY,
            "APIFY_TOKEN": APIFY_TOKEN,
            "INSTAGRAM_GRAPH_TOKEN": GRAPH_TOKEN,
            "INSTAGRAM_GRAPH_USER_ID": GRAPH_USER_ID,
            "YOUTUBE_API_URL": f"{self.youtube.url}/youtube/v3",
            "TWITCH_API_URL": f"{self.twitch.url}/helix",
            "TWITCH_AUTH_URL": f"{self.twitch.url}/oauth2",
            "X_API_URL": f"{self.x.url}/2",
            "RAPIDAPI_TIKTOK_URL": self.tiktok.url,
            "RAPIDAPI_TWITTER_URL": self.twitter241.url,
            "RAPIDAPI_TWITCH_URL": self.twitch_scraper.url,
            "APIFY_API_URL": f"{self.apify.url}/v2",
            "INSTAGRAM_GRAPH_URL": f"{self.graph.url}/v25.0",
            "PROVIDER_CONNECT_TIMEOUT_SECONDS": "2",
            "PROVIDER_READ_TIMEOUT_SECONDS": "2",
            "PROVIDER_RETRY_BASE_SECONDS": "0.01",
            "PROVIDER_RETRY_MAX_SECONDS": "0.05",
            "PROVIDER_RETRY_AFTER_MAX_SECONDS": "2",
            "PROVIDER_BREAKER_FAILURES": "50",
            "PLATFORM_LOOKUP_RATE_LIMIT": "100000/minute",
        }
        env.update(overrides)
        return env

    def settings(self, **overrides: str) -> ProviderSettings:
        return ProviderSettings.from_env(self.environment(**overrides))
