"""A small closed-loop HTTP/1.1 load generator: N keep-alive connections, one request in flight
each.

Raw asyncio protocols on uvloop rather than an HTTP client library, so one core of client can keep
a plain Starlette endpoint busy. bench/read_paths.py runs it as a separate process pinned to its
own core and drives it with one JSON command per line on stdin; it answers one JSON line each:

    {"cmd": "run", "label": "...", "port": 8001, "path": "/graphql", "bodies": ["{...}", ...],
     "connections": 32, "warmup": 1.0, "seconds": 4.0}
        → {"label", "requests", "seconds", "rps", "errors", "non_200", "hits", "p50_ms",
           "p99_ms", "client_cpu"}
    {"cmd": "report"}  → {label: the same figures over every run of that label}
    {"cmd": "quit"}

Instead of "path" and "bodies" (POSTs of JSON), a run may give "requests": a list of
{"method": "GET"|"POST", "path": "/graphql?…", "headers": {...}, "body": "..." or null}, sent in
turn (so each request may carry its own Authorization header, say).

A response counts as an error when its status is not 200 (also counted apart, as "non_200") or
its body has a GraphQL "errors" key or one of the run's "error_markers" (strings such as
``"userErrors":[{`` that say a mutation was refused). "hits" counts answers with an
``X-Cache: HIT`` header.
Bodies come with a Content-Length or chunked.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
import sys
import time
from array import array
from collections.abc import Iterator

DRAIN_SECONDS = 10.0


class Phase:
    """Shared by the connections of one run: what to send, and whether to record or stop."""

    def __init__(self, requests: list[bytes], error_markers: list[bytes] | None = None) -> None:
        self.error_markers = error_markers or []
        self._next: Iterator[bytes] = itertools.cycle(requests)
        self.recording = False
        self.stopping = False
        self.latencies = array("q")
        self.errors = 0
        self.non_200 = 0
        self.hits = 0
        self.in_flight = 0
        self.drained = asyncio.Event()

    def next_request(self) -> bytes:
        return next(self._next)


class Connection(asyncio.Protocol):
    def __init__(self, phase: Phase) -> None:
        self.phase = phase
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.body_start = -1
        self.total = -1
        self.status = 0
        self.hit = False
        self.chunked = False
        self.chunks = bytearray()
        self.sent_at = 0
        self.lost = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a TCP connection's transport is an asyncio.Transport

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.lost.done():
            self.lost.set_result(exc)
        if self.sent_at:
            self.sent_at = 0
            self.phase.in_flight -= 1
            self.phase.errors += 1
            if self.phase.stopping and self.phase.in_flight == 0:
                self.phase.drained.set()

    def send(self) -> None:
        self.phase.in_flight += 1
        self.sent_at = time.perf_counter_ns()
        self.transport.write(self.phase.next_request())  # type: ignore[union-attr]  # only called once connected

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        while self.parse():
            pass

    def parse(self) -> bool:
        """Takes one whole response off the buffer if it holds one."""
        buffer = self.buffer
        if self.total < 0 and not self.chunked:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return False
            head = bytes(buffer[:end]).lower()
            self.status = int(head[9:12])
            self.hit = b"\r\nx-cache: hit" in head
            self.body_start = end + 4
            at = head.find(b"\r\ncontent-length:")
            if at >= 0:
                line_end = head.find(b"\r\n", at + 2)
                length = int(head[at + 17 : line_end if line_end >= 0 else len(head)])
                self.total = self.body_start + length
            elif b"\r\ntransfer-encoding: chunked" in head:
                self.chunked = True
                self.chunks = bytearray()
                del buffer[: self.body_start]
            else:
                raise RuntimeError("response without content-length or chunked encoding")
        if self.chunked:
            return self.parse_chunk()
        if len(buffer) < self.total:
            return False
        body = bytes(buffer[self.body_start : self.total])
        del buffer[: self.total]
        self.total = -1
        self.done(self.status, body)
        return True

    def parse_chunk(self) -> bool:
        buffer = self.buffer
        line_end = buffer.find(b"\r\n")
        if line_end < 0:
            return False
        size = int(bytes(buffer[:line_end]).split(b";")[0], 16)
        if size == 0:
            trailer_end = buffer.find(b"\r\n\r\n", line_end)
            if trailer_end < 0:
                return False
            del buffer[: trailer_end + 4]
            self.chunked = False
            self.done(self.status, bytes(self.chunks))
            return True
        if len(buffer) < line_end + 2 + size + 2:
            return False
        self.chunks += buffer[line_end + 2 : line_end + 2 + size]
        del buffer[: line_end + 2 + size + 2]
        return True

    def done(self, status: int, body: bytes) -> None:
        phase = self.phase
        elapsed = time.perf_counter_ns() - self.sent_at
        self.sent_at = 0
        phase.in_flight -= 1
        if phase.recording:
            phase.latencies.append(elapsed)
            if status != 200:
                phase.non_200 += 1
                phase.errors += 1
            elif b'"errors"' in body or any(m in body for m in phase.error_markers):
                phase.errors += 1
            if self.hit:
                phase.hits += 1
        if phase.stopping:
            if phase.in_flight == 0:
                phase.drained.set()
        else:
            self.send()


def http_requests(port: int, path: str, bodies: list[str]) -> list[bytes]:
    return [http_request(port, {"method": "POST", "path": path, "body": body}) for body in bodies]


def http_request(port: int, spec: dict) -> bytes:
    """One request's bytes: POST with a JSON body, or GET without one; extra headers as given."""
    method = spec.get("method", "POST")
    head = f"{method} {spec['path']} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
    for name, value in (spec.get("headers") or {}).items():
        head += f"{name}: {value}\r\n"
    body = spec.get("body")
    if body is None:
        return (head + "\r\n").encode()
    raw = body.encode()
    head += f"Content-Type: application/json\r\nContent-Length: {len(raw)}\r\n\r\n"
    return head.encode() + raw


