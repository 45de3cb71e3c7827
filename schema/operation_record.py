"""What one GraphQL operation was and how it ended, for the metrics and the access log.

Filled by ``ObserveOperations`` (schema/operation_observer.py), which keeps it on the request
context (where ``QueryLimits`` notes the cost) and, for HTTP, in the request's scope state,
where the access log (web/access_log.py) reads it after the response.
"""

from __future__ import annotations

from dataclasses import dataclass

OUTCOMES = ("ok", "user_error", "client_error", "server_error", "refused")


@dataclass(slots=True)
class OperationRecord:
    name: str | None = None
    type: str = "unknown"  # query, mutation, subscription; unknown when it did not parse
    outcome: str = "ok"  # one of OUTCOMES
    cost: int | None = None
    user_id: int | None = None
    seconds: float = 0.0
