"""The long-lived collaborators an operation may need. The app's lifespan builds them (app.py),
in one place, sharing one Redis client among broker, cache and limiters."""

from __future__ import annotations

from dataclasses import dataclass

from adapters.broker import Broker
from adapters.passwords import PasswordHasher
from adapters.platforms.lookup import PlatformLookup
from adapters.query_budget import QueryBudget
from adapters.ratelimit import RateLimiter
from adapters.tokens import TokenIssuer
from resolvers.media import MediaServices


@dataclass(slots=True)
class Services:
    tokens: TokenIssuer
    passwords: PasswordHasher
    sync_limiter: RateLimiter
    sign_in_limiter: RateLimiter  # sign-in attempts per email and client address
    sign_in_address_limiter: RateLimiter  # sign-in attempts per client address, any email
    register_limiter: RateLimiter  # registrations per client address
    broker: Broker
    platforms: PlatformLookup  # cached provider lookups (adapters/platforms/)
    platform_refresh_limiter: RateLimiter  # forced refreshes per user
    platform_lookup_limiter: RateLimiter  # uncached lookups per user
    query_budget: QueryBudget  # query cost per client over time
    message_limiter: RateLimiter  # chat messages per user
    collab_request_limiter: RateLimiter  # collaboration requests per user
    media: MediaServices  # avatar uploads and the image proxy (resolvers/media.py)
