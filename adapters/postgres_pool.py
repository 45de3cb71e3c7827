"""PostgreSQL connections for Tortoise: asyncpg's pool, with waiters served in arrival order
and connections handed back as they are. ``settings.tortoise_config`` names this module as the
engine of a PostgreSQL connection; otherwise it is Tortoise's asyncpg backend unchanged.

**Waiters in turn.** asyncpg's pool hands out connections through an ``asyncio.Queue``. When a
connection comes back, the first waiter is woken, but any task that runs before it (under
load, the requests already scheduled in that turn of the event loop) finds the connection free
and takes it. The woken waiter then finds the queue empty and queues again, at the back
(MagicStack/asyncpg#1247, open). With 32 concurrent reads on a pool of 5, one read in ten
waited more than twice the median, and p99 was 56 ms for a 9 ms median (bench/peers.py, profile
by id). Here at most one task waits on asyncpg's queue at a time, and the others wait their turn
on a lock that serves them in order (asyncio's locks do not let newcomers overtake waiters).

**Handed back as they are.** By default asyncpg resets a connection on release with a round
trip (``SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL``). Tortoise takes a
connection for each query, so that was a second statement after every query: about a tenth of a
compiled read's CPU, and as many statements again for PostgreSQL. creatorgraph leaves no session
state on pooled connections: settings change only with ``SET LOCAL`` inside a transaction, and
the migration lock (the one advisory lock; nothing LISTENs) has a connection of its own;
tests/test_architecture.py keeps it so. asyncpg still rolls back a transaction left open before
calling the reset.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import asyncpg
from tortoise.backends.asyncpg.client import AsyncpgDBClient

# asyncpg.create_pool's defaults, for the arguments Tortoise leaves to it.
_POOL_DEFAULTS = {
    name: parameter.default
    for name, parameter in inspect.signature(asyncpg.create_pool).parameters.items()
    if parameter.kind is parameter.KEYWORD_ONLY and parameter.default is not parameter.empty
}


async def release_as_is(connection: object) -> None:
    """The pool's ``reset``: nothing to undo (see the module's docstring)."""
    return None


class FairPool(asyncpg.Pool):
    """asyncpg's pool, its waiters served in arrival order."""

    __slots__ = ("_turn",)

    def __init__(self, *connect_args: Any, **kwargs: Any) -> None:
        super().__init__(*connect_args, **kwargs)
        self._turn = asyncio.Lock()

    async def _acquire(self, timeout: float | None) -> Any:  # noqa: ASYNC109 (asyncpg's signature)
        if timeout is None:  # Tortoise's case: no deadline to keep (a Timeout costs as much)
            async with self._turn:
                return await super()._acquire(None)  # type: ignore[misc]  # private, not in stubs
        async with asyncio.timeout(timeout), self._turn:
            return await super()._acquire(None)  # type: ignore[misc]


async def fair_pool(dsn: str | None = None, **kwargs: Any) -> FairPool:
    """``asyncpg.create_pool``, giving a ``FairPool`` that hands connections back as they are."""
    pool = FairPool(dsn, **{**_POOL_DEFAULTS, **kwargs, "reset": release_as_is})
    await pool
    return pool


class FairAsyncpgDBClient(AsyncpgDBClient):
    async def create_pool(self, **kwargs: Any) -> asyncpg.Pool:
        return await fair_pool(**kwargs)


client_class = FairAsyncpgDBClient
