"""A suspension made through one instance takes effect on another at once: behind one
PostgreSQL and one Redis, the suspended user's socket on the other instance closes (4403) and
their token is refused there."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.admin_support import admin, suspend
from tests.conftest import (
    GraphQLClient,
    RunningServer,
    register,
)
from tests.graphql_ws import GraphQLWebSocket
from tests.realtime_support import NOTIFICATION_EVENTS
from tests.server_process import ServerProcess, needs_postgres_and_redis, two_instances

pytestmark = needs_postgres_and_redis


@pytest.fixture(scope="module")
async def instances(server: RunningServer) -> AsyncIterator[list[ServerProcess]]:
    """Two `app.py serve` processes on the session server's database (already migrated)."""
    async with two_instances() as pair:
        yield pair


async def test_a_suspension_through_one_instance_closes_the_socket_on_another(
    instances: list[ServerProcess],
):
    async with (
        httpx.AsyncClient(base_url=instances[0].url, timeout=30) as one,
        httpx.AsyncClient(base_url=instances[1].url, timeout=30) as two,
    ):
        first, second = GraphQLClient(one), GraphQLClient(two)
        boss = await admin(second)
        user = await register(first)
        async with await GraphQLWebSocket.open(instances[0].url, user.access_token) as socket:
            await socket.subscribe(NOTIFICATION_EVENTS)
            await socket.ping()
            assert (await suspend(second, boss, user))["userErrors"] == []
            assert await socket.closed(within=2) == (4403, "Account suspended")
        refused = await first.post("{ viewer { id } }", token=user.access_token)
        assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
