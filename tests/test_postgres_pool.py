"""The PostgreSQL pool (adapters/postgres_pool.py): connections go to waiters in the order they
came, and back to the pool without a reset statement."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import asyncpg
import pytest
from tortoise import connections

from adapters.postgres_pool import FairPool, fair_pool, release_as_is
from tests.conftest import uses_postgres

pytestmark = pytest.mark.skipif(not uses_postgres(), reason="a PostgreSQL pool")


def dsn() -> str:
    return "postgresql://" + os.environ["DATABASE_URL"].split("://", 1)[1]


async def acquired(pool: asyncpg.Pool) -> Any:
    return await pool.acquire()


async def first_served(pool: asyncpg.Pool) -> str:
    """Which of two tasks a released connection goes to: one that has been waiting for it, or
    one that asks right after it came back, before the waiter had a chance to run."""
    held = await pool.acquire()
    waiter = asyncio.create_task(acquired(pool), name="waiter")
    await asyncio.sleep(0.05)  # the waiter now waits for the one connection
    release = asyncio.create_task(pool.release(held))
    await asyncio.sleep(0)  # the release starts; it hands the connection back in a task of its own
    newcomer = asyncio.create_task(acquired(pool), name="newcomer")
    done, _ = await asyncio.wait({waiter, newcomer}, return_when=asyncio.FIRST_COMPLETED)
    await release
    first = done.pop()
    await pool.release(first.result())
    second = newcomer if first is waiter else waiter
    await pool.release(await asyncio.wait_for(second, 5))
    return first.get_name()


async def test_a_released_connection_goes_to_the_waiter_not_to_a_newcomer():
    pool = await fair_pool(dsn(), min_size=1, max_size=1)
    try:
        assert await first_served(pool) == "waiter"
    finally:
        await pool.close()


async def test_asyncpg_s_own_pool_lets_the_newcomer_overtake():
    """What the fair pool is for (MagicStack/asyncpg#1247), on asyncpg's pool with the same
    steps and the same reset: should this start to fail, see whether asyncpg has fixed it."""
    pool = await asyncpg.create_pool(dsn(), min_size=1, max_size=1, reset=release_as_is)
    try:
        assert await first_served(pool) == "newcomer"
    finally:
        await pool.close()


async def test_a_wait_for_a_turn_counts_against_the_acquire_timeout():
    pool = await fair_pool(dsn(), min_size=1, max_size=1)
    try:
        held = await pool.acquire()
        with pytest.raises(TimeoutError):
            await pool.acquire(timeout=0.1)
        await pool.release(held)
        await pool.release(await pool.acquire(timeout=1))
    finally:
        await pool.close()


async def test_a_released_connection_keeps_its_session_and_is_not_reset(server: Any):
    """No reset statement on release: the server's own pool is a FairPool, and a session
    setting made outside a transaction (which creatorgraph never does) would survive."""
    client = connections.get("default")
    await client.execute_query("SELECT 1")  # the pool is made on first use
    pool = client._pool  # Tortoise's: what the server queries through
    assert isinstance(pool, FairPool)
    async with pool.acquire() as connection:
        backend = await connection.fetchval("SELECT pg_backend_pid()")
        await connection.execute("SET application_name = 'pool-test'")
    async with pool.acquire() as connection:
        assert await connection.fetchval("SELECT pg_backend_pid()") == backend  # the same one
        assert await connection.fetchval("SHOW application_name") == "pool-test"
        await connection.execute("RESET application_name")
