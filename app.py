"""The Starlette app: routes, middleware and lifespan in one visible place.

``python app.py`` applies pending migrations and serves; ``python app.py migrate`` only migrates;
``python app.py makemigrations`` writes a migration for model changes (developers);
``python app.py schema`` prints the SDL.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import orjson
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
from adapters.broker import InProcessBroker
from adapters.database import apply_migrations, database_is_reachable
from middleware import BodySizeLimitMiddleware, RequestIdMiddleware
from resolvers.services import Services
from schema import build_schema
from schema.context import Context
from settings import Settings, tortoise_config

log = logging.getLogger("creatorgraph")


class GraphQLApp(GraphQL[Context, None]):
    """Strawberry's ASGI view with our per-request context and orjson on the wire."""

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
    graphql = GraphQLApp(
        build_schema(settings),
        graphql_ide="graphiql" if settings.graphiql else None,
        allow_queries_via_get=True,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        connection_init_wait_timeout=timedelta(seconds=10),
        max_subscriptions_per_connection=20,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        await apply_migrations(config)
        async with RegisterTortoise(app, config=config):
            broker = InProcessBroker()
            services = Services.from_settings(settings, broker)
            app.state.services = services  # for operators' tooling and tests; handlers use scope
            try:
                yield {"services": services, "settings": settings}
            finally:
                await broker.close()

    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/health", health, methods=["GET"]),
            *rest.routes,
        ],
        middleware=[
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
        )


if __name__ == "__main__":
    main()
