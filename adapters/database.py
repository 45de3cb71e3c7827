"""The database's lifecycle: applying migrations safely, telling whether it answers, and
closing its connections on shutdown.

Migrations run before the ORM is registered for serving. On PostgreSQL they run under a
session-level advisory lock so that several instances starting together apply each migration
exactly once; the others wait and then find nothing left to do. The job engine's tables
(procrastinate's own schema) are created under the same lock, once.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from tortoise import Tortoise, connections
from tortoise.migrations.api import migrate

from adapters.job_queue import apply_job_schema

log = logging.getLogger("creatorgraph.database")

# An arbitrary constant naming "creatorgraph migrations" among advisory locks.
MIGRATION_LOCK_KEY = 0x63726734


async def apply_migrations(config: dict[str, Any]) -> None:
    """Apply every pending migration, then close the connections the migrator opened."""
    connection = config["connections"]["default"]
    if isinstance(connection, dict):  # PostgreSQL (settings.tortoise_config)
        from adapters.postgres_pool import FairAsyncpgDBClient

        # Tortoise's own client reads the credentials, as the server's does: one connection,
        # held (the lock is the session's) until the migrations are done.
        credentials = {**connection["credentials"], "minsize": 1, "maxsize": 1}
        lock_client = FairAsyncpgDBClient(connection_name="migration-lock", **credentials)
        await lock_client.create_connection(with_db=True)
        try:
            async with lock_client.acquire_connection() as lock_conn:
                await lock_conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
                try:
                    await _migrate(config)
                    if await apply_job_schema(lock_conn):
                        log.info("created the job engine's tables")
                finally:
                    await lock_conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
        finally:
            await lock_client.close()
    else:
        await _migrate(config)


async def _migrate(config: dict[str, Any]) -> None:
    try:
        await migrate(config=config, progress=_log_progress)
    finally:
        await Tortoise.close_connections()


def _log_progress(event: str, app_label: str, name: str) -> None:
    if event == "apply_done":
        log.info("applied migration %s.%s", app_label, name)


async def database_is_reachable(limit_seconds: float = 2.0) -> bool:
    """A cheap round trip to the database, bounded in time, for /health."""
    try:
        conn = connections.get("default")
        async with asyncio.timeout(limit_seconds):
            await conn.execute_query("SELECT 1")
    except Exception:
        log.warning("database health check failed", exc_info=True)
        return False
    return True


async def close_database_connections() -> None:
    """Closes every connection pool, waiting for the queries in flight; cancelled (the
    caller's deadline), asyncpg terminates the pool's connections instead. Tortoise's later
    close then finds the pools closed and returns at once."""
    await connections.close_all(discard=False)
