"""Each HTTP response leaves the server in one write (web/http_protocol.py).

Uvicorn's own protocol sends a response's headers and its body in two ``send()`` calls: two
TCP segments for every answer. Linux counts the data segments a socket has received
(``tcpi_data_segs_in`` of ``TCP_INFO``), so these tests see the server's writes from a real
client socket on loopback.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import pytest

from tests.conftest import RunningServer, server_environment
from tests.server_process import served

pytestmark = pytest.mark.skipif(
    sys.platform != "linux", reason="reads Linux's TCP_INFO to count the segments received"
)

# struct tcp_info (linux/tcp.h): tcpi_data_segs_in, a u32, follows 152 bytes of older fields.
DATA_SEGS_IN_OFFSET = 152


def data_segments_received(writer: asyncio.StreamWriter) -> int:
    sock = writer.get_extra_info("socket")
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    return int(struct.unpack_from("I", info, DATA_SEGS_IN_OFFSET)[0])


@asynccontextmanager
async def connection(url: str) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        yield reader, writer
    finally:
        writer.close()
        await writer.wait_closed()


async def read_response(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    """One response with a Content-Length: its head and its body."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    return head, await reader.readexactly(length)


def graphql_request(query: str, *, close: bool = False) -> bytes:
    body = json.dumps({"query": query}).encode()
    connection_header = b"Connection: close\r\n" if close else b""
    return (
        b"POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        + connection_header
        + b"Content-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )


async def test_each_answer_on_a_kept_alive_connection_arrives_in_one_segment(
    server: RunningServer,
):
    async with connection(server.url) as (reader, writer):
        for request in (
            b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n",
            graphql_request("{ __typename }"),
        ) * 3:
            before = data_segments_received(writer)
            writer.write(request)
            head, body = await read_response(reader)
            assert head.startswith(b"HTTP/1.1 200")
            assert body
            assert data_segments_received(writer) - before == 1


async def test_a_large_answer_arrives_whole(server: RunningServer):
    """Held writes are joined, never cut: 100 KB of introspection answer, byte for byte."""
    query = "{ __schema { types { name description fields { name description } } } }"
    async with connection(server.url) as (reader, writer):
        writer.write(graphql_request(query))
        head, body = await read_response(reader)
    assert head.startswith(b"HTTP/1.1 200")
    assert len(body) > 20_000
    assert json.loads(body)["data"]["__schema"]["types"]


async def test_an_answer_before_the_server_closes_the_connection_is_sent_first(
    server: RunningServer,
):
    async with connection(server.url) as (reader, writer):
        writer.write(graphql_request("{ __typename }", close=True))
        everything = await reader.read()  # until the server closes the connection
    head, _, body = everything.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"connection: close" in head.lower()
    assert json.loads(body)["data"] == {"__typename": "Query"}


async def test_app_py_serve_answers_in_one_segment():
    """The server the README starts, not only the tests' in-process one."""
    async with served(server_environment()) as process, connection(process.url) as (reader, writer):
        before = data_segments_received(writer)
        writer.write(b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n")
        head, _ = await read_response(reader)
        assert head.startswith(b"HTTP/1.1 200")
        assert data_segments_received(writer) - before == 1
