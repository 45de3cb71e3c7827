"""SIGTERM drains for SHUTDOWN_GRACE_SECONDS and then the process exits, outage or not."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time

import httpx
import pytest

from tests.conftest import GraphQLClient, register, server_environment, uses_postgres, uses_redis
from tests.server_process import served
from tests.tcp_relay import TcpRelay

pytestmark = pytest.mark.skipif(not uses_postgres(), reason="needs a networked database to cut")

GRACE_SECONDS = 2
PROFILE = "query { viewer { id profile { displayName } } }"


def via(relay: TcpRelay, url: str) -> str:
    return url.replace(f":{relay.target_port}/", f":{relay.port}/")


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/", 1)[0])


async def test_the_process_exits_within_the_grace_period_with_its_dependencies_hung():
    """PostgreSQL and Redis stop answering (connections open, nothing comes back) while
    requests are in flight: SIGTERM still ends the process in grace plus a little."""
    database_url = os.environ["DATABASE_URL"]
    database = TcpRelay(port_of(database_url))
    await database.start()
    env = server_environment(
        DATABASE_URL=via(database, database_url), SHUTDOWN_GRACE_SECONDS=str(GRACE_SECONDS)
    )
    redis: TcpRelay | None = None
    if uses_redis():
        redis = TcpRelay(port_of(os.environ["REDIS_URL"]))
        await redis.start()
        env["REDIS_URL"] = via(redis, os.environ["REDIS_URL"])
    try:
        async with (
            served(env) as server,
            httpx.AsyncClient(base_url=server.url, timeout=30) as http,
        ):
            account = await register(GraphQLClient(http))
            database.freeze()
            if redis is not None:
                redis.freeze()
            headers = {"Authorization": f"Bearer {account.access_token}"}
            in_flight = [
                asyncio.create_task(http.post("/graphql", json={"query": PROFILE}, headers=headers))
                for _ in range(5)
            ]
            await asyncio.sleep(0.5)
            assert not any(task.done() for task in in_flight), [  # they wait on the database
                t.result().text for t in in_flight if t.done()
            ]
            started = time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(server.process.wait(), GRACE_SECONDS + 15)
            took = time.monotonic() - started
            for task in in_flight:
                with contextlib.suppress(httpx.HTTPError):
                    await task
        assert took < GRACE_SECONDS + 4, f"shutdown took {took:.1f}s"
    finally:
        await database.stop()
        if redis is not None:
            await redis.stop()
