"""Which failures mean "a dependency is away, retry shortly" rather than a bug.

A database connection lost mid-request (killed, reset, refused, the pool timing out) says
nothing about the request: the same call succeeds once PostgreSQL answers again. The GraphQL
layer answers these with the retryable code ``SERVICE_UNAVAILABLE`` (schema/unavailable.py) and
the REST routes with 503 and ``Retry-After`` (app.py), instead of masking them as internal
errors. Whatever else asyncpg raises — "another operation is in progress" included — stays a
bug, masked and logged with its trace.
"""

from __future__ import annotations

import asyncpg
from tortoise.exceptions import DBConnectionError

RETRY_AFTER_SECONDS = 2
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"


class CommitOutcomeUnknown(Exception):
    """A write's COMMIT lost its connection and the database could not say in time whether it
    committed (resolvers/transactions.py): the client must check before retrying."""

    def __init__(self, xid: int) -> None:
        super().__init__(f"the outcome of transaction {xid} is unknown")
        self.xid = xid


# Lost, refused or shut-down connections, and no connection to be had in time.
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,  # includes "connection was closed in the middle of operation"
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
    DBConnectionError,
    CommitOutcomeUnknown,
    ConnectionError,  # refused, reset, aborted
    TimeoutError,  # the pool or the connection timing out
)


def is_unavailable(exc: BaseException | None) -> bool:
    """True when ``exc``, or an exception it was raised from, is a lost database connection."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, UNAVAILABLE_ERRORS):
            return True
        if isinstance(exc, asyncpg.InterfaceError) and "connection is closed" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def outcome_unknown(exc: BaseException | None) -> bool:
    """True when ``exc`` is, or was raised from, a write whose commit may have happened."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, CommitOutcomeUnknown):
            return True
        exc = exc.__cause__ or exc.__context__
    return False