def summarize(latencies: list[int] | array, requests: int, seconds: float) -> dict[str, float]:
    ordered = sorted(latencies)

    def pct(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1e6 if ordered else 0.0

    return {
        "requests": requests,
        "seconds": seconds,
        "rps": requests / seconds if seconds else 0.0,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
    }


class LoadGenerator:
    def __init__(self) -> None:
        self.pooled: dict[str, dict] = {}

    async def run(self, cmd: dict) -> dict:
        loop = asyncio.get_running_loop()
        if "requests" in cmd:
            requests = [http_request(cmd["port"], spec) for spec in cmd["requests"]]
        else:
            requests = http_requests(cmd["port"], cmd["path"], cmd["bodies"])
        phase = Phase(requests, [m.encode() for m in cmd.get("error_markers", [])])
        conns: list[Connection] = []
        for _ in range(cmd["connections"]):
            _, conn = await loop.create_connection(
                lambda: Connection(phase), "127.0.0.1", cmd["port"]
            )
            conns.append(conn)
        for conn in conns:
            conn.send()
        await asyncio.sleep(cmd["warmup"])
        gc.collect()
        gc.disable()
        phase.latencies = array("q")
        phase.errors = phase.non_200 = phase.hits = 0
        cpu0, t0 = time.process_time(), time.perf_counter()
        phase.recording = True
        await asyncio.sleep(cmd["seconds"])
        phase.recording = False
        t1, cpu1 = time.perf_counter(), time.process_time()
        phase.stopping = True
        if phase.in_flight:
            try:
                await asyncio.wait_for(phase.drained.wait(), DRAIN_SECONDS)
            except TimeoutError:
                phase.errors += phase.in_flight
        gc.enable()
        for conn in conns:
            conn.transport.close()  # type: ignore[union-attr]  # every connection was made before the phase
        await asyncio.gather(*(c.lost for c in conns))
        result = summarize(phase.latencies, len(phase.latencies), t1 - t0)
        result.update(
            label=cmd["label"],
            errors=phase.errors,
            non_200=phase.non_200,
            hits=phase.hits,
            client_cpu=(cpu1 - cpu0) / (t1 - t0),
        )
        pool = self.pooled.setdefault(
            cmd["label"],
            {
                "latencies": [],
                "requests": 0,
                "seconds": 0.0,
                "errors": 0,
                "non_200": 0,
                "hits": 0,
                "cpu": 0.0,
            },
        )
        pool["latencies"].extend(phase.latencies)
        pool["requests"] += result["requests"]
        pool["seconds"] += result["seconds"]
        pool["errors"] += phase.errors
        pool["non_200"] += phase.non_200
        pool["hits"] += phase.hits
        pool["cpu"] += cpu1 - cpu0
        return result

    def report(self) -> dict:
        out = {}
        for label, pool in self.pooled.items():
            figures = summarize(pool["latencies"], pool["requests"], pool["seconds"])
            figures.update(
                errors=pool["errors"],
                non_200=pool["non_200"],
                hits=pool["hits"],
                client_cpu=pool["cpu"] / pool["seconds"],
            )
            out[label] = figures
        return out


async def serve_commands() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**27)  # a command carries every request body
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    generator = LoadGenerator()
    while line := await reader.readline():
        cmd = json.loads(line)
        if cmd["cmd"] == "quit":
            break
        try:
            answer = await generator.run(cmd) if cmd["cmd"] == "run" else generator.report()
        except Exception as exc:  # reported to the driver, which stops the benchmark
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


def main() -> None:
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve_commands())
    else:
        uvloop.run(serve_commands())


if __name__ == "__main__":
    main()
