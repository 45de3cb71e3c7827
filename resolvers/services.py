"""The long-lived collaborators an operation may need, built once in the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass

from adapters.broker import Broker
from adapters.passwords import PasswordHasher
from adapters.ratelimit import RateLimiter
from adapters.tokens import TokenIssuer
from settings import Settings


@dataclass(slots=True)
class Services:
    settings: Settings
    tokens: TokenIssuer
    passwords: PasswordHasher
    sync_limiter: RateLimiter
    broker: Broker

    @classmethod
    def from_settings(cls, settings: Settings, broker: Broker) -> Services:
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
            broker=broker,
        )
