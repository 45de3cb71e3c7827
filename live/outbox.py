"""A websocket's outgoing frames: written at once while the client keeps up, queued (bounded)
while it does not, and the connection dropped when the queue overflows.

Writing a frame to an ASGI websocket is a coroutine that, as long as the transport accepts data,
finishes without ever suspending. So a frame is written *eagerly*: its send coroutine is started
by hand, and in the usual case it completes on the spot — the hub's fan-out loop then costs what
a raw broadcast loop costs, with no task switch per delivery. Only when the send suspends (the
client's socket is full) does a task take over: it finishes that send, then drains the queue in
order, and later frames queue behind it. That is what Python 3.12's eager tasks do; this module
does it for the few lines that need it, on 3.11.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger("creatorgraph.live")

SendText = Callable[[str], Coroutine[Any, Any, None]]


def _waking(woken: asyncio.Future[None]) -> Callable[[object], None]:
    def wake(_: object) -> None:
        if not woken.done():
            woken.set_result(None)

    return wake


async def _finish(coroutine: Coroutine[Any, Any, None], awaiting: object) -> None:
    """Drives a coroutine that was started by hand and suspended on ``awaiting`` (the future it
    yielded, or None for a bare yield) to its end, passing cancellation into it."""
    while True:
        try:
            if isinstance(awaiting, asyncio.Future):
                # What a Task does with a yielded future: wake up when it is done. (Awaiting it
                # directly is refused: the coroutine already marked it as awaited.)
                woken = asyncio.get_running_loop().create_future()
                awaiting.add_done_callback(_waking(woken))
                await woken
            else:
                await asyncio.sleep(0)  # a bare yield
        except BaseException as exc:  # cancelled while waiting: let the coroutine handle it
            try:
                awaiting = coroutine.throw(exc)
            except StopIteration:
                return
            continue
        try:
            awaiting = coroutine.send(None)
        except StopIteration:
            return


class ConnectionOutbox:
    def __init__(self, send_text: SendText, limit: int, on_overflow: Callable[[], None]) -> None:
        self._send_text = send_text
        self._limit = limit
        self._on_overflow = on_overflow
        self._queue: deque[str] = deque()
        self._task: asyncio.Task[None] | None = None  # set while a send is pending
        self.closed = False
        self.overflowed = False

    def send_frame(self, frame: str) -> None:
        if self.closed:
            return
        if self._task is not None:
            if len(self._queue) >= self._limit:
                self.overflowed = True
                self.close()
                self._on_overflow()
                return
            self._queue.append(frame)
            return
        coroutine = self._send_text(frame)
        try:
            awaiting = coroutine.send(None)
        except StopIteration:
            return  # written: the usual case
        except Exception:  # the socket is gone; the connection's handler will notice
            self.closed = True
            return
        self._task = asyncio.create_task(self._drain(coroutine, awaiting))

    async def _drain(self, pending: Coroutine[Any, Any, None], awaiting: object) -> None:
        try:
            await _finish(pending, awaiting)
            while self._queue and not self.closed:
                await self._send_text(self._queue.popleft())
        except asyncio.CancelledError:
            raise
        except Exception:
            self.closed = True
        finally:
            self._task = None

    def close(self) -> None:
        self.closed = True
        self._queue.clear()
        task, self._task = self._task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
