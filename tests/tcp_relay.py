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

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await src.read(65536):
                    await self._flowing.wait()
                    dst.write(data)
                    await dst.drain()
            dst.close()

        try:
            await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
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

    async def restore(self) -> None:
        await self.start()

    def freeze(self) -> None:
        """Connections stay open and accepted, but no byte passes either way."""
        self._flowing.clear()

    def thaw(self) -> None:
        self._flowing.set()

    async def stop(self) -> None:
        if self.server is not None and self.server.is_serving():
            await self.cut()
