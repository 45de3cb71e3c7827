"""What an instance says about itself, for load balancers and orchestrators.

- ``/health/live``: the process serves HTTP — 200 whenever it answers at all; restart it only
  when this fails.
- ``/health/ready``: each dependency named with its state. 503 only for what the instance cannot
  serve without (the database); Redis away is 200 with ``"status": "degraded"``, since limits,
  cache and events then work in process (adapters/redis_circuit.py).
- ``/health``: the shape it always had (``status`` and ``database``), with ``degraded`` as a
  status, for existing probes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from redis.asyncio import Redis
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from adapters.database import database_is_reachable
from adapters.redis_broker import RedisBroker
from adapters.redis_circuit import REDIS_FAILURES, RedisCircuit

OK, DEGRADED, UNAVAILABLE = "ok", "degraded", "unavailable"
NOT_CONFIGURED = "not configured"


@dataclass(frozen=True, slots=True)
class Dependencies:
    """What the readiness check asks, built by the lifespan (app.py)."""

    redis: Redis | None
    circuit: RedisCircuit
    broker: RedisBroker | None
    limit_seconds: float = 1.0

    async def checks(self) -> dict[str, str]:
        database = OK if await database_is_reachable(self.limit_seconds) else UNAVAILABLE
        redis = await self._redis()
        return {"database": database, "redis": redis, "broker": self._broker(redis)}

    async def _redis(self) -> str:
        if self.redis is None:
            return NOT_CONFIGURED
        try:
            async with asyncio.timeout(self.limit_seconds):
                await self.redis.ping()
        except REDIS_FAILURES as exc:
            self.circuit.failed(exc)
            return UNAVAILABLE
        self.circuit.succeeded()
        return OK

    def _broker(self, redis: str) -> str:
        if self.broker is None:
            return "in process"
        return OK if redis == OK and self.broker.listening else UNAVAILABLE


def overall(checks: dict[str, str]) -> str:
    if checks["database"] != OK:
        return UNAVAILABLE
    if any(state not in (OK, NOT_CONFIGURED, "in process") for state in checks.values()):
        return DEGRADED
    return OK


def _dependencies(request: Request) -> Dependencies:
    dependencies = request.scope["state"]["dependencies"]
    assert isinstance(dependencies, Dependencies)
    return dependencies


async def live(request: Request) -> Response:
    return JSONResponse({"status": OK})


async def ready(request: Request) -> Response:
    checks = await _dependencies(request).checks()
    status = overall(checks)
    return JSONResponse(
        {"status": status, "checks": checks}, status_code=503 if status == UNAVAILABLE else 200
    )


async def health(request: Request) -> Response:
    checks = await _dependencies(request).checks()
    status = overall(checks)
    return JSONResponse(
        {"status": status, "database": "ok" if checks["database"] == OK else "unreachable"},
        status_code=503 if status == UNAVAILABLE else 200,
    )
