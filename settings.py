"""Every setting, read once from the environment into one typed, immutable object.

Development defaults are safe to run on a laptop (a SQLite file and a signing secret kept under
``./data/``). Production mode (``CREATORGRAPH_ENV=production``) refuses to start with a secret
weaker than 32 bytes and turns GraphiQL and introspection off unless they are asked for.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tortoise.backends.base.config_generator import expand_db_url

log = logging.getLogger("creatorgraph.settings")

DATA_DIR = Path(os.environ.get("CREATORGRAPH_DATA_DIR", "data"))
MIN_SECRET_BYTES = 32
# A frontend dev server on port 3000 calling the API on 8000: the usual local setup.
DEVELOPMENT_ORIGINS = ("http://localhost:3000", "http://127.0.0.1:3000")


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class SettingsError(RuntimeError):
    """The environment describes a configuration the server must not start with."""


# Avatars are uploaded at most this large; the image proxy fetches at most this much.
IMAGE_MAX_BYTES = 5 * 1024 * 1024
# The platforms' avatar CDNs (docs/PROVIDERS.md): TikTok, Instagram/Facebook, YouTube, Twitch, X.
IMAGE_PROXY_HOSTS = (
    "tiktokcdn.com",
    "tiktokcdn-us.com",
    "cdninstagram.com",
    "fbcdn.net",
    "ggpht.com",
    "ytimg.com",
    "googleusercontent.com",
    "jtvnw.net",
    "twimg.com",
)


@dataclass(frozen=True, slots=True)
class MediaSettings:
    """Avatar uploads (where they are stored and served, how large, how often) and the image
    proxy (its signing secret, the CDN hosts it may fetch from, its limits)."""

    media_dir: Path = DATA_DIR / "media"
    # What stored keys are served under: "/media" (this app) or a CDN / bucket URL.
    media_base_url: str = "/media"
    # Where clients reach the image proxy: absolute when the web app is on another origin.
    image_proxy_url: str = "/images/proxy"
    upload_max_bytes: int = IMAGE_MAX_BYTES
    upload_rate_limit: str = "10/hour;30/day"
    image_proxy_secret: bytes = field(default=b"", repr=False)
    # Host suffixes the proxy fetches from; a host matches itself or any subdomain.
    image_proxy_hosts: tuple[str, ...] = IMAGE_PROXY_HOSTS
    image_proxy_max_bytes: int = IMAGE_MAX_BYTES
    image_proxy_cache_seconds: int = 24 * 3600
    # Tests only: lets the proxy reach loopback (a fake CDN); refused in production.
    image_proxy_allow_loopback: bool = False
    # S3-compatible storage instead of media_dir when a bucket is named; no endpoint means AWS,
    # no keys mean the default credential chain (environment, instance role).
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str], jwt_secret: str, production: bool) -> MediaSettings:
        allow_loopback = _bool(env, "IMAGE_PROXY_ALLOW_PRIVATE", False)
        if allow_loopback and production:
            raise SettingsError("IMAGE_PROXY_ALLOW_PRIVATE is for tests; never in production")
        own_secret = env.get("IMAGE_PROXY_SECRET", "")
        if own_secret and len(own_secret.encode()) < MIN_SECRET_BYTES and production:
            raise SettingsError(f"IMAGE_PROXY_SECRET must be at least {MIN_SECRET_BYTES} bytes")
        # Without its own secret, one derived from the JWT secret under a label: a proxy
        # signature can never be replayed as anything the JWT secret signs, nor the reverse.
        secret = (
            own_secret.encode()
            if own_secret
            else hmac.new(jwt_secret.encode(), b"creatorgraph image proxy", "sha256").digest()
        )
        hosts = env.get("IMAGE_PROXY_HOSTS")
        bucket = env.get("S3_BUCKET", "").strip() or None
        if bucket and not env.get("MEDIA_BASE_URL"):
            raise SettingsError(
                "S3_BUCKET needs MEDIA_BASE_URL: the public URL the bucket's objects are read "
                "from (the bucket's own or a CDN's)"
            )
        return cls(
            media_dir=Path(env.get("MEDIA_DIR") or DATA_DIR / "media"),
            media_base_url=(env.get("MEDIA_BASE_URL") or "/media").rstrip("/"),
            image_proxy_url=env.get("IMAGE_PROXY_URL") or "/images/proxy",
            upload_max_bytes=_int(env, "UPLOAD_MAX_BYTES", IMAGE_MAX_BYTES),
            upload_rate_limit=env.get("UPLOAD_RATE_LIMIT") or "10/hour;30/day",
            image_proxy_secret=secret,
            image_proxy_hosts=(
                tuple(h.strip().lower().lstrip(".") for h in hosts.split(",") if h.strip())
                if hosts is not None
                else IMAGE_PROXY_HOSTS
            ),
            image_proxy_max_bytes=_int(env, "IMAGE_PROXY_MAX_BYTES", IMAGE_MAX_BYTES),
            image_proxy_cache_seconds=_int(env, "IMAGE_PROXY_CACHE_SECONDS", 24 * 3600),
            image_proxy_allow_loopback=allow_loopback,
            s3_bucket=bucket,
            s3_endpoint_url=env.get("S3_ENDPOINT_URL", "").strip() or None,
            s3_region=env.get("S3_REGION", "").strip() or None,
            s3_access_key_id=env.get("S3_ACCESS_KEY_ID", "").strip() or None,
            s3_secret_access_key=env.get("S3_SECRET_ACCESS_KEY", "").strip() or None,
        )


@dataclass(frozen=True, slots=True)
class Settings:
    environment: str
    host: str
    port: int
    database_url: str
    redis_url: str | None
    jwt_secret: str
    jwt_issuer: str
    jwt_audience: str
    access_token_seconds: int
    refresh_token_seconds: int
    sync_rate_limit: str
    sign_in_rate_limit: str  # sign-in attempts per email and client address
    graphiql: bool
    introspection: bool
    password_hash_memory_kib: int
    max_body_bytes: int
    max_query_depth: int
    max_aliases: int
    max_tokens: int
    providers: ProviderSettings
    oauth: OAuthSettings
    # Websockets (subscriptions): connection_init wait, subscriptions per connection, largest
    # client message, frames queued for a client before it counts as too slow and is dropped.
    ws_init_timeout_seconds: int = 10
    ws_max_subscriptions: int = 20
    ws_max_message_bytes: int = 64 * 1024
    ws_send_queue_frames: int = 256
    # Browser origins (scheme://host[:port]) allowed to call the API cross-origin, over HTTP
    # (CORS) and websockets.
    cors_origins: tuple[str, ...] = ()
    # Work bounded before execution (schema/query_limits.py): the largest document in
    # characters, its fields counted with fragments expanded, the bytes of parsed documents
    # kept, the static cost of one operation, each client's cost budget over time, and how often
    # one mutation field may repeat in a request.
    max_document_chars: int = 32 * 1024
    max_selections: int = 250
    max_introspection_selections: int = 1000
    parse_cache_bytes: int = 32 * 1024 * 1024
    max_query_cost: int = 2000
    query_cost_budget: str = "12000/minute"
    max_repeated_mutations: int = 5
    # Reverse proxies whose X-Forwarded-For is believed (web/client_address.py); none by default,
    # so a client cannot choose the address its limits are counted under.
    trusted_proxies: tuple[Network, ...] = ()
    # Limits that a stranger cannot spend for someone else: sign-in attempts per client address
    # (all emails), registrations per client address, and messages and collaboration requests
    # per user. Several limits separated by ";" all hold ("30/minute;1000/day").
    sign_in_address_rate_limit: str = "30/minute"
    register_rate_limit: str = "5/hour"
    message_rate_limit: str = "30/minute;1000/day"
    collab_request_rate_limit: str = "10/minute;100/day"
    jobs: JobSettings = field(default_factory=lambda: JobSettings())
    # Operators (web/metrics.py, web/logs.py): the bearer token /metrics asks for (without one,
    # /metrics is open in development and test and refused in production), and the log format:
    # "json" (one object per line) or "text".
    metrics_token: str | None = None
    log_format: str = "text"
    log_level: str = "INFO"
    # Idempotency-Key (web/idempotency.py): how long a key's response is kept for retries, and
    # how long a request holding a key blocks others with it before a crash counts as released.
    idempotency_key_seconds: int = 24 * 3600
    idempotency_lock_seconds: int = 60
    # Persisted documents (web/persisted_documents.py): whether only the repo's trusted
    # documents (schema/documents/) run, and the bytes of Apollo APQ texts kept in memory per
    # instance and how long each lives in Redis when it is configured.
    trusted_documents_only: bool = False
    apq_cache_bytes: int = 8 * 1024 * 1024
    apq_ttl_seconds: int = 7 * 24 * 3600
    # HTTP caching of GET queries (web/http_cache.py): max-age and stale-while-revalidate of
    # anonymous answers, and the size from which answers are gzipped.
    http_cache_max_age: int = 5
    http_cache_stale_seconds: int = 30
    gzip_min_bytes: int = 1024
    # The response cache (web/response_cache.py): on or off, the bytes of entries kept per
    # instance, and how long an entry lives at most (a safety net: changes invalidate it).
    response_cache: bool = True
    response_cache_bytes: int = 64 * 1024 * 1024
    response_cache_ttl_seconds: int = 300
    # The compiled read path (web/compiled_reads.py): the hottest trusted documents answered by
    # one SQL statement each, instead of GraphQL execution. Off: every request runs Strawberry.
    compiled_reads: bool = True
    # Outages: how long one Redis command may take before Redis counts as down (a dead Redis
    # then costs each request this much once, not a TCP timeout), how long it is then left
    # alone before the next try, and how long in-flight requests get after SIGTERM.
    redis_timeout_seconds: float = 0.5
    redis_retry_seconds: float = 5.0
    shutdown_grace_seconds: int = 10
    # Mail (adapters/mailer.py): SMTP when SMTP_URL is set (smtp://user:pass@host:587 with
    # STARTTLS, smtps://… with TLS), else .eml files in mail_outbox_dir; the From address; and
    # which of the actions an unverified address holds back (UNVERIFIED_ACTIONS) an unverified
    # user may still take — none by default, the cheapest spam stopper.
    smtp_url: str | None = None
    mail_from: str = "creatorgraph <no-reply@localhost>"
    mail_outbox_dir: Path = DATA_DIR / "outbox"
    unverified_may: frozenset[str] = frozenset()
    password_reset_rate_limit: str = "10/hour"  # noqa: S105 (a limit, not a secret)
    # Avatar uploads, their storage and the image proxy for platform avatars.
    media: MediaSettings = MediaSettings()
    # Outbound webhooks: tests only, plain http and loopback receivers; refused in production.
    webhook_allow_private: bool = False

    @property
    def production(self) -> bool:
        return self.environment == "production"

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://", "asyncpg://"))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        environment = env.get("CREATORGRAPH_ENV", "development").strip().lower()
        if environment not in {"development", "production", "test"}:
            raise SettingsError(
                f"CREATORGRAPH_ENV must be development, production or test, not {environment!r}"
            )
        production = environment == "production"
        jwt_secret = _jwt_secret(env, production)
        return cls(
            environment=environment,
            host=env.get("HOST", "127.0.0.1"),
            port=_int(env, "PORT", 8000),
            database_url=database_url(env),
            redis_url=env.get("REDIS_URL") or None,
            jwt_secret=jwt_secret,
            jwt_issuer=env.get("JWT_ISSUER", "creatorgraph"),
            jwt_audience=env.get("JWT_AUDIENCE", "creatorgraph-api"),
            access_token_seconds=_int(env, "ACCESS_TOKEN_SECONDS", 15 * 60),
            refresh_token_seconds=_int(env, "REFRESH_TOKEN_SECONDS", 30 * 24 * 3600),
            sync_rate_limit=env.get("SYNC_RATE_LIMIT", "10/minute"),
            sign_in_rate_limit=env.get("SIGN_IN_RATE_LIMIT", "10/minute"),
            graphiql=_bool(env, "GRAPHIQL", not production),
            introspection=_bool(env, "INTROSPECTION", not production),
            password_hash_memory_kib=_int(env, "PASSWORD_HASH_MEMORY_KIB", 65536),
            max_body_bytes=_int(env, "MAX_BODY_BYTES", 256 * 1024),
            max_query_depth=_int(env, "MAX_QUERY_DEPTH", 12),
            max_aliases=_int(env, "MAX_ALIASES", 30),
            max_tokens=_int(env, "MAX_TOKENS", 3000),
            providers=ProviderSettings.from_env(env, environment),
            oauth=OAuthSettings.from_env(env, production),
            ws_init_timeout_seconds=_int(env, "WS_INIT_TIMEOUT_SECONDS", 10),
            ws_max_subscriptions=_int(env, "WS_MAX_SUBSCRIPTIONS", 20),
            ws_max_message_bytes=_int(env, "WS_MAX_MESSAGE_BYTES", 64 * 1024),
            ws_send_queue_frames=_int(env, "WS_SEND_QUEUE_FRAMES", 256),
            cors_origins=_origins(
                env, "CORS_ORIGINS", DEVELOPMENT_ORIGINS if environment == "development" else ()
            ),
            max_document_chars=_int(env, "MAX_DOCUMENT_CHARS", 32 * 1024),
            max_selections=_int(env, "MAX_SELECTIONS", 250),
            max_introspection_selections=_int(env, "MAX_INTROSPECTION_SELECTIONS", 1000),
            parse_cache_bytes=_int(env, "PARSE_CACHE_BYTES", 32 * 1024 * 1024),
            max_query_cost=_int(env, "MAX_QUERY_COST", 2000),
            query_cost_budget=env.get("QUERY_COST_BUDGET") or "12000/minute",
            max_repeated_mutations=_int(env, "MAX_REPEATED_MUTATIONS", 5),
            redis_timeout_seconds=_float(env, "REDIS_TIMEOUT_SECONDS", 0.5),
            redis_retry_seconds=_float(env, "REDIS_RETRY_SECONDS", 5.0),
            shutdown_grace_seconds=_int(env, "SHUTDOWN_GRACE_SECONDS", 10),
            metrics_token=env.get("METRICS_TOKEN") or None,
            log_format=_choice(
                env, "LOG_FORMAT", ("text", "json"), "json" if production else "text"
            ),
            log_level=_choice(
                env, "LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO", upper=True
            ),
            trusted_proxies=_networks(env, "TRUSTED_PROXIES"),
            sign_in_address_rate_limit=env.get("SIGN_IN_ADDRESS_RATE_LIMIT") or "30/minute",
            register_rate_limit=env.get("REGISTER_RATE_LIMIT") or "5/hour",
            message_rate_limit=env.get("MESSAGE_RATE_LIMIT") or "30/minute;1000/day",
            collab_request_rate_limit=env.get("COLLAB_REQUEST_RATE_LIMIT") or "10/minute;100/day",
            jobs=JobSettings.from_env(env),
            media=MediaSettings.from_env(env, jwt_secret, production),
            smtp_url=_smtp_url(env),
            mail_from=env.get("MAIL_FROM") or "creatorgraph <no-reply@localhost>",
            mail_outbox_dir=Path(env.get("MAIL_OUTBOX_DIR") or DATA_DIR / "outbox"),
            unverified_may=_unverified_may(env),
            password_reset_rate_limit=env.get("PASSWORD_RESET_RATE_LIMIT") or "10/hour",
            idempotency_key_seconds=_int(env, "IDEMPOTENCY_KEY_SECONDS", 24 * 3600),
            idempotency_lock_seconds=_int(env, "IDEMPOTENCY_LOCK_SECONDS", 60),
            webhook_allow_private=_webhook_allow_private(env, production),
            trusted_documents_only=_bool(env, "TRUSTED_DOCUMENTS_ONLY", False),
            apq_cache_bytes=_int(env, "APQ_CACHE_BYTES", 8 * 1024 * 1024),
            apq_ttl_seconds=_int(env, "APQ_TTL_SECONDS", 7 * 24 * 3600),
            http_cache_max_age=_int(env, "HTTP_CACHE_MAX_AGE", 5),
            http_cache_stale_seconds=_int(env, "HTTP_CACHE_STALE_SECONDS", 30),
            gzip_min_bytes=_int(env, "GZIP_MIN_BYTES", 1024),
            response_cache=_bool(env, "RESPONSE_CACHE", True),
            response_cache_bytes=_positive_int(env, "RESPONSE_CACHE_BYTES", 64 * 1024 * 1024),
            response_cache_ttl_seconds=_positive_int(env, "RESPONSE_CACHE_TTL_SECONDS", 300),
            compiled_reads=_bool(env, "COMPILED_READS", True),
        )


@dataclass(frozen=True, slots=True)
class JobSettings:
    """The job engine (jobs/) and what its jobs do.

    ``worker``: run a worker inside each server process (``JOBS_WORKER=off`` when workers run
    apart, as ``python app.py worker``). The scheduled refresh looks for due accounts on
    ``refresh_cron`` and takes at most ``refresh_batch`` of them a run; an account is due again
    after ``refresh_hot_seconds`` when its followers moved by ``hot_change_percent`` or more at
    its last refresh or its profile was read by others ``refresh_hot_views`` times or more on
    the current or the previous UTC day, ``refresh_dormant_seconds`` when its owner has not been
    seen for ``dormant_after_days``, else ``refresh_default_seconds``. Background work leaves
    the last ``quota_reserve_percent`` of a provider's quota to users. Snapshots are all kept
    for ``history_full_days``, then one a day per account until ``history_keep_days``.
    """

    worker: bool = True
    shutdown_seconds: float = 10.0
    refresh_cron: str = "*/5 * * * *"
    refresh_batch: int = 50
    refresh_hot_seconds: int = 3600
    refresh_default_seconds: int = 86400
    refresh_dormant_seconds: int = 604800
    refresh_retry_seconds: int = 900
    hot_change_percent: float = 1.0
    refresh_hot_views: int = 20
    dormant_after_days: int = 30
    quota_reserve_percent: float = 10.0
    history_full_days: int = 30
    history_keep_days: int = 730

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> JobSettings:
        return cls(
            worker=_bool(env, "JOBS_WORKER", True),
            shutdown_seconds=_float(env, "JOBS_SHUTDOWN_SECONDS", 10.0),
            refresh_cron=_cron(env, "REFRESH_CRON", "*/5 * * * *"),
            refresh_batch=max(1, _int(env, "REFRESH_BATCH", 50)),
            refresh_hot_seconds=_int(env, "REFRESH_HOT_SECONDS", 3600),
            refresh_default_seconds=_int(env, "REFRESH_DEFAULT_SECONDS", 86400),
            refresh_dormant_seconds=_int(env, "REFRESH_DORMANT_SECONDS", 604800),
            refresh_retry_seconds=_int(env, "REFRESH_RETRY_SECONDS", 900),
            hot_change_percent=_float(env, "REFRESH_HOT_CHANGE_PERCENT", 1.0),
            refresh_hot_views=max(1, _int(env, "REFRESH_HOT_VIEWS", 20)),
            dormant_after_days=_int(env, "REFRESH_DORMANT_AFTER_DAYS", 30),
            quota_reserve_percent=min(100.0, _float(env, "QUOTA_RESERVE_PERCENT", 10.0)),
            history_full_days=_int(env, "HISTORY_FULL_DAYS", 30),
            history_keep_days=_int(env, "HISTORY_KEEP_DAYS", 730),
        )


def database_url(env: Mapping[str, str]) -> str:
    return env.get("DATABASE_URL") or f"sqlite://{DATA_DIR / 'creatorgraph.sqlite3'}"


def __getattr__(name: str) -> object:
    """``settings.TORTOISE_ORM`` for Tortoise's own CLI (``python -m tortoise -c
    settings.TORTOISE_ORM makemigrations``), computed on access rather than at import."""
    if name == "TORTOISE_ORM":
        return tortoise_config(database_url(os.environ))
    raise AttributeError(name)


def tortoise_config(database_url: str) -> dict[str, object]:
    """The one Tortoise configuration: the server, the migration command and the tests use it."""
    url = database_url
    if url.startswith("sqlite://") and url != "sqlite://:memory:":
        Path(url.removeprefix("sqlite://")).parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("postgresql://"):
        url = "postgres://" + url.removeprefix("postgresql://")
    connection: str | dict[str, Any] = url
    if url.startswith("postgres://"):
        # Tortoise's asyncpg backend with a fairer pool that skips the reset round trip.
        connection = {**expand_db_url(url), "engine": "adapters.postgres_pool"}
    return {
        "connections": {"default": connection},
        "apps": {
            "models": {
                "models": ["models"],
                "migrations": "migrations",
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _webhook_allow_private(env: Mapping[str, str], production: bool) -> bool:
    allow = _bool(env, "WEBHOOK_ALLOW_PRIVATE", False)
    if allow and production:
        raise SettingsError("WEBHOOK_ALLOW_PRIVATE is for tests; never in production")
    return allow


def _jwt_secret(env: Mapping[str, str], production: bool) -> str:
    secret = env.get("JWT_SECRET", "")
    if secret:
        if len(secret.encode()) < MIN_SECRET_BYTES:
            if production:
                raise SettingsError(f"JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes")
            log.warning(
                "JWT_SECRET is shorter than %d bytes; fine for development only", MIN_SECRET_BYTES
            )
        return secret
    if production:
        raise SettingsError(
            f"JWT_SECRET is required in production (at least {MIN_SECRET_BYTES} "
            "bytes, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
        )
    path = DATA_DIR / "jwt-secret"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
        log.warning(
            "No JWT_SECRET set: generated a development secret in %s. "
            "Set JWT_SECRET in production.",
            path,
        )
    return path.read_text().strip()


# What an unverified email address holds back: sending chat messages and collaboration requests.
UNVERIFIED_ACTIONS = ("messages", "collab-requests")


def _unverified_may(env: Mapping[str, str]) -> frozenset[str]:
    """``UNVERIFIED_MAY``: a comma-separated list of UNVERIFIED_ACTIONS, ``all`` or ``none``."""
    raw = (env.get("UNVERIFIED_MAY") or "none").strip().lower()
    if raw == "none":
        return frozenset()
    if raw == "all":
        return frozenset(UNVERIFIED_ACTIONS)
    chosen = {a.strip() for a in raw.split(",") if a.strip()}
    unknown = sorted(chosen - set(UNVERIFIED_ACTIONS))
    if unknown:
        raise SettingsError(
            f"UNVERIFIED_MAY may list {', '.join(UNVERIFIED_ACTIONS)} (or all, none); "
            f"not {', '.join(unknown)}"
        )
    return frozenset(chosen)


def _smtp_url(env: Mapping[str, str]) -> str | None:
    url = env.get("SMTP_URL", "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise SettingsError("SMTP_URL must look like smtp://user:pass@host:587 or smtps://host:465")
    return url


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be an integer, not {raw!r}") from exc


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if value < 1:
        raise SettingsError(f"{name} must be at least 1, not {value}")
    return value


def _origins(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """A comma-separated list of exact origins, each written as a browser sends it in ``Origin``
    (``https://app.example.com``, ``http://localhost:3000``): no path, no wildcard, no default
    port. Unset means ``default``; set but empty means none."""
    raw = env.get(name)
    if raw is None:
        return default
    origins = []
    for entry in (e.strip() for e in raw.split(",")):
        if not entry:
            continue
        canonical = _canonical_origin(entry)
        if canonical != entry:
            hint = f"; write it as {canonical!r}" if canonical else ""
            raise SettingsError(
                f"{name}: {entry!r} is not an origin (scheme://host[:port], no path, no "
                f"wildcard){hint}"
            )
        origins.append(entry)
    return tuple(dict.fromkeys(origins))


def _networks(env: Mapping[str, str], name: str) -> tuple[Network, ...]:
    """A comma-separated list of IP addresses and CIDR networks (``10.0.0.0/8``, ``::1``). A
    mistyped entry stops the server: silently trusting less (or more) than meant is worse."""
    networks = []
    for entry in (e.strip() for e in env.get(name, "").split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry))
        except ValueError as exc:
            raise SettingsError(
                f"{name}: {entry!r} is not an IP address or network ({exc})"
            ) from exc
    return tuple(dict.fromkeys(networks))


def _canonical_origin(entry: str) -> str | None:
    """``entry`` serialised the way browsers send ``Origin``, or None when it cannot be one."""
    if "*" in entry:
        return None
    try:
        parts = urlsplit(entry)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.username is not None:
        return None
    if parts.password is not None or parts.query or parts.fragment or parts.path not in {"", "/"}:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    default_port = {"http": 80, "https": 443}[parts.scheme]
    suffix = f":{port}" if port is not None and port != default_port else ""
    return f"{parts.scheme}://{host}{suffix}"


def _choice(
    env: Mapping[str, str],
    name: str,
    choices: tuple[str, ...],
    default: str,
    *,
    upper: bool = False,
) -> str:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    value = raw.upper() if upper else raw.lower()
    if value not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, not {raw!r}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name} must be true or false, not {raw!r}")


# Platform data providers: which providers may serve each platform, in the default order tried.
PLATFORM_PROVIDERS: dict[str, tuple[str, ...]] = {
    "TIKTOK": ("rapidapi",),
    "TWITTER": ("x", "rapidapi"),
    "TWITCH": ("helix", "rapidapi"),
    "INSTAGRAM": ("instagram_graph", "apify"),
    "YOUTUBE": ("youtube",),
}


@dataclass(frozen=True, slots=True)
class ProviderSettings:
    """Credentials, base URLs and behaviour of the platform data providers. A provider without
    its credentials is never used; a platform with none left is manual-only."""

    youtube_api_key: str | None
    twitch_client_id: str | None
    twitch_client_secret: str | None
    x_bearer_token: str | None
    rapidapi_key: str | None
    apify_token: str | None
    instagram_graph_token: str | None
    instagram_graph_user_id: str | None
    youtube_api_url: str
    twitch_api_url: str
    twitch_auth_url: str
    x_api_url: str
    rapidapi_tiktok_url: str
    rapidapi_twitter_url: str
    rapidapi_twitch_url: str
    apify_api_url: str
    instagram_graph_url: str
    preferences: Mapping[str, tuple[str, ...]]  # platform → provider names, in order
    connect_timeout_seconds: float
    read_timeout_seconds: float
    apify_timeout_seconds: float
    retry_attempts: int
    retry_base_seconds: float
    retry_max_seconds: float
    retry_after_max_seconds: float
    breaker_failures: int
    breaker_reset_seconds: float
    cache_seconds: float
    negative_cache_seconds: float
    error_cache_seconds: float
    lock_seconds: float
    refresh_rate_limit: str
    lookup_rate_limit: str
    # The demo provider (adapters/platforms/demo.py): made-up numbers for every platform, last in
    # each chain so configured providers win. DEMO_PROVIDER=on|off; on by default in
    # development only, refused in production.
    demo: bool = False

    def has_credentials(self, provider: str) -> bool:
        return {
            "youtube": bool(self.youtube_api_key),
            "helix": bool(self.twitch_client_id and self.twitch_client_secret),
            "x": bool(self.x_bearer_token),
            "rapidapi": bool(self.rapidapi_key),
            "apify": bool(self.apify_token),
            "instagram_graph": bool(self.instagram_graph_token and self.instagram_graph_user_id),
        }.get(provider, False)

    def providers_for(self, platform: str) -> tuple[str, ...]:
        """The platform's configured providers, in the order they are tried."""
        configured = tuple(p for p in self.preferences.get(platform, ()) if self.has_credentials(p))
        return (*configured, "demo") if self.demo else configured

    @classmethod
    def from_env(cls, env: Mapping[str, str], environment: str | None = None) -> ProviderSettings:
        """``environment`` is the server's (development, test, production); None when provider
        settings are built on their own (tools, tests), which get the demo provider only when
        DEMO_PROVIDER asks for it."""

        def secret(name: str) -> str | None:
            return env.get(name, "").strip() or None

        def url(name: str, default: str) -> str:
            return (env.get(name) or default).rstrip("/")

        return cls(
            youtube_api_key=secret("YOUTUBE_API_KEY"),
            twitch_client_id=secret("TWITCH_CLIENT_ID"),
            twitch_client_secret=secret("TWITCH_CLIENT_SECRET"),
            x_bearer_token=secret("X_BEARER_TOKEN"),
            rapidapi_key=secret("RAPIDAPI_KEY"),
            apify_token=secret("APIFY_TOKEN"),
            instagram_graph_token=secret("INSTAGRAM_GRAPH_TOKEN"),
            instagram_graph_user_id=secret("INSTAGRAM_GRAPH_USER_ID"),
            youtube_api_url=url("YOUTUBE_API_URL", "https://www.googleapis.com/youtube/v3"),
            twitch_api_url=url("TWITCH_API_URL", "https://api.twitch.tv/helix"),
            twitch_auth_url=url("TWITCH_AUTH_URL", "https://id.twitch.tv/oauth2"),
            x_api_url=url("X_API_URL", "https://api.x.com/2"),
            rapidapi_tiktok_url=url("RAPIDAPI_TIKTOK_URL", "https://tiktok-api23.p.rapidapi.com"),
            rapidapi_twitter_url=url("RAPIDAPI_TWITTER_URL", "https://twitter241.p.rapidapi.com"),
            rapidapi_twitch_url=url(
                "RAPIDAPI_TWITCH_URL", "https://twitch-scraper2.p.rapidapi.com"
            ),
            apify_api_url=url("APIFY_API_URL", "https://api.apify.com/v2"),
            instagram_graph_url=url("INSTAGRAM_GRAPH_URL", "https://graph.facebook.com/v25.0"),
            preferences={p: _provider_preference(env, p) for p in PLATFORM_PROVIDERS},
            connect_timeout_seconds=_float(env, "PROVIDER_CONNECT_TIMEOUT_SECONDS", 3.0),
            read_timeout_seconds=_float(env, "PROVIDER_READ_TIMEOUT_SECONDS", 10.0),
            apify_timeout_seconds=_float(env, "APIFY_TIMEOUT_SECONDS", 60.0),
            retry_attempts=max(1, _int(env, "PROVIDER_RETRY_ATTEMPTS", 3)),
            retry_base_seconds=_float(env, "PROVIDER_RETRY_BASE_SECONDS", 0.5),
            retry_max_seconds=_float(env, "PROVIDER_RETRY_MAX_SECONDS", 8.0),
            retry_after_max_seconds=_float(env, "PROVIDER_RETRY_AFTER_MAX_SECONDS", 10.0),
            breaker_failures=max(1, _int(env, "PROVIDER_BREAKER_FAILURES", 5)),
            breaker_reset_seconds=_float(env, "PROVIDER_BREAKER_RESET_SECONDS", 30.0),
            cache_seconds=_float(env, "PLATFORM_CACHE_SECONDS", 300.0),
            negative_cache_seconds=_float(env, "PLATFORM_NEGATIVE_CACHE_SECONDS", 60.0),
            error_cache_seconds=_float(env, "PLATFORM_ERROR_CACHE_SECONDS", 5.0),
            lock_seconds=_float(env, "PLATFORM_LOCK_SECONDS", 15.0),
            refresh_rate_limit=env.get("PLATFORM_REFRESH_RATE_LIMIT") or "3/hour",
            lookup_rate_limit=env.get("PLATFORM_LOOKUP_RATE_LIMIT") or "60/minute",
            demo=_demo_provider(env, environment),
        )


def _demo_provider(env: Mapping[str, str], environment: str | None) -> bool:
    demo = _bool(env, "DEMO_PROVIDER", environment == "development")
    if demo and environment == "production":
        raise SettingsError(
            "DEMO_PROVIDER=on makes up platform stats: it is for development only and is "
            "refused in production."
        )
    return demo


def _cron(env: Mapping[str, str], name: str, default: str) -> str:
    """A cron schedule: five fields, or six with seconds last."""
    from croniter import croniter

    value = (env.get(name) or default).strip()
    if not croniter.is_valid(value):
        raise SettingsError(f"{name} must be a cron schedule such as '*/5 * * * *', not {value!r}")
    return value


def _provider_preference(env: Mapping[str, str], platform: str) -> tuple[str, ...]:
    name = f"{platform}_PROVIDERS"
    raw = env.get(name)
    if raw is None:
        return PLATFORM_PROVIDERS[platform]
    chosen = tuple(p.strip().lower() for p in raw.split(",") if p.strip())
    allowed = PLATFORM_PROVIDERS[platform]
    unknown = [p for p in chosen if p not in allowed]
    if unknown:
        raise SettingsError(f"{name} may list only {', '.join(allowed)}; not {', '.join(unknown)}")
    return tuple(dict.fromkeys(chosen))


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number, not {raw!r}") from exc
    if not value >= 0 or value == float("inf"):
        raise SettingsError(f"{name} must be a finite number of at least 0, not {raw!r}")
    return value


# OAuth connect (OAUTH.md): each platform's real endpoints. Twitch's default to the Helix
# provider's TWITCH_AUTH_URL / TWITCH_API_URL, as the same Twitch app serves both.
OAUTH_PLATFORMS = ("TIKTOK", "YOUTUBE", "TWITCH", "INSTAGRAM", "TWITTER")
OAUTH_ENDPOINTS: dict[str, tuple[str, str, str, str]] = {  # authorize, token, revoke, api
    "TIKTOK": (
        "https://www.tiktok.com/v2/auth/authorize/",
        "https://open.tiktokapis.com/v2/oauth/token/",
        "https://open.tiktokapis.com/v2/oauth/revoke/",
        "https://open.tiktokapis.com/v2",
    ),
    "YOUTUBE": (
        "https://accounts.google.com/o/oauth2/v2/auth",
        "https://oauth2.googleapis.com/token",
        "https://oauth2.googleapis.com/revoke",
        "https://www.googleapis.com/youtube/v3",
    ),
    "TWITCH": (
        "https://id.twitch.tv/oauth2/authorize",
        "https://id.twitch.tv/oauth2/token",
        "https://id.twitch.tv/oauth2/revoke",
        "https://api.twitch.tv/helix",
    ),
    "INSTAGRAM": (
        "https://www.instagram.com/oauth/authorize",
        "https://api.instagram.com/oauth/access_token",
        "",  # Instagram Login has no revocation endpoint: disconnect only forgets the token
        "https://graph.instagram.com",
    ),
    "TWITTER": (
        "https://x.com/i/oauth2/authorize",
        "https://api.x.com/2/oauth2/token",
        "https://api.x.com/2/oauth2/revoke",
        "https://api.x.com/2",
    ),
}
TOKEN_KEY_BYTES = 32  # AES-256


@dataclass(frozen=True, slots=True)
class OAuthClientSettings:
    """One platform's OAuth app and endpoints. ``api_url`` answers "my own stats"."""

    client_id: str | None
    client_secret: str | None
    authorize_url: str
    token_url: str
    revoke_url: str
    api_url: str

    @property
    def has_credentials(self) -> bool:
        return bool(self.client_id and self.client_secret)


@dataclass(frozen=True, slots=True)
class OAuthSettings:
    """OAuth connect: per-platform apps, this server's public base URL (redirect URIs are
    ``{redirect_base_url}/oauth/callback/{platform}``, registered with each platform and compared
    exactly by it), where the browser lands afterwards, and the token encryption keys (the first
    encrypts, all decrypt)."""

    clients: Mapping[str, OAuthClientSettings]
    redirect_base_url: str | None
    result_url: str
    token_keys: tuple[tuple[str, bytes], ...]
    state_seconds: int = 600

    def configured(self, platform: str) -> bool:
        """A platform can be connected with OAuth: its app's credentials and a public base URL
        for the redirect URI are set (TWITCH_CLIENT_ID alone only feeds the Helix provider)."""
        client = self.clients.get(platform)
        return bool(self.redirect_base_url and client is not None and client.has_credentials)

    def redirect_uri(self, platform: str) -> str:
        return f"{self.redirect_base_url}/oauth/callback/{platform.lower()}"

    @classmethod
    def from_env(cls, env: Mapping[str, str], production: bool) -> OAuthSettings:
        def url(name: str, default: str) -> str:
            return (env.get(name) or default).strip()

        twitch_auth = (env.get("TWITCH_AUTH_URL") or "").rstrip("/")
        twitch_api = (env.get("TWITCH_API_URL") or "").rstrip("/")
        clients = {}
        for platform in OAUTH_PLATFORMS:
            authorize, token, revoke, api = OAUTH_ENDPOINTS[platform]
            if platform == "TWITCH" and twitch_auth:
                authorize, token, revoke = (
                    f"{twitch_auth}/authorize",
                    f"{twitch_auth}/token",
                    f"{twitch_auth}/revoke",
                )
            if platform == "TWITCH" and twitch_api:
                api = twitch_api
            clients[platform] = OAuthClientSettings(
                client_id=env.get(f"{platform}_CLIENT_ID", "").strip() or None,
                client_secret=env.get(f"{platform}_CLIENT_SECRET", "").strip() or None,
                authorize_url=url(f"{platform}_OAUTH_AUTHORIZE_URL", authorize),
                token_url=url(f"{platform}_OAUTH_TOKEN_URL", token),
                revoke_url=url(f"{platform}_OAUTH_REVOKE_URL", revoke),
                api_url=url(f"{platform}_OAUTH_API_URL", api).rstrip("/"),
            )
        base = (env.get("OAUTH_REDIRECT_BASE_URL") or "").strip().rstrip("/") or None
        partial = cls(clients, base, "", ())
        wanted = any(partial.configured(p) for p in OAUTH_PLATFORMS)
        return cls(
            clients=clients,
            redirect_base_url=base,
            result_url=(env.get("OAUTH_RESULT_URL") or "/").strip(),
            token_keys=_token_keys(env, production, wanted),
            state_seconds=_int(env, "OAUTH_STATE_SECONDS", 600),
        )


def parse_token_keys(raw: str) -> tuple[tuple[str, bytes], ...]:
    """``id:base64key[,id:base64key…]``: each key exactly 32 bytes, ids unique."""
    keys: list[tuple[str, bytes]] = []
    for entry in (e.strip() for e in raw.split(",")):
        if not entry:
            continue
        key_id, sep, encoded = entry.partition(":")
        if not sep or not key_id or not key_id.isalnum():
            raise SettingsError(
                "TOKEN_KEYS entries are id:base64key with an alphanumeric id and a 32-byte key, "
                "e.g. k1:$(openssl rand -base64 32)"
            )
        try:
            key = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise SettingsError(f"TOKEN_KEYS: key {key_id!r} is not valid base64") from exc
        if len(key) != TOKEN_KEY_BYTES:
            raise SettingsError(
                f"TOKEN_KEYS: key {key_id!r} is {len(key)} bytes; AES-256 keys are exactly "
                f"{TOKEN_KEY_BYTES} bytes"
            )
        if any(k == key_id for k, _ in keys):
            raise SettingsError(f"TOKEN_KEYS: key id {key_id!r} appears twice")
        keys.append((key_id, key))
    return tuple(keys)


def _token_keys(
    env: Mapping[str, str], production: bool, wanted: bool
) -> tuple[tuple[str, bytes], ...]:
    keys = parse_token_keys(env.get("TOKEN_KEYS", ""))
    if keys or not wanted:
        return keys
    if production:
        raise SettingsError(
            "TOKEN_KEYS is required in production when a platform's OAuth is configured "
            "(OAuth tokens are stored encrypted): set it to id:base64key with a 32-byte key"
        )
    path = DATA_DIR / "token-keys"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text("dev:" + base64.b64encode(secrets.token_bytes(TOKEN_KEY_BYTES)).decode())
        path.chmod(0o600)
        log.warning(
            "No TOKEN_KEYS set: generated a development token key in %s. "
            "Set TOKEN_KEYS in production.",
            path,
        )
    return parse_token_keys(path.read_text().strip())
