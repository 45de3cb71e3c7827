"""The Starlette app: routes, middleware and lifespan in one visible place.

``python app.py`` applies pending migrations and serves; ``python app.py migrate`` only migrates;
``python app.py makemigrations`` writes a migration for model changes (developers);
``python app.py schema`` prints the SDL.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from typing import Any

import orjson
import redis.asyncio as redis
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from tortoise.contrib.starlette import RegisterTortoise

import rest
from adapters.broker import Broker, InProcessBroker
from adapters.cache import Cache
from adapters.database import apply_migrations, database_is_reachable
from adapters.image_fetch import ImageFetcher
from adapters.passwords import PasswordHasher
from adapters.platforms.registry import build_http_client, build_platform_lookup
from adapters.query_budget import QueryBudget
from adapters.ratelimit import RateLimiter
from adapters.redis_broker import RedisBroker
from adapters.ssrf import AddressGuard
from adapters.storage import LocalStorage, Storage
from adapters.storage_s3 import S3Location, S3Storage
from adapters.tokens import TokenIssuer
from adapters.url_signer import UrlSigner
from live import LiveLimits, LiveTransportHandler, LiveWebSocketAdapter, SubscriptionHub
from resolvers.media import MediaServices
from resolvers.services import Services
from schema import build_schema
from schema.context import Context
from settings import Settings, tortoise_config
from web.client_address import ClientAddressMiddleware
from web.cors import CorsMiddleware
from web.graphiql import asset_routes, graphiql_response
from web.headers import SecurityHeadersMiddleware
from web.image_proxy import image_proxy_routes
from web.media import media_routes
from web.middleware import BodySizeLimitMiddleware, RequestIdMiddleware
from web.refusals import JsonRefusals
from web.uploads import AVATAR_PATH, MULTIPART_OVERHEAD, avatar_routes

log = logging.getLogger("creatorgraph")


class GraphQLApp(JsonRefusals, GraphQL[Context, None]):
    """Strawberry's ASGI view with our per-request context, orjson on the wire and JSON bodies
    for refused requests. Websockets speak graphql-transport-ws through the subscription hub
    (live/): every socket's adapter is handed the hub and the limits."""

    graphql_transport_ws_handler_class = LiveTransportHandler

    def __init__(
        self, schema: Any, *, hub: SubscriptionHub, live_limits: LiveLimits, **options: Any
    ) -> None:
        super().__init__(schema, **options)
        self.websocket_adapter_class = functools.partial(  # type: ignore[assignment]  # the base view takes any adapter factory; strawberry.asgi narrows it to its class
            LiveWebSocketAdapter, hub=hub, limits=live_limits
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


async def health(request: Request) -> Response:
    ok = await database_is_reachable()
    return JSONResponse(
        {"status": "ok" if ok else "unavailable", "database": "ok" if ok else "unreachable"},
        status_code=200 if ok else 503,
    )


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    config = tortoise_config(settings.database_url)
    hub = SubscriptionHub()
    media = settings.media
    # Uploads go to the local directory (served at /media) unless a bucket is configured.
    local_storage = None if media.s3_bucket else LocalStorage(media.media_dir, media.media_base_url)
    graphql = GraphQLApp(
        build_schema(settings),
        hub=hub,
        live_limits=LiveLimits.from_settings(settings),
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
            # works in process.
            redis_client = (
                redis.from_url(settings.redis_url, health_check_interval=30)
                if settings.redis_url
                else None
            )
            broker: Broker = RedisBroker(redis_client) if redis_client else InProcessBroker()
            providers = settings.providers
            provider_http = build_http_client(providers)
            platform_cache = (
                Cache.redis(redis_client, "creatorgraph:platforms", providers.lock_seconds)
                if redis_client
                else Cache.memory("creatorgraph:platforms")
            )
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
            services = Services(
                tokens=TokenIssuer(
                    settings.jwt_secret,
                    settings.jwt_issuer,
                    settings.jwt_audience,
                    settings.access_token_seconds,
                    settings.refresh_token_seconds,
                ),
                passwords=PasswordHasher(memory_kib=settings.password_hash_memory_kib),
                sync_limiter=RateLimiter(settings.sync_rate_limit, redis_client, "sync"),
                sign_in_limiter=RateLimiter(settings.sign_in_rate_limit, redis_client, "sign-in"),
                sign_in_address_limiter=RateLimiter(
                    settings.sign_in_address_rate_limit, redis_client, "sign-in-address"
                ),
                register_limiter=RateLimiter(
                    settings.register_rate_limit, redis_client, "register"
                ),
                broker=broker,
                platforms=build_platform_lookup(providers, provider_http, platform_cache),
                platform_refresh_limiter=RateLimiter(
                    providers.refresh_rate_limit, redis_client, "platform-refresh"
                ),
                platform_lookup_limiter=RateLimiter(
                    providers.lookup_rate_limit, redis_client, "platform-lookup"
                ),
                query_budget=QueryBudget(settings.query_cost_budget, redis_client),
                message_limiter=RateLimiter(settings.message_rate_limit, redis_client, "message"),
                collab_request_limiter=RateLimiter(
                    settings.collab_request_rate_limit, redis_client, "collab-request"
                ),
                media=MediaServices(
                    storage=storage,
                    upload_limiter=RateLimiter(media.upload_rate_limit, redis_client, "upload"),
                    address_guard=address_guard,
                    signer=UrlSigner(media.image_proxy_secret),
                    fetcher=image_fetcher,
                    proxy_cache=image_cache,
                    proxy_cache_seconds=media.image_proxy_cache_seconds,
                    proxy_url=media.image_proxy_url,
                ),
            )
            app.state.services = services  # for operators' tooling and tests; handlers use scope
            # Everything built so far (schema, ORM, modules) lives as long as the process: keep it
            # out of the garbage collector's full passes, which would otherwise walk it every time
            # (pauses of 200-300 ms with a thousand websockets connected).
            gc.collect()
            gc.freeze()
            try:
                yield {"services": services}
            finally:
                await hub.close()
                await broker.close()
                await platform_cache.close()
                await image_cache.close()
                await image_fetcher.aclose()
                await provider_http.aclose()
                if redis_client is not None:
                    await redis_client.aclose()

    return Starlette(
        routes=[
            Route("/graphql", graphql),  # the view answers other methods (405, JSON)
            WebSocketRoute("/graphql", graphql),
            Route("/health", health, methods=["GET"]),
            *rest.routes,
            *avatar_routes(media.upload_max_bytes),
            *(media_routes(local_storage) if local_storage else []),
            *image_proxy_routes(media.image_proxy_cache_seconds),
            *(asset_routes() if settings.graphiql else []),
        ],
        middleware=[
            Middleware(ClientAddressMiddleware, trusted_proxies=settings.trusted_proxies),
            Middleware(SecurityHeadersMiddleware, production=settings.production),
            Middleware(CorsMiddleware, origins=settings.cors_origins),
            Middleware(RequestIdMiddleware),
            Middleware(
                BodySizeLimitMiddleware,
                max_bytes=settings.max_body_bytes,
                per_path={AVATAR_PATH: media.upload_max_bytes + MULTIPART_OVERHEAD},
            ),
        ],
        lifespan=lifespan,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="app.py", description="creatorgraph server")
    parser.add_argument(
        "command",
        nargs="?",
        default="serve",
        choices=["serve", "migrate", "makemigrations", "schema"],
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = Settings.from_env()
    if args.command == "migrate":
        asyncio.run(apply_migrations(tortoise_config(settings.database_url)))
    elif args.command == "makemigrations":
        from tortoise.cli.cli import run_cli_async

        raise SystemExit(
            asyncio.run(run_cli_async(["-c", "settings.TORTOISE_ORM", "makemigrations"]))
        )
    elif args.command == "schema":
        print(build_schema(settings).as_str())
    else:
        import uvicorn

        uvicorn.run(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            # Client addresses come from TRUSTED_PROXIES alone (web/client_address.py); uvicorn's
            # own handling would rewrite the peer from X-Forwarded-For (trusting 127.0.0.1 by
            # default) before we see it.
            proxy_headers=False,
            log_level="info",
            ws_max_size=settings.ws_max_message_bytes,
        )


if __name__ == "__main__":
    main()
