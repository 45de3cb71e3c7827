"""The Starlette app: routes, middleware and lifespan in one visible place.

``python app.py`` applies pending migrations and serves; ``python app.py migrate`` only migrates;
``python app.py makemigrations`` writes a migration for model changes (developers);
``python app.py schema`` prints the SDL; ``python app.py worker`` runs the scheduled jobs without
serving (with ``JOBS_WORKER=off`` on the servers); ``python app.py jobs run-due`` runs every job
once and exits (cron-driven deployments); ``python app.py rotate-token-keys`` re-seals every stored
OAuth token under the first key of TOKEN_KEYS.
``python app.py createadmin EMAIL`` makes an existing account an admin.
``python app.py documents`` prints the trusted documents' manifest (id → text) as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import functools
import gc
import logging
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from typing import Any

import orjson
import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from tortoise import Tortoise
from tortoise.contrib.starlette import RegisterTortoise

import rest
from adapters.background import BackgroundTasks
from adapters.broker import BestEffortBroker, Broker, InProcessBroker
from adapters.cache import Cache
from adapters.database import (
    apply_migrations,
    close_database_connections,
)
from adapters.image_fetch import ImageFetcher
from adapters.job_queue import run_all_once
from adapters.mailer import build_mailer
from adapters.metrics import Metrics
from adapters.oauth import build_oauth_clients
from adapters.one_time_codes import CodeHasher
from adapters.passwords import PasswordHasher
from adapters.platforms.provider_state import ProviderState
from adapters.platforms.registry import build_http_client, build_platform_lookup
from adapters.query_budget import QueryBudget
from adapters.ratelimit import RateLimiter
from adapters.redis_broker import RedisBroker
from adapters.redis_circuit import RedisCircuit
from adapters.ssrf import AddressGuard
from adapters.storage import LocalStorage, Storage
from adapters.storage_s3 import S3Location, S3Storage
from adapters.tag_generations import MemoryTagGenerations, RedisTagGenerations, TagGenerations
from adapters.token_cipher import TokenCipher
from adapters.tokens import TokenIssuer
from adapters.url_signer import UrlSigner
from adapters.webhooks import WebhookSender
from jobs.registry import JobContext, build_job_queue, scheduled_calls
from live import LiveLimits, LiveTransportHandler, LiveWebSocketAdapter, SubscriptionHub
from resolvers.admin import UnknownEmailError, make_admin
from resolvers.cache_tags import account_tags, profile_id_of
from resolvers.media import MediaServices
from resolvers.services import Services
from resolvers.stats_events import DISCOVERY
from schema import build_schema
from schema.context import Context
from settings import Settings, tortoise_config
from web import health
from web.access_log import AccessLogMiddleware
from web.client_address import ClientAddressMiddleware
from web.compiled_reads import CompiledReadsMiddleware
from web.cors import CorsMiddleware
from web.graphiql import asset_routes, graphiql_response
from web.headers import SecurityHeadersMiddleware
from web.http_cache import HttpCacheMiddleware
from web.idempotency import IdempotencyMiddleware
from web.image_proxy import image_proxy_routes
from web.logs import configure_logging
from web.media import media_routes
from web.metrics import metrics_route
from web.middleware import BodySizeLimitMiddleware, RequestIdMiddleware
from web.oauth_callback import oauth_callback_routes
from web.persisted_documents import PersistedDocumentsMiddleware
from web.refusals import JsonRefusals
from web.response_cache import ResponseCache, ResponseCacheMiddleware
from web.response_store import ResponseStore
from web.trusted_documents import load_documents, manifest_json
from web.unavailable import HANDLED, service_unavailable
from web.uploads import AVATAR_PATH, MULTIPART_OVERHEAD, avatar_routes

log = logging.getLogger("creatorgraph")


class GraphQLApp(JsonRefusals, GraphQL[Context, None]):
    """Strawberry's ASGI view with our per-request context, orjson on the wire and JSON bodies
    for refused requests. Websockets speak graphql-transport-ws through the subscription hub
    (live/): every socket's adapter is handed the hub and the limits."""

    graphql_transport_ws_handler_class = LiveTransportHandler

    def __init__(
        self,
        schema: Any,
        *,
        hub: SubscriptionHub,
        live_limits: LiveLimits,
        metrics: Metrics,
        **options: Any,
    ) -> None:
        super().__init__(schema, **options)
        self.websocket_adapter_class = functools.partial(  # type: ignore[assignment]  # the base view takes any adapter factory; strawberry.asgi narrows it to its class
            LiveWebSocketAdapter, hub=hub, limits=live_limits, metrics=metrics
        )

    async def render_graphql_ide(self, request: Request) -> Response:
        return graphiql_response()  # served offline, from /graphiql/ (web/graphiql.py)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        state = request.scope.get("state", {})
        return Context(
            request=request,
            response=response,
            services=state["services"],
            request_id=state.get("request_id", "-"),
            authorization=request.headers.get("authorization"),
        )

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)


