"""The long-lived collaborators an operation may need, built once in the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass

from adapters.broker import Broker
from adapters.passwords import PasswordHasher
from adapters.platforms.lookup import PlatformLookup
from adapters.query_budget import QueryBudget
from adapters.ratelimit import RateLimiter
from adapters.tokens import TokenIssuer
from settings import Settings


@dataclass(slots=True)
class Services:
    settings: Settings
    tokens: TokenIssuer
    passwords: PasswordHasher
    sync_limiter: RateLimiter
    sign_in_limiter: RateLimiter  # sign-in attempts per email address
    broker: Broker
    platforms: PlatformLookup  # cached provider lookups (adapters/platforms/)
    platform_refresh_limiter: RateLimiter  # forced refreshes per user
    platform_lookup_limiter: RateLimiter  # uncached lookups per user
    query_budget: QueryBudget  # query cost per client over time

    @classmethod
    def from_settings(
        cls, settings: Settings, broker: Broker, *, platforms: PlatformLookup
    ) -> Services:
        return cls(
            settings=settings,
            tokens=TokenIssuer(
                settings.jwt_secret,
                settings.jwt_issuer,
                settings.jwt_audience,
                settings.access_token_seconds,
                settings.refresh_token_seconds,
            ),
            passwords=PasswordHasher(memory_kib=settings.password_hash_memory_kib),
            sync_limiter=RateLimiter(settings.sync_rate_limit, settings.redis_url, "sync"),
            sign_in_limiter=RateLimiter(settings.sign_in_rate_limit, settings.redis_url, "sign-in"),
            broker=broker,
            platforms=platforms,
            platform_refresh_limiter=RateLimiter(
                settings.providers.refresh_rate_limit, settings.redis_url, "platform-refresh"
            ),
            platform_lookup_limiter=RateLimiter(
                settings.providers.lookup_rate_limit, settings.redis_url, "platform-lookup"
            ),
            query_budget=QueryBudget(settings.query_cost_budget, settings.redis_url),
        )
