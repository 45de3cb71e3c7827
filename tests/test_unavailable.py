"""Which failures are a lost database (retry shortly) and which stay bugs."""

from __future__ import annotations

import asyncpg
from graphql import GraphQLError
from tortoise.exceptions import OperationalError

from resolvers.unavailable import is_unavailable
from schema.unavailable import answer_unavailable


def raised_from(cause: BaseException, outer: BaseException) -> BaseException:
    try:
        try:
            raise cause
        except BaseException as inner:
            raise outer from inner
    except BaseException as caught:
        return caught


def test_lost_refused_and_closed_connections_are_unavailable():
    assert is_unavailable(asyncpg.ConnectionDoesNotExistError("closed in the middle"))
    assert is_unavailable(asyncpg.AdminShutdownError("terminating connection"))
    assert is_unavailable(ConnectionRefusedError(111, "Connection refused"))
    assert is_unavailable(TimeoutError())
    assert is_unavailable(asyncpg.InterfaceError("cannot call rollback(): connection is closed"))
    assert is_unavailable(raised_from(ConnectionResetError(), OperationalError("wrapped")))


def test_misuse_of_a_connection_and_other_errors_stay_bugs():
    assert not is_unavailable(
        asyncpg.InterfaceError("cannot perform operation: another operation is in progress")
    )
    assert not is_unavailable(asyncpg.exceptions.InternalClientError("cannot switch to state 12"))
    assert not is_unavailable(ValueError("bad"))
    assert not is_unavailable(None)


def test_an_unavailable_error_is_answered_with_a_retryable_code_and_no_driver_message():
    lost = GraphQLError(
        "connection was closed in the middle of operation",
        path=["socialSync"],
        original_error=asyncpg.ConnectionDoesNotExistError("connection was closed"),
    )
    bug = GraphQLError("boom", path=["viewer"], original_error=KeyError("x"))
    assert answer_unavailable([lost, bug], "req-1") == [bug]
    assert lost.formatted == {
        "message": "The service is briefly unavailable; retry shortly.",
        "path": ["socialSync"],
        "extensions": {"code": "SERVICE_UNAVAILABLE", "retryAfter": 2, "requestId": "req-1"},
    }
    assert lost.original_error is None  # answered, so the masker leaves it be