CLEANUP_SECONDS = 3.0  # for the lifespan's closes together, after the requests' grace


async def _close_within(closes: list[Callable[[], Awaitable[object]]], seconds: float) -> None:
    """Runs the shutdown steps in order within one deadline, going on past a step that fails or
    runs out of time: a dead Redis or database must not hold the exit, and each later step
    still gets a try (with what time is left, at least a moment)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    for close in closes:
        try:
            async with asyncio.timeout(max(0.1, deadline - loop.time())):
                await close()
        except Exception as exc:
            log.warning("shutdown step %s did not finish cleanly: %r", close, exc)


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    config = tortoise_config(settings.database_url)
    # This app's metrics, in a registry of its own (tests run many apps in one process).
    metrics = Metrics()
    hub = SubscriptionHub(metrics=metrics)
    response_cache = (
        ResponseCache(
            ResponseStore(settings.response_cache_bytes, settings.response_cache_ttl_seconds),
            metrics,
        )
        if settings.response_cache
        else None
    )
    media = settings.media
    # Uploads go to the local directory (served at /media) unless a bucket is configured.
    local_storage = None if media.s3_bucket else LocalStorage(media.media_dir, media.media_base_url)
    schema = build_schema(settings)
    graphql = GraphQLApp(
        schema,
        hub=hub,
        live_limits=LiveLimits.from_settings(settings),
        metrics=metrics,
        graphql_ide="graphiql" if settings.graphiql else None,
        # Websocket handshakes from other origins: only these (web/cors.py for HTTP).
        allowed_origins=settings.cors_origins,
        allow_queries_via_get=True,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        connection_init_wait_timeout=timedelta(seconds=settings.ws_init_timeout_seconds),
        max_subscriptions_per_connection=settings.ws_max_subscriptions,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        await apply_migrations(config)
        async with RegisterTortoise(app, config=config), AsyncExitStack() as resources:
            # One Redis client per process when REDIS_URL is set, shared by the broker (events
            # reach every instance), the provider cache and the rate limiters; without it, each
            # works in process. Its commands time out quickly, and while it is down (the
            # circuit) each falls back to in process rather than wait on it again.
            redis_client = (
                redis.from_url(
                    settings.redis_url,
                    health_check_interval=30,
                    socket_timeout=settings.redis_timeout_seconds,
                    socket_connect_timeout=settings.redis_timeout_seconds,
                    # One immediate retry (a connection Redis closed while idle), not redis-py's
                    # default of three with back-off, which makes a dead Redis cost seconds.
                    retry=Retry(NoBackoff(), 1),
                )
                if settings.redis_url
                else None
            )
            circuit = RedisCircuit(settings.redis_retry_seconds)
            redis_broker = RedisBroker(redis_client) if redis_client else None
            broker: Broker = BestEffortBroker(
                redis_broker or InProcessBroker(), circuit, metrics=metrics
            )
            providers = settings.providers
            provider_http = build_http_client(providers)
            platform_cache = (
                Cache.redis(
                    redis_client, "creatorgraph:platforms", providers.lock_seconds, metrics=metrics
                )
                if redis_client
                else Cache.memory("creatorgraph:platforms", metrics=metrics)
            )
            oauth_clients = build_oauth_clients(settings.oauth, provider_http)
            storage: Storage
            if local_storage is not None:
                storage = local_storage
            else:
                location = S3Location(
                    bucket=media.s3_bucket or "",
                    endpoint_url=media.s3_endpoint_url,
                    region=media.s3_region,
                    access_key_id=media.s3_access_key_id,
                    secret_access_key=media.s3_secret_access_key,
                )
                storage = await resources.enter_async_context(
                    S3Storage.open(location, media.media_base_url)
                )
            # Avatar uploads and the image proxy: one address guard for every URL a user gives.
            address_guard = AddressGuard()
            image_fetcher = ImageFetcher(
                address_guard,
                media.image_proxy_hosts,
                media.image_proxy_max_bytes,
                allow_loopback=media.image_proxy_allow_loopback,
            )
            image_cache = (
                Cache.redis(redis_client, "creatorgraph:images")
                if redis_client
                else Cache.memory("creatorgraph:images")
            )
            # The response cache's generations: in Redis when configured, so every instance
            # sees a change before the write's answer goes out. Tags outlive any entry twice.
            tag_generations: TagGenerations = (
                redis_tag_generations(redis_client, circuit, settings)
                if redis_client
                else MemoryTagGenerations()
            )
            services = Services(
                tokens=TokenIssuer(
                    settings.jwt_secret,
                    settings.jwt_issuer,
                    settings.jwt_audience,
                    settings.access_token_seconds,
                    settings.refresh_token_seconds,
                ),
                passwords=PasswordHasher(memory_kib=settings.password_hash_memory_kib),
                sync_limiter=RateLimiter(
                    settings.sync_rate_limit, redis_client, "sync", circuit=circuit, metrics=metrics
                ),
                sign_in_limiter=RateLimiter(
                    settings.sign_in_rate_limit,
                    redis_client,
                    "sign-in",
                    circuit=circuit,
                    metrics=metrics,
                ),
                sign_in_address_limiter=RateLimiter(
                    settings.sign_in_address_rate_limit,
                    redis_client,
                    "sign-in-address",
                    circuit=circuit,
                    metrics=metrics,
                ),
                register_limiter=RateLimiter(
                    settings.register_rate_limit,
                    redis_client,
                    "register",
                    circuit=circuit,
                    metrics=metrics,
                ),
                broker=broker,
                platforms=build_platform_lookup(
                    providers,
                    provider_http,
                    platform_cache,
                    ProviderState(redis_client),
                    metrics=metrics,
                ),
                platform_refresh_limiter=RateLimiter(
                    providers.refresh_rate_limit,
                    redis_client,
                    "platform-refresh",
                    circuit=circuit,
                    metrics=metrics,
                ),
                platform_lookup_limiter=RateLimiter(
                    providers.lookup_rate_limit,
                    redis_client,
                    "platform-lookup",
                    circuit=circuit,
                    metrics=metrics,
                ),
                query_budget=QueryBudget(
                    settings.query_cost_budget, redis_client, circuit=circuit, metrics=metrics
                ),
                message_limiter=RateLimiter(
                    settings.message_rate_limit,
                    redis_client,
                    "message",
                    circuit=circuit,
                    metrics=metrics,
                ),
                collab_request_limiter=RateLimiter(
                    settings.collab_request_rate_limit,
                    redis_client,
                    "collab-request",
                    circuit=circuit,
                    metrics=metrics,
                ),
                metrics=metrics,
                mailer=build_mailer(
                    settings.smtp_url, settings.mail_from, settings.mail_outbox_dir
                ),
                background=BackgroundTasks(),
                codes=CodeHasher(settings.jwt_secret),
                password_reset_limiter=RateLimiter(
                    settings.password_reset_rate_limit,
                    redis_client,
                    "password-reset",
                    metrics=metrics,
                ),
                unverified_may=settings.unverified_may,
                oauth=oauth_clients,
                token_cipher=TokenCipher(settings.oauth.token_keys)
                if settings.oauth.token_keys
                else None,
                oauth_state_seconds=settings.oauth.state_seconds,
                webhooks=WebhookSender(address_guard, allow_private=settings.webhook_allow_private),
                media=MediaServices(
                    storage=storage,
                    upload_limiter=RateLimiter(
                        media.upload_rate_limit,
                        redis_client,
                        "upload",
                        circuit=circuit,
                        metrics=metrics,
                    ),
                    address_guard=address_guard,
                    signer=UrlSigner(media.image_proxy_secret),
                    fetcher=image_fetcher,
                    proxy_cache=image_cache,
                    proxy_cache_seconds=media.image_proxy_cache_seconds,
                    proxy_url=media.image_proxy_url,
                ),
                tag_generations=tag_generations,
            )
            app.state.services = services  # for operators' tooling and tests; handlers use scope
            app.state.response_cache = response_cache  # the same: tooling and tests
            # The scheduled jobs (jobs/registry.py): run here unless JOBS_WORKER=off.
            job_queue = (
                build_job_queue(settings.database_url, JobContext(services, settings.jobs))
                if settings.jobs.worker
                else None
            )
            if job_queue is not None:
                await job_queue.start()
            cache_listener = (
                asyncio.create_task(response_cache.listen(broker), name="response-cache")
                if response_cache is not None
                else None
            )
            # Everything built so far (schema, ORM, modules) lives as long as the process: keep it
            # out of the garbage collector's full passes, which would otherwise walk it every time
            # (pauses of 200-300 ms with a thousand websockets connected).
            gc.collect()
            gc.freeze()
            dependencies = health.Dependencies(redis_client, circuit, redis_broker)
            try:
                yield {"services": services, "dependencies": dependencies}
            finally:
                if job_queue is not None:
                    await job_queue.stop()  # first: a running job still needs the services
                if cache_listener is not None:
                    cache_listener.cancel()
                closes: list[Callable[[], Awaitable[object]]] = [
                    # Mail tried after a response: a moment, then the job sends what is left.
                    lambda: services.background.wait(seconds=1),
                    hub.close,
                    broker.close,
                    platform_cache.close,
                    image_cache.close,
                    image_fetcher.aclose,
                    oauth_clients.aclose,
                    provider_http.aclose,
                ]
                if redis_client is not None:
                    closes.append(redis_client.aclose)
                # Last, so the pools are closed before RegisterTortoise's own close (which
                # would wait 10 s per pool on a database that stopped answering).
                closes.append(close_database_connections)
                await _close_within(closes, CLEANUP_SECONDS)

    return Starlette(
        routes=[
            Route("/graphql", graphql),  # the view answers other methods (405, JSON)
            WebSocketRoute("/graphql", graphql),
            Route("/health", health.health, methods=["GET"]),
            Route("/health/live", health.live, methods=["GET"]),
            Route("/health/ready", health.ready, methods=["GET"]),
            metrics_route(metrics, settings.metrics_token, production=settings.production),
            *rest.routes,
            *oauth_callback_routes(settings.oauth),
            *avatar_routes(media.upload_max_bytes),
            *(media_routes(local_storage) if local_storage else []),
            *image_proxy_routes(media.image_proxy_cache_seconds),
            *(asset_routes() if settings.graphiql else []),
        ],
        middleware=[
            Middleware(AccessLogMiddleware, metrics=metrics),
            # Compresses what every layer below answered; streams chunk by chunk, websockets
            # untouched (Starlette's GZipMiddleware handles HTTP only).
            Middleware(GZipMiddleware, minimum_size=settings.gzip_min_bytes),
            Middleware(ClientAddressMiddleware, trusted_proxies=settings.trusted_proxies),
            Middleware(SecurityHeadersMiddleware, production=settings.production),
            Middleware(CorsMiddleware, origins=settings.cors_origins),
            Middleware(RequestIdMiddleware),
            Middleware(
                BodySizeLimitMiddleware,
                max_bytes=settings.max_body_bytes,
                per_path={AVATAR_PATH: media.upload_max_bytes + MULTIPART_OVERHEAD},
            ),
            Middleware(
                HttpCacheMiddleware,
                max_age=settings.http_cache_max_age,
                stale_seconds=settings.http_cache_stale_seconds,
                gzip_min_bytes=settings.gzip_min_bytes,
            ),
            # Before the idempotency layer, which must see a persisted mutation's text.
            Middleware(
                PersistedDocumentsMiddleware,
                documents=load_documents(),
                trusted_only=settings.trusted_documents_only,
                max_document_chars=settings.max_document_chars,
                apq_cache_bytes=settings.apq_cache_bytes,
                apq_ttl_seconds=settings.apq_ttl_seconds,
                metrics=metrics,
            ),
            # Trusted queries answered from memory, invalidated exactly (web/response_cache.py).
            Middleware(ResponseCacheMiddleware, cache=response_cache),
            Middleware(
                IdempotencyMiddleware,
                secret=settings.jwt_secret,
                keep_seconds=settings.idempotency_key_seconds,
                lock_seconds=settings.idempotency_lock_seconds,
                max_tokens=settings.max_tokens,
            ),
            # Last, right before Strawberry: the compiled trusted documents (COMPILED_READS).
            Middleware(
                CompiledReadsMiddleware,
                enabled=settings.compiled_reads,
                schema=schema._schema,
                metrics=metrics,
                max_query_cost=settings.max_query_cost,
            ),
        ],
        lifespan=lifespan,
        # A lost database connection in a REST route: 503 with Retry-After, not a 500.
        exception_handlers=dict.fromkeys(HANDLED, service_unavailable),
    )


async def rotate_token_keys(settings: Settings) -> None:
    """Re-seals every stored OAuth token under the first of TOKEN_KEYS (keep the old keys
    listed after it until this has run on every database)."""
    from tortoise import Tortoise

    from resolvers.oauth_tokens import rotate_token_keys as rotate

    if not settings.oauth.token_keys:
        raise SystemExit("TOKEN_KEYS is not set: there is no key to rotate to")
    config = tortoise_config(settings.database_url)
    await apply_migrations(config)
    await Tortoise.init(config=config)
    try:
        count = await rotate(TokenCipher(settings.oauth.token_keys))
    finally:
        await Tortoise.close_connections()
    log.info(
        "re-sealed the tokens of %d OAuth connection(s) under key %r",
        count,
        settings.oauth.token_keys[0][0],
    )


async def create_admin(config: dict[str, Any], email: str, settings: Settings | None = None) -> int:
    """``createadmin``: the exit status, after saying what happened. With Redis configured the
    role change is announced to the servers' response caches (their generations live there)."""
    await apply_migrations(config)
    await Tortoise.init(config=config)
    try:
        user = await make_admin(email)
        profile_id = await profile_id_of(user.id)
    except UnknownEmailError:
        print(
            f"No account has the email {email!r}. Register it first, then run this again.",
            file=sys.stderr,
        )
        return 1
    finally:
        await Tortoise.close_connections()
    if settings is not None:
        await announce_from_command(settings, account_tags(user.id, profile_id))
    print(f"{user.email} is an admin.")
    return 0


