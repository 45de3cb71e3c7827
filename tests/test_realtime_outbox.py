"""The connection outbox: frames written at once while the socket takes them, queued in order
while it does not, and the connection dropped when the queue overflows."""

from __future__ import annotations

import asyncio

from live.outbox import ConnectionOutbox


class Socket:
    """A websocket send that suspends while ``writable`` is clear, as uvicorn's does."""

    def __init__(self) -> None:
        self.writable = asyncio.Event()
        self.writable.set()
        self.written: list[str] = []
        self.fail = False

    async def send_text(self, frame: str) -> None:
        await self.writable.wait()
        if self.fail:
            raise RuntimeError("closed")
        self.written.append(frame)


async def test_frames_are_written_at_once_while_the_socket_takes_them():
    socket, drops = Socket(), []
    outbox = ConnectionOutbox(socket.send_text, 4, lambda: drops.append(1))
    for frame in "abc":
        outbox.send_frame(frame)
        assert socket.written[-1] == frame  # no task switch needed
    assert drops == []


async def test_frames_queue_in_order_behind_a_full_socket_and_then_flow():
    socket = Socket()
    outbox = ConnectionOutbox(socket.send_text, 4, lambda: None)
    socket.writable.clear()
    for frame in "abcd":
        outbox.send_frame(frame)
    await asyncio.sleep(0.01)
    assert socket.written == []
    socket.writable.set()
    await asyncio.sleep(0.01)
    assert socket.written == ["a", "b", "c", "d"]
    outbox.send_frame("e")
    assert socket.written[-1] == "e"


async def test_an_overflowing_outbox_drops_the_connection():
    socket, drops = Socket(), []
    outbox = ConnectionOutbox(socket.send_text, 2, lambda: drops.append(1))
    socket.writable.clear()
    for frame in "abcdef":
        outbox.send_frame(frame)
    assert drops == [1] and outbox.overflowed and outbox.closed
    socket.writable.set()
    await asyncio.sleep(0.01)
    assert socket.written == []  # the pending send was cancelled, the queue discarded


async def test_a_failing_socket_closes_the_outbox_quietly():
    socket = Socket()
    outbox = ConnectionOutbox(socket.send_text, 2, lambda: None)
    socket.fail = True
    outbox.send_frame("a")
    assert outbox.closed
    outbox.send_frame("b")  # ignored, no error
