"""``GET /metrics``: the app's Prometheus metrics (adapters/metrics.py) in the text format.

With ``METRICS_TOKEN`` set, a scraper sends ``Authorization: Bearer <token>`` (compared in
constant time) or gets 401. Without one the endpoint is open in development and test and
refused (403) in production: the numbers show traffic, operation names and error rates, which
an instance on the open internet should not hand to anyone who asks.
"""

from __future__ import annotations

import hmac

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters.metrics import Metrics
from web.refusals import error_body


def metrics_route(metrics: Metrics, token: str | None, *, production: bool) -> Route:
    expected = f"Bearer {token}".encode() if token else None

    async def serve_metrics(request: Request) -> Response:
        if expected is None and production:
            return _refusal(403, "Set METRICS_TOKEN to expose /metrics in production.", "FORBIDDEN")
        if expected is not None:
            sent = request.headers.get("authorization", "").encode()
            if not hmac.compare_digest(sent, expected):
                return _refusal(
                    401, "Send 'Authorization: Bearer <METRICS_TOKEN>'.", "UNAUTHENTICATED"
                )
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return Route("/metrics", serve_metrics, methods=["GET"])


def _refusal(status: int, message: str, code: str) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return Response(
        error_body(message, code), status, headers=headers, media_type="application/json"
    )
