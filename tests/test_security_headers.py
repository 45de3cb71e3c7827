"""Security headers on every answer (issue 8, item 7): no content sniffing, no referrer, no
framing, HSTS in production, and nothing that carries a token kept by any cache."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import REGISTER, RunningServer, server_environment, unique_email, uses_postgres
from tests.server_process import served

TOKEN_CREATE = """
mutation($input: TokenCreateInput!) { tokenCreate(input: $input) { accessToken refreshToken } }"""


def assert_security_headers(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_every_answer_carries_the_security_headers(http: httpx.AsyncClient):
    answers = [
        await http.get("/health"),
        await http.post("/graphql", json={"query": "{ __typename }"}),
        await http.get("/graphql", params={"query": "{ __typename }"}),
        await http.post("/graphql", content=b"{", headers={"content-type": "application/json"}),
        await http.get("/api/v1/profiles/me"),
        await http.get("/no-such-page"),
        await http.post("/graphql", content=b"x" * (1024 * 1024)),  # 413 from the body limit
    ]
    for response in answers:
        assert_security_headers(response)
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
        assert "strict-transport-security" not in response.headers  # not in production


async def test_responses_carrying_tokens_are_never_stored(http: httpx.AsyncClient):
    email, password = unique_email(), "correct horse battery"
    variables = {
        "input": {"email": email, "password": password, "role": "CREATOR", "displayName": "N"}
    }
    registered = await http.post("/graphql", json={"query": REGISTER, "variables": variables})
    assert registered.json()["data"]["accountRegister"]["accessToken"]
    assert registered.headers["cache-control"] == "no-store"
    credentials = {"input": {"email": email, "password": password}}
    signed_in = await http.post("/graphql", json={"query": TOKEN_CREATE, "variables": credentials})
    assert signed_in.json()["data"]["tokenCreate"]["refreshToken"]
    assert signed_in.headers["cache-control"] == "no-store"


async def test_every_post_is_no_store_and_get_queries_are_left_to_their_caching_rules(
    http: httpx.AsyncClient,
):
    posted = await http.post("/graphql", json={"query": "{ __typename }"})
    assert posted.headers["cache-control"] == "no-store"
    rest_write = await http.post("/api/v1/profiles/social-sync/tiktok", json={})
    assert rest_write.headers["cache-control"] == "no-store"
    fetched = await http.get("/graphql", params={"query": "{ __typename }"})
    assert fetched.json()["data"] == {"__typename": "Query"}
    assert "no-store" not in fetched.headers.get("cache-control", "")


@pytest.fixture(scope="module")
async def production_url(server: RunningServer) -> AsyncIterator[str]:
    env = server_environment(CREATORGRAPH_ENV="production")
    if not uses_postgres():
        env["DATABASE_URL"] = f"sqlite://{Path(tempfile.mkdtemp()) / 'production.sqlite3'}"
    async with served(env) as process:
        yield process.url


async def test_production_asks_browsers_to_use_https_only(production_url: str):
    async with httpx.AsyncClient(base_url=production_url) as client:
        for response in [
            await client.get("/health"),
            await client.post("/graphql", json={"query": "{ __typename }"}),
        ]:
            assert response.headers["strict-transport-security"] == "max-age=31536000"
            assert_security_headers(response)
