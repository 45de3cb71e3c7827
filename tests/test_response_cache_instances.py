"""Zero stale reads across instances: two `app.py serve` processes on one PostgreSQL and one
Redis, each with its own response cache. After a sync commits on one and its answer is back,
the next read of that profile on the other shows the new numbers — whether or not the other has
heard the pub/sub message yet — because the tags' generations live in Redis."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.admin_support import admin, suspend
from tests.conftest import (
    GraphQLClient,
    RunningServer,
    register,
    server_environment,
)
from tests.server_process import ROOT, ServerProcess, needs_postgres_and_redis, two_instances
from tests.test_response_cache import PROFILE, VIEWER, read, synced, totals

pytestmark = needs_postgres_and_redis

ROUNDS = 200


@pytest.fixture(scope="module")
async def instances(server: RunningServer) -> AsyncIterator[list[ServerProcess]]:
    """Two instances on the session server's database (already migrated) and Redis."""
    async with two_instances() as pair:
        yield pair


@pytest.fixture
async def clients(instances: list[ServerProcess]) -> AsyncIterator[list[httpx.AsyncClient]]:
    async with (
        httpx.AsyncClient(base_url=instances[0].url, timeout=30) as one,
        httpx.AsyncClient(base_url=instances[1].url, timeout=30) as two,
    ):
        yield [one, two]


async def test_a_sync_on_one_instance_is_never_read_stale_on_the_other(
    clients: list[httpx.AsyncClient],
):
    a, b = clients
    account = await register(GraphQLClient(a))
    variables = {"id": account.profile_id}
    hits = 0
    for n in range(1, ROUNDS + 1):
        followers = 1_000 + n
        await synced(a, account, followers)
        first = await read(b, PROFILE, variables)
        assert totals(first) == followers, f"round {n}: {first.headers['x-cache']}"
        second = await read(b, PROFILE, variables)
        assert totals(second) == followers
        hits += second.headers["x-cache"] == "HIT"
    assert hits > ROUNDS // 2  # the other instance does answer from its cache between syncs


async def test_a_suspension_on_one_instance_refuses_the_cached_viewer_on_the_other(
    clients: list[httpx.AsyncClient],
):
    a, b = clients
    boss = await admin(GraphQLClient(a))
    user = await register(GraphQLClient(a))
    await read(b, VIEWER, token=user.access_token)
    assert (await read(b, VIEWER, token=user.access_token)).headers["x-cache"] == "HIT"
    await suspend(GraphQLClient(a), boss, user)
    refused = await read(b, VIEWER, token=user.access_token)
    assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_createadmin_announces_the_new_role_to_every_instance(
    clients: list[httpx.AsyncClient],
):
    a, b = clients
    user = await register(GraphQLClient(a))
    await read(b, VIEWER, token=user.access_token)
    cached = await read(b, VIEWER, token=user.access_token)
    assert cached.headers["x-cache"] == "HIT"
    assert cached.json()["data"]["viewer"]["role"] == "CREATOR"
    command = await asyncio.create_subprocess_exec(
        sys.executable,
        "app.py",
        "createadmin",
        user.email,
        cwd=ROOT,
        env={**os.environ, **server_environment()},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await command.communicate()
    assert command.returncode == 0, output.decode()
    after = await read(b, VIEWER, token=user.access_token)
    assert after.json()["data"]["viewer"]["role"] == "ADMIN"
