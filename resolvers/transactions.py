"""The transaction every write runs in: Tortoise's ``in_transaction()``, made to tell the truth
when the database connection is lost. Two things went wrong there (tests/test_faults.py):

1. **A connection that outlived its transaction.** Tortoise binds the transaction's connection
   to the task (a context variable) and, on exit, commits, hands the connection back to the
   pool and unbinds it — but the unbinding sits after the hand-back, and asyncpg's hand-back
   raises when the connection died after the commit (it reset the connection with a query then,
   where "connection was closed in the middle of operation" or "cannot switch to state 12;
   another operation (2) is in progress" came from; adapters/postgres_pool.py has since removed
   that query, and with it the window tests/test_faults.py used to cut). The task then stayed
   bound to a connection already back in the pool: its later queries failed ("released back
   to the pool") or raced another task's, and the committed write was reported as an error.
   Here the task is unbound first, and a connection that cannot be reset is discarded (asyncpg
   has already terminated it) without turning a decided transaction into an error. A failure
   to begin releases the connection too (Tortoise left it checked out).

2. **A COMMIT whose answer was lost.** When the connection drops while COMMIT is in flight,
   PostgreSQL may have committed or not. So each write notes its transaction id and, when its
   commit fails with a lost connection, asks on a fresh connection (``txid_status``), retrying
   for up to ``COMMIT_CHECK_SECONDS`` while the database is away: committed → the caller goes
   on to success; aborted → the lost connection is answered as SERVICE_UNAVAILABLE; unknown at
   the deadline → ``CommitOutcomeUnknown``, answered with ``"outcome": "UNKNOWN"`` so the
   client checks before it retries.

On SQLite (one local connection) and for a savepoint inside a transaction, this is Tortoise's
transaction unchanged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from tortoise.backends.base.client import TransactionContextPooled
from tortoise.connection import get_connections
from tortoise.transactions import in_transaction

from resolvers.unavailable import CommitOutcomeUnknown, is_unavailable

log = logging.getLogger("creatorgraph.transactions")

COMMIT_CHECK_SECONDS = 5.0
_CHECK_INTERVAL_SECONDS = 0.1


@asynccontextmanager
async def write_transaction() -> AsyncIterator[None]:
    """``async with write_transaction():`` in place of ``in_transaction()`` for a write whose
    caller is told whether it happened."""
    context = in_transaction()
    if not isinstance(context, TransactionContextPooled):
        async with context:
            yield
        return
    # The steps of Tortoise's TransactionContextPooled, reordered (see the module's docstring).
    client: Any = context.client
    await context.ensure_connection()
    pool = client._parent._pool
    client._connection = await pool.acquire()
    token = get_connections().set(context.connection_name, client)
    try:
        await client.begin()
        _, rows = await client.execute_query("SELECT txid_current() AS xid")
        xid = int(rows[0]["xid"])
        try:
            yield
        except BaseException:
            await _rollback(client)
            raise
        await _commit(client, xid)
    finally:
        get_connections().reset(token)
        await _release(pool, client._connection)


async def _rollback(client: Any) -> None:
    """The body's error is the caller's answer; a rollback that fails (the connection is gone,
    and the server rolls back by itself) must not replace it."""
    try:
        await client.rollback()
    except Exception as exc:
        log.warning("rollback failed (%r); the transaction ends with its connection", exc)


async def _commit(client: Any, xid: int) -> None:
    try:
        await client.commit()
    except Exception as exc:
        if not is_unavailable(exc):
            raise
        outcome = await _outcome(client._parent, xid)
        if outcome == "committed":
            log.warning("the commit of transaction %d lost its answer; it committed", xid)
            return
        if outcome is None:
            raise CommitOutcomeUnknown(xid) from exc
        raise


async def _outcome(database: Any, xid: int) -> str | None:
    """ "committed" or "aborted" once PostgreSQL can say; None if it cannot in time. Asked
    through the pool (``database`` is the client outside any transaction)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + COMMIT_CHECK_SECONDS
    while True:
        try:
            _, rows = await database.execute_query("SELECT txid_status($1) AS status", [xid])
            status = rows[0]["status"]
            if status in ("committed", "aborted"):
                return str(status)
            # "in progress": the server has not yet noticed that the client went away
        except Exception as exc:
            if not is_unavailable(exc):
                raise
        if loop.time() >= deadline:
            return None
        await asyncio.sleep(_CHECK_INTERVAL_SECONDS)


async def _release(pool: Any, connection: Any) -> None:
    try:
        await pool.release(connection)
    except Exception as exc:  # asyncpg terminated it: the pool opens a fresh one when needed
        log.warning("a database connection could not be reset for reuse (%r); discarded", exc)
