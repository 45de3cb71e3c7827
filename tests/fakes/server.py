"""The machinery every fake provider shares: a real HTTP server on loopback (Starlette under
uvicorn), per-handle scripted replies for the odd cases, and counters of what was asked.

A test scripts a handle with ``fake.script(handle, Reply(...), ...)``: each request about that
handle takes the next scripted reply, then the fake answers normally again. Handles are unique
per test, so tests never see each other's scripts or counts.
"""

from __future__ import annotations

import asyncio
import socket
from abc import ABC, abstractmethod
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@dataclass
class Reply:
    status: int = 200
    json: Any = None
    body: bytes | None = None  # raw bytes, for malformed answers; wins over ``json``
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    def response(self) -> Response:
        content = self.body if self.body is not None else orjson.dumps(self.json)
        return Response(
            content, status_code=self.status, headers=self.headers, media_type="application/json"
        )


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


class FakeProvider(ABC):
    """Base of the fakes: subclasses add ``routes()`` and their own account data."""

    def __init__(self) -> None:
        self.scripts: dict[str, list[Reply]] = defaultdict(list)
        self.calls: Counter[str] = Counter()  # lookups per handle (the main endpoint only)
        self.seen: list[Seen] = []
        self.delays: dict[str, float] = {}
        self.url = ""
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @abstractmethod
    def routes(self) -> list[Route]:
        """The provider's endpoints, as Starlette routes."""

    def script(self, handle: str, *replies: Reply) -> None:
        self.scripts[handle.lower()].extend(replies)

    async def answer(self, handle: str, normal: Callable[[], Reply]) -> Response:
        """The next scripted reply for ``handle``, else the normal one."""
        key = handle.lower()
        self.calls[key] += 1
        reply = self.scripts[key].pop(0) if self.scripts[key] else normal()
        delay = reply.delay or self.delays.get(key, 0.0)
        if delay:
            await asyncio.sleep(delay)
        return reply.response()

    async def record(self, request: Request) -> None:
        query: dict[str, list[str]] = defaultdict(list)
        for key, value in request.query_params.multi_items():
            query[key].append(value)
        self.seen.append(
            Seen(
                request.method,
                request.url.path,
                dict(query),
                {k.lower(): v for k, v in request.headers.items()},
                await request.body(),
            )
        )

    async def start(self) -> None:
        port = _free_port()
        app = Starlette(routes=self.routes())
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        for _ in range(500):
            if self._server.started:
                break
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.01)
        else:
            raise RuntimeError(f"{type(self).__name__} did not start")
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task


def json_reply(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status=status, json=data, headers=headers or {})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
