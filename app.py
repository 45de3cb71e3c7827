"""The Starlette app: routes, middleware and lifespan in one visible place.

``python app.py`` applies pending migrations and serves; ``python app.py migrate`` only migrates;
``python app.py makemigrations`` writes a migration for model changes (developers);
``python app.py schema`` prints the SDL.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
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
from strawberry.types.unset import UnsetType
from tortoise.contrib.starlette import RegisterTortoise

import rest
from adapters.broker import Broker, InProcessBroker
from adapters.cache import Cache
from adapters.database import apply_migrations, database_is_reachable
from adapters.platforms.registry import build_http_client, build_platform_lookup
from adapters.redis_broker import RedisBroker
from browser.cors import CorsMiddleware
from browser.graphiql import asset_routes, graphiql_response
from browser.headers import SecurityHeadersMiddleware
from middleware import BodySizeLimitMiddleware, RequestIdMiddleware
from resolvers.services import Services
from schema import build_schema
from schema.context import Context
from schema.live import (
    LiveLimits,
    LiveTransportHandler,
    LiveWebSocketAdapter,
    SubscriptionHub,
    authenticate_websocket,
)
from settings import Settings, tortoise_config

log = logging.getLogger("creatorgraph")


class GraphQLApp(GraphQL[Context, None]):
    """Strawberry's ASGI view with our per-request context and orjson on the wire. Websockets
    speak graphql-transport-ws through the subscription hub (schema/live/)."""

    graphql_transport_ws_handler_class = LiveTransportHandler
    websocket_adapter_class = LiveWebSocketAdapter  # type: ignore[assignment]

    def __init__(
        self, schema: Any, *, hub: SubscriptionHub, live_limits: LiveLimits, **options: Any
    ) -> None:
        super().__init__(schema, **options)
        self.hub = hub
        self.live_limits = live_limits

    async def render_graphql_ide(self, request: Request) -> Response:
        return graphiql_response()  # served offline, from /graphiql/ (browser/graphiql.py)

    async def on_ws_connect(self, context: Context) -> UnsetType:
        return await authenticate_websocket(context)

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

    def encode_json(self, data: object) -> bytes:  # type: ignore[override]
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
    graphql = GraphQLApp(
        build_schema(settings),
        hub=hub,
        live_limits=LiveLimits.from_settings(settings),
        graphql_ide="graphiql" if settings.graphiql else None,
        # Websocket handshakes from other origins: only these (browser/cors.py for HTTP).
        allowed_origins=settings.cors_origins,
        allow_queries_via_get=True,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        connection_init_wait_timeout=timedelta(seconds=settings.ws_init_timeout_seconds),
        max_subscriptions_per_connection=settings.ws_max_subscriptions,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        await apply_migrations(config)
        async with RegisterTortoise(app, config=config):
            # One Redis client for pub/sub when REDIS_URL is set: events reach every instance.
            redis_client = (
                redis.from_url(settings.redis_url, health_check_interval=30)
                if settings.redis_url
                else None
            )
            broker: Broker = RedisBroker(redis_client) if redis_client else InProcessBroker()
            provider_http = build_http_client(settings.providers)
            platform_cache = Cache.from_url(
                settings.redis_url, "creatorgraph:platforms", settings.providers.lock_seconds
            )
            platforms = build_platform_lookup(settings.providers, provider_http, platform_cache)
            services = Services.from_settings(settings, broker, platforms=platforms)
            app.state.services = services  # for operators' tooling and tests; handlers use scope
            # Everything built so far (schema, ORM, modules) lives as long as the process: keep it
            # out of the garbage collector's full passes, which would otherwise walk it every time
            # (pauses of 200-300 ms with a thousand websockets connected).
            gc.collect()
            gc.freeze()
            try:
                yield {"services": services, "settings": settings}
            finally:
                await hub.close()
                await broker.close()
                if redis_client is not None:
                    await redis_client.aclose()
                await provider_http.aclose()
                await platform_cache.close()

    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/health", health, methods=["GET"]),
            *rest.routes,
            *(asset_routes() if settings.graphiql else []),
        ],
        middleware=[
            Middleware(SecurityHeadersMiddleware, production=settings.production),
            Middleware(CorsMiddleware, origins=settings.cors_origins),
            Middleware(RequestIdMiddleware),
            Middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes),
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
            proxy_headers=True,
            log_level="info",
            ws_max_size=settings.ws_max_message_bytes,
        )


if __name__ == "__main__":
    main()
