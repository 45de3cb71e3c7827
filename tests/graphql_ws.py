"""A small graphql-transport-ws client over the `websockets` package, for tests and benchmarks.

``subscribe`` sends the subscription and then a ping: the server answers the ping only once the
subscription is listening, so an event published after ``subscribe`` returns is never missed.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict, deque
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

PROTOCOL = "graphql-transport-ws"


def ws_url(http_url: str) -> str:
    return http_url.replace("http://", "ws://", 1) + "/graphql"


class GraphQLWebSocket:
    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self._ids = itertools.count(1)
        self._inbox: dict[str, deque[dict[str, Any]]] = defaultdict(deque)
        self._arrived = asyncio.Event()
        self._pongs = 0

    @classmethod
    async def open(
        cls,
        http_url: str,
        token: str | None,
        *,
        init: bool = True,
        params: dict[str, Any] | None = None,
        **connect_options: Any,
    ) -> GraphQLWebSocket:
        connection = await connect(
            ws_url(http_url), subprotocols=[PROTOCOL], open_timeout=10, **connect_options
        )
        client = cls(connection)
        if init:
            payload = params if params is not None else {"authorization": f"Bearer {token}"}
            await client.send({"type": "connection_init", "payload": payload})
            ack = await client.receive_raw(5)
            assert ack["type"] == "connection_ack", ack
        return client

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(orjson.dumps(message).decode())

    async def receive_raw(self, within: float = 5) -> dict[str, Any]:
        frame = await asyncio.wait_for(self.connection.recv(), within)
        assert isinstance(frame, str), "frames must be text"
        return orjson.loads(frame)

    async def _pump(self, within: float) -> None:
        message = await self.receive_raw(within)
        if message["type"] == "pong":
            self._pongs += 1
        elif "id" in message:
            self._inbox[message["id"]].append(message)

    async def ping(self, within: float = 5) -> None:
        seen = self._pongs
        await self.send({"type": "ping"})
        async with asyncio.timeout(within):
            while self._pongs == seen:
                await self._pump(within)

    async def subscribe(
        self, query: str, variables: dict[str, Any] | None = None, *, wait: bool = True
    ) -> str:
        operation_id = str(next(self._ids))
        payload: dict[str, Any] = {"query": query}
        if variables is not None:
            payload["variables"] = variables
        await self.send({"id": operation_id, "type": "subscribe", "payload": payload})
        if wait:
            await self.ping()
        return operation_id

    async def message(self, operation_id: str, within: float = 5) -> dict[str, Any]:
        """The next message (next, error or complete) for one operation."""
        async with asyncio.timeout(within):
            while not self._inbox[operation_id]:
                await self._pump(within)
        return self._inbox[operation_id].popleft()

    async def next(self, operation_id: str, within: float = 5) -> dict[str, Any]:
        """The payload of the operation's next ``next`` message."""
        message = await self.message(operation_id, within)
        assert message["type"] == "next", message
        return message["payload"]

    async def nothing_for(self, operation_id: str, seconds: float) -> bool:
        """True when no message for the operation arrives within ``seconds``."""
        try:
            await self.message(operation_id, seconds)
        except TimeoutError:
            return True
        return False

    async def complete(self, operation_id: str) -> None:
        await self.send({"id": operation_id, "type": "complete"})

    async def closed(self, within: float = 5) -> tuple[int | None, str | None]:
        """Waits for the server to close the socket; returns its close code and reason."""
        async with asyncio.timeout(within):
            try:
                while True:
                    await self.connection.recv()
            except ConnectionClosed:
                pass
        return self.connection.close_code, self.connection.close_reason

    async def close(self) -> None:
        await self.connection.close()

    async def __aenter__(self) -> GraphQLWebSocket:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
