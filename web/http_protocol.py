"""Uvicorn's HTTP/1.1 protocol (httptools), with each response leaving in one write.

Uvicorn writes a response's status line and headers when the app starts the response, and the
body when the app sends it: two ``send()`` calls on the socket for every response, the second
often a second TCP segment. On loopback and behind a proxy a send costs its share of the whole
network path, so for a small answer the two sends were a fifth of the server's CPU (a response
cache hit, sampled under load). Here the writes made in one turn of the event loop are joined
and leave together at the end of that turn; an app that sends its response start and its body
without waiting in between (every response here does) gets one send.

Only the transport's ``write`` is deferred, and only until the loop's next turn: anything that
ends the connection (``close``, ``abort``, ``write_eof``) sends what is held first, and a
websocket upgrade hands the real transport to the websocket protocol.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class CoalescingTransport:
    """A transport whose writes made in one turn of the event loop leave in one write."""

    __slots__ = ("_held", "_loop", "transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self.transport = transport
        self._held: list[bytes] = []
        self._loop = loop

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._held:
            self._loop.call_soon(self.flush)
        self._held.append(bytes(data))

    def writelines(self, lines: Any) -> None:
        for data in lines:
            self.write(data)

    def flush(self) -> None:
        if not self._held:
            return
        data = self._held[0] if len(self._held) == 1 else b"".join(self._held)
        self._held.clear()
        if not self.transport.is_closing():
            self.transport.write(data)

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def abort(self) -> None:
        self._held.clear()
        self.transport.abort()

    def write_eof(self) -> None:
        self.flush()
        self.transport.write_eof()

    def get_write_buffer_size(self) -> int:
        return self.transport.get_write_buffer_size() + sum(map(len, self._held))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    """``uvicorn.run(..., http=CoalescingHttpToolsProtocol)``."""

    _coalescing: CoalescingTransport | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._coalescing = CoalescingTransport(transport, self.loop)
        super().connection_made(self._coalescing)  # type: ignore[arg-type]

    def handle_websocket_upgrade(self) -> None:
        if self._coalescing is not None:
            self._coalescing.flush()
            self.transport = self._coalescing.transport
            self._coalescing = None
        super().handle_websocket_upgrade()
