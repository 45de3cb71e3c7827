"""A lost database connection answered as what it is: a retryable ``SERVICE_UNAVAILABLE``
top-level error, never INTERNAL_SERVER_ERROR or the driver's own message.

Done where Strawberry hands over every phase's errors (``SchemaWithErrorCodes.process_errors``,
schema/error_codes.py), which runs before masking: a connection can be lost in a resolver, or
before execution in an extension that reads the viewer (the query budget), whose errors the
masker never sees. A write whose call answers this was not committed (the commit is the last
step of every write, a commit that lost its answer is checked, resolvers/transactions.py, and
events after it never fail the call) — unless the answer carries ``"outcome": "UNKNOWN"``."""

from __future__ import annotations

import logging

from graphql import GraphQLError

from resolvers.unavailable import (
    RETRY_AFTER_SECONDS,
    SERVICE_UNAVAILABLE,
    is_unavailable,
    outcome_unknown,
)

log = logging.getLogger("creatorgraph.errors")

MESSAGE = "The service is briefly unavailable; retry shortly."
UNKNOWN_MESSAGE = (
    "The service became unavailable while saving; the change may have been saved: "
    "check before retrying."
)


def answer_unavailable(errors: list[GraphQLError], request_id: str | None) -> list[GraphQLError]:
    """Rewrites, in place, each error caused by a lost dependency into the retryable answer
    (logged once each, as a warning without a trace), and returns the other errors."""
    others: list[GraphQLError] = []
    for error in errors:
        cause = error.original_error
        if not is_unavailable(cause):
            others.append(error)
            continue
        log.warning("database unavailable (request %s) at %s: %r", request_id, error.path, cause)
        error.message = MESSAGE
        error.extensions = {"code": SERVICE_UNAVAILABLE, "retryAfter": RETRY_AFTER_SECONDS}
        if outcome_unknown(cause):
            error.message = UNKNOWN_MESSAGE
            error.extensions["outcome"] = "UNKNOWN"
        if request_id:
            error.extensions["requestId"] = request_id
        error.original_error = None  # answered: not a bug for the masker
    return others
