"""What an instance says about itself, and what it still serves with Redis away."""

from __future__ import annotations

import tempfile
from pathlib import Path

import httpx

from tests.conftest import (
    PASSWORD,
    GraphQLClient,
    free_port,
    register,
    server_environment,
    uses_postgres,
    uses_redis,
)
from tests.realtime_support import SEND
from tests.server_process import served
from tests.test_sync import SYNC

TOKEN_CREATE = """
mutation SignIn($input: TokenCreateInput!) {
  tokenCreate(input: $input) { accessToken userErrors { code } }
}"""


async def test_live_answers_while_the_process_serves(http: httpx.AsyncClient):
    response = await http.get("/health/live")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_ready_names_each_dependency_with_its_state(http: httpx.AsyncClient):
    response = await http.get("/health/ready")
    assert response.status_code == 200
    expected = (
        {"database": "ok", "redis": "ok", "broker": "ok"}
        if uses_redis()
        else {"database": "ok", "redis": "not configured", "broker": "in process"}
    )
    assert response.json() == {"status": "ok", "checks": expected}


async def test_with_redis_down_sign_in_sync_and_messages_work_and_the_instance_is_degraded():
    """Redis unreachable from the start (a closed port): limits count in process, events are
    dropped, and every write answers what it did."""
    env = server_environment(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    if not uses_postgres():
        env["DATABASE_URL"] = f"sqlite://{Path(tempfile.mkdtemp()) / 'redis-down.sqlite3'}"
    async with (
        served(env) as server,
        httpx.AsyncClient(base_url=server.url, timeout=10) as http,
    ):
        gql = GraphQLClient(http)
        ann, bob = await register(gql), await register(gql)
        signed_in = await gql.data(
            TOKEN_CREATE, {"input": {"email": ann.email, "password": PASSWORD}}
        )
        assert signed_in["tokenCreate"]["accessToken"]
        synced = await gql.data(
            SYNC, {"input": {"platform": "TIKTOK", "followers": 1200}}, token=ann.access_token
        )
        assert synced["socialSync"]["userErrors"] == []
        assert synced["socialSync"]["stats"]["followers"] == 1200
        message = await gql.data(
            SEND, {"input": {"recipient": bob.user_id, "body": "hi"}}, token=ann.access_token
        )
        assert message["chatMessageSend"]["message"]["body"] == "hi"

        ready = await http.get("/health/ready")
        assert ready.status_code == 200
        assert ready.json() == {
            "status": "degraded",
            "checks": {"database": "ok", "redis": "unavailable", "broker": "unavailable"},
        }
        legacy = await http.get("/health")
        assert (legacy.status_code, legacy.json()) == (
            200,
            {"status": "degraded", "database": "ok"},
        )
        assert (await http.get("/health/live")).status_code == 200
