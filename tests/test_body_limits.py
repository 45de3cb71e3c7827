"""The request body cap (web/middleware.py): one for every route, and a route that takes larger
bodies (the avatar upload) with a cap of its own, which still holds before the body is read."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from web.middleware import BodySizeLimitMiddleware


async def echo_length(request: Request) -> PlainTextResponse:
    return PlainTextResponse(str(len(await request.body())))


def client() -> httpx.AsyncClient:
    app = Starlette(
        routes=[
            Route("/small", echo_length, methods=["POST"]),
            Route("/big", echo_length, methods=["POST"]),
        ],
        middleware=[Middleware(BodySizeLimitMiddleware, max_bytes=100, per_path={"/big": 1000})],
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://test")


async def test_a_route_with_its_own_cap_takes_bodies_up_to_it():
    async with client() as http:
        assert (await http.post("/big", content=b"x" * 1000)).text == "1000"
        assert (await http.post("/small", content=b"x" * 100)).text == "100"


async def test_every_other_route_keeps_the_general_cap():
    async with client() as http:
        response = await http.post("/small", content=b"x" * 500)
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_the_own_cap_refuses_a_larger_declared_body():
    async with client() as http:
        response = await http.post("/big", content=b"x" * 1001)
    assert response.status_code == 413


async def test_the_own_cap_stops_a_streamed_body_before_its_end():
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(1000):
            sent += 100
            yield b"x" * 100

    async with client() as http:
        response = await http.post("/big", content=body())
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert sent <= 1100  # refused as soon as the cap was passed, not read to its end
