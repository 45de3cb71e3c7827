"""One Redis client per process: the broker, the provider cache and every rate limiter share the
connection pool the app's lifespan opens, instead of each opening its own."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import server_environment, uses_redis

ROOT = Path(__file__).resolve().parent.parent

# Run apart, so the app's lifespan (ORM, Redis) does not meet the test server's in this process.
COUNT_POOLS = """
import asyncio
import dataclasses

import redis.asyncio as redis

pools = []
opened = redis.ConnectionPool.__init__


def counting(self, *args, **kwargs):
    pools.append(self)
    opened(self, *args, **kwargs)


redis.ConnectionPool.__init__ = counting

from adapters.query_budget import QueryBudget
from adapters.ratelimit import RateLimiter
from app import create_app
from settings import Settings


async def main() -> None:
    app = create_app(Settings.from_env())
    async with app.router.lifespan_context(app):
        services = app.state.services
        # Every limiter and budget the lifespan builds, found by type so a new one is counted.
        for field in dataclasses.fields(services):
            component = getattr(services, field.name)
            if isinstance(component, RateLimiter):
                assert await component.hit("pool-probe") is None
            elif isinstance(component, QueryBudget):
                assert (await component.spend("pool-probe", 1)).allowed
        cache = services.platforms.cache
        await cache.set("pool-probe", b"v", 5)
        assert await cache.get("pool-probe") == b"v"
        async with services.broker.subscribe("pool-probe") as messages:
            await services.broker.publish("pool-probe", b"e")
            assert await anext(messages) == b"e"
    print(len(pools))


asyncio.run(main())
"""


@pytest.mark.skipif(not uses_redis(), reason="REDIS_URL not set")
def test_a_running_app_opens_one_redis_connection_pool():
    directory = tempfile.mkdtemp(prefix="creatorgraph-pools-")
    env = server_environment(DATABASE_URL=f"sqlite://{directory}/pools.sqlite3")
    done = subprocess.run(
        [sys.executable, "-c", COUNT_POOLS],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == "1", done.stdout