def redis_tag_generations(
    client: redis.Redis, circuit: RedisCircuit, settings: Settings
) -> RedisTagGenerations:
    """The response caches' generations in Redis, for the servers and for commands alike: a tag
    outlives any entry that could hold it twice over (the cache TTL), plus a minute."""
    return RedisTagGenerations(
        client, circuit, tag_seconds=2 * settings.response_cache_ttl_seconds + 60
    )


async def announce_from_command(settings: Settings, tags: list[str]) -> None:
    """A command's writes, announced to the running servers' response caches: with Redis their
    generations live there; without it each server is alone and learns within the cache TTL."""
    if not settings.redis_url:
        return
    client = redis.from_url(settings.redis_url)
    try:
        await redis_tag_generations(client, RedisCircuit(), settings).bump(tags)
    finally:
        await client.aclose()


async def seed_demo_data(
    config: dict[str, Any], profiles: int, seed_value: int, settings: Settings | None = None
) -> None:
    """``seed``: demo profiles for GraphiQL and the benchmarks (resolvers/seed.py); new
    profiles join discovery, which is announced."""
    from resolvers.seed import seed

    await apply_migrations(config)
    await Tortoise.init(config=config)
    try:
        started = time.perf_counter()
        counts = await seed(profiles, seed_value)
        elapsed = time.perf_counter() - started
    finally:
        await Tortoise.close_connections()
    if settings is not None:
        await announce_from_command(settings, [DISCOVERY])
    print(
        f"seeded {counts.profiles} profiles ({counts.users} users, {counts.accounts} platform "
        f"accounts, {counts.snapshots} snapshots) in {elapsed:.1f} s"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="app.py", description="creatorgraph server")
    parser.add_argument(
        "command",
        nargs="?",
        default="serve",
        choices=[
            "serve",
            "migrate",
            "makemigrations",
            "schema",
            "worker",
            "jobs",
            "rotate-token-keys",
            "createadmin",
            "seed",
            "documents",
        ],
    )
    # One optional word after the command: `jobs run-due`, `createadmin EMAIL`.
    parser.add_argument("argument", nargs="?", help="jobs: run-due; createadmin: the EMAIL")
    parser.add_argument("--profiles", type=int, default=1000, help="seed: how many profiles")
    parser.add_argument("--seed", type=int, default=1, help="seed: the same number, the same data")
    args = parser.parse_args(argv)
    takes_argument = args.command in ("jobs", "createadmin")
    if takes_argument != (args.argument is not None):
        parser.error("`jobs run-due` and `createadmin EMAIL` take one word; no other command does")
    if args.command == "jobs" and args.argument != "run-due":
        parser.error("`jobs` takes one action: run-due")
    logging.basicConfig(level=logging.INFO)  # until the settings say how (they may log)
    settings = Settings.from_env()
    configure_logging(settings)
    if args.command == "migrate":
        asyncio.run(apply_migrations(tortoise_config(settings.database_url)))
    elif args.command == "makemigrations":
        from tortoise.cli.cli import run_cli_async

        raise SystemExit(
            asyncio.run(run_cli_async(["-c", "settings.TORTOISE_ORM", "makemigrations"]))
        )
    elif args.command == "createadmin":
        raise SystemExit(
            asyncio.run(
                create_admin(tortoise_config(settings.database_url), args.argument, settings)
            )
        )
    elif args.command == "seed":
        if args.profiles < 1:
            parser.error("--profiles takes a number of 1 or more")
        asyncio.run(
            seed_demo_data(
                tortoise_config(settings.database_url), args.profiles, args.seed, settings
            )
        )
    elif args.command == "schema":
        print(build_schema(settings).as_str())
    elif args.command == "documents":
        sys.stdout.buffer.write(manifest_json(load_documents()) + b"\n")
    elif args.command == "worker":
        asyncio.run(run_worker(settings))
    elif args.command == "jobs":
        raise SystemExit(asyncio.run(run_due_jobs(settings)))
    elif args.command == "rotate-token-keys":
        asyncio.run(rotate_token_keys(settings))
    else:
        import uvicorn

        from web.http_protocol import CoalescingHttpToolsProtocol

        uvicorn.run(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            # Client addresses come from TRUSTED_PROXIES alone (web/client_address.py); uvicorn's
            # own handling would rewrite the peer from X-Forwarded-For (trusting 127.0.0.1 by
            # default) before we see it.
            proxy_headers=False,
            http=CoalescingHttpToolsProtocol,  # one write per response (web/http_protocol.py)
            log_config=None,  # uvicorn's loggers go through ours (web/logs.py)
            access_log=False,  # one access line per request is ours (web/access_log.py)
            ws_max_size=settings.ws_max_message_bytes,
            # After SIGTERM: in-flight requests get this long, then connections are closed
            # (websockets with 1001) and the lifespan's bounded cleanup runs.
            timeout_graceful_shutdown=settings.shutdown_grace_seconds,
        )


async def run_worker(settings: Settings) -> None:
    """The app's lifespan with its job worker and no HTTP server, until SIGINT or SIGTERM."""
    app = create_app(
        dataclasses.replace(settings, jobs=dataclasses.replace(settings.jobs, worker=True))
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with app.router.lifespan_context(app):
        log.info("job worker running; SIGINT or SIGTERM stops it")
        await stop.wait()


async def run_due_jobs(settings: Settings) -> int:
    """Every job once, then exit: 0 when all succeeded, 1 otherwise."""
    jobs_settings = dataclasses.replace(settings.jobs, worker=False)
    app = create_app(dataclasses.replace(settings, jobs=jobs_settings))
    async with app.router.lifespan_context(app):
        results = await run_all_once(scheduled_calls(JobContext(app.state.services, jobs_settings)))
    for name, error in results.items():
        log.info("job %s: %s", name, "done" if error is None else f"failed ({error!r})")
    return 0 if all(error is None for error in results.values()) else 1


if __name__ == "__main__":
    main()
