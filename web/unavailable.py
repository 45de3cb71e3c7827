"""REST routes' answer to a lost database connection: 503 with ``Retry-After``, in the REST
routes' body shape, instead of a 500 (GraphQL answers the same failure with the
``SERVICE_UNAVAILABLE`` code, schema/unavailable.py)."""

from __future__ import annotations

import logging

import asyncpg
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from resolvers.unavailable import RETRY_AFTER_SECONDS, UNAVAILABLE_ERRORS, is_unavailable

log = logging.getLogger("creatorgraph.errors")

# The exception classes to register the handler for (it re-checks each one it gets).
HANDLED: tuple[type[BaseException], ...] = (*UNAVAILABLE_ERRORS, asyncpg.InterfaceError)


async def service_unavailable(request: Request, exc: Exception) -> Response:
    if not is_unavailable(exc):
        raise exc  # not a lost connection: a bug, answered 500 and logged by Starlette
    log.warning(
        "database unavailable (request %s) on %s: %r",
        request.scope.get("state", {}).get("request_id", "-"),
        request.url.path,
        exc,
    )
    return JSONResponse(
        {
            "message": "Service unavailable",
            "error": "The service is briefly unavailable; retry shortly.",
            "retryAfter": RETRY_AFTER_SECONDS,
        },
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
