"""The long-lived collaborators an operation may need. The app's lifespan builds them (app.py),
in one place, sharing one Redis client among broker, cache and limiters."""

from __future__ import annotations

from dataclasses import dataclass, field

from adapters.background import BackgroundTasks
from adapters.broker import Broker
from adapters.mailer import Mailer
from adapters.metrics import Metrics
from adapters.oauth import OAuthClients
from adapters.one_time_codes import CodeHasher
from adapters.passwords import PasswordHasher
from adapters.platforms.lookup import PlatformLookup
from adapters.query_budget import QueryBudget
from adapters.ratelimit import RateLimiter
from adapters.ssrf import AddressGuard
from adapters.tag_generations import MemoryTagGenerations, TagGenerations
from adapters.token_cipher import TokenCipher
from adapters.tokens import TokenIssuer
from adapters.view_counts import ViewCounts
from adapters.webhooks import WebhookSender
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
    metrics: Metrics  # the app's Prometheus metrics (adapters/metrics.py)
    mailer: Mailer  # SMTP or the outbox directory (adapters/mailer.py)
    background: BackgroundTasks  # work after the response: mail after commit
    codes: CodeHasher  # one-time codes sent by mail, stored as HMACs
    password_reset_limiter: RateLimiter  # password reset requests per client address
    unverified_may: frozenset[str]  # settings.UNVERIFIED_ACTIONS an unverified user may take
    media: MediaServices  # avatar uploads and the image proxy (resolvers/media.py)
    # OAuth connect: each configured platform's client, and the cipher of stored tokens (None
    # only when no platform is configured, which settings.py guarantees).
    oauth: OAuthClients = field(default_factory=lambda: OAuthClients({}))
    token_cipher: TokenCipher | None = None
    oauth_state_seconds: int = 600
    # Outbound webhooks (adapters/webhooks.py), through the media's address guard in the app.
    webhooks: WebhookSender = field(default_factory=lambda: WebhookSender(AddressGuard()))
    profile_views: ViewCounts = field(default_factory=ViewCounts)  # unwritten view counts
    # The response cache's per-tag generations (adapters/tag_generations.py): in Redis when
    # configured, so a change bumped on one instance is seen by every other's next read.
    tag_generations: TagGenerations = field(default_factory=MemoryTagGenerations)
