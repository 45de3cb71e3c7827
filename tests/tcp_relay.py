"""A loopback TCP relay in front of a real PostgreSQL or Redis, which a test can cut (every
connection reset, new ones refused), restore (on the same port), or freeze (connections stay
open and nothing passes: a peer that stopped answering) — faults for the server under test
without stopping the shared servers other tests use."""

from __future__ import annotations

import asyncio
import contextlib

from tests.conftest import free_port


class TcpRelay:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.port = free_port()
        self.writers: set[asyncio.StreamWriter] = set()
        self.server: asyncio.Server | None = None
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._answers = asyncio.Event()  # cleared: answers to clients are held
        self._answers.set()
        self._trigger: tuple[bytes, ...] = ()
        self.triggered = asyncio.Event()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.CancelledError):  # the test's loop is closing
            await self._relay(reader, writer)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.add(writer)
        try:
            await self._flowing.wait()  # a frozen relay accepts, then holds the connection
            up_reader, up_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except (ConnectionError, OSError):
            writer.close()
            self.writers.discard(writer)
            return
        self.writers.add(up_writer)

        seen = 0  # how much of the armed sequence this connection has sent so far

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, answers: bool) -> None:
            nonlocal seen
            with contextlib.suppress(ConnectionError, OSError):
                while data := await src.read(65536):
                    await self._flowing.wait()
                    if answers:
                        await self._answers.wait()
                    dst.write(data)
                    await dst.drain()
                    if not answers and self._trigger:
                        seen = self._advance(seen, data)
            dst.close()

        try:
            await asyncio.gather(
                pipe(reader, up_writer, answers=False), pipe(up_reader, writer, answers=True)
            )
        finally:
            self.writers.discard(writer)
            self.writers.discard(up_writer)

    async def cut(self) -> None:
        """Every open connection reset, and new ones refused until ``restore``."""
        assert self.server is not None
        self.server.close()
        for writer in list(self.writers):
            transport = writer.transport
            if isinstance(transport, asyncio.Transport):
                transport.abort()  # a reset, as when a database is killed or a link drops
            else:
                writer.close()
        self.writers.clear()
        await self.server.wait_closed()
        self._flowing.set()
        self._answers.set()

    async def restore(self) -> None:
        await self.start()

    def lose_answer_to(self, *sequence: bytes) -> None:
        """Arms a one-shot fault: once a connection has sent these byte strings in order (the
        last one forwarded to the server), no answer reaches any client any more, and the relay
        is cut a moment later — a statement the server received and ran, whose answer was
        lost with the connection."""
        self._trigger = sequence

    def _advance(self, seen: int, data: bytes) -> int:
        while seen < len(self._trigger) and self._trigger[seen] in data:
            seen += 1
        if seen == len(self._trigger):
            self._trigger = ()
            self._answers.clear()
            self.triggered.set()
            asyncio.get_running_loop().call_later(0.3, lambda: asyncio.ensure_future(self.cut()))
        return seen

    def freeze(self) -> None:
        """Connections stay open and accepted, but no byte passes either way."""
        self._flowing.clear()

    def thaw(self) -> None:
        self._flowing.set()

    async def stop(self) -> None:
        if self.server is not None and self.server.is_serving():
            await self.cut()
