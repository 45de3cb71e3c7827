"""Fan-out benchmark: 1,000 websocket subscribers to one conversation, 20 messages.

Measures, for the real server (`app.py serve`: chatMessageSend over HTTP → commit → broker →
subscription hub → every socket) and for a raw websocket broadcast of the same bytes
(bench/raw_broadcast.py), with the same client in the same run:

- deliveries per second: subscribers × messages ÷ the summed time from each send to its last
  delivery (messages go one at a time, each once the previous one reached everybody);
- p50 / p99 / max of the time from a send to its last delivery;
- the server's CPU time per delivery (from /proc: unlike deliveries/s it does not move when
  other processes share the core).

Both servers are pinned to CPU 0 and the clients (several processes, a minimal
graphql-transport-ws client on raw asyncio sockets, uncompressed, the same for both servers) to
CPU 1. Rounds alternate: ours, raw, ours, raw … Targets (issue 4): at least 0.6× the raw
deliveries per second, p99 under 100 ms per message.

    .venv/bin/python bench/fanout.py                  # SQLite + in-process broker
    .venv/bin/python bench/fanout.py --redis-url redis://127.0.0.1:6379/7 \\
        --database-url postgres://postgres@127.0.0.1:5432/bench_fanout

Options: --subscribers N (1000), --messages N (20), --rounds N (3), --workers N (4),
--no-write (print only). The PostgreSQL database given must be on loopback: its ``public``
schema is dropped and recreated (the server's migrations then create the tables).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import multiprocessing
import os
import platform
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection, wait
from pathlib import Path

import httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
SECTION = "## Fan-out (issue 4)"
WARMUP = 10
PER_MESSAGE_TIMEOUT = 20.0
CONNECT_BATCH = 50

SUBSCRIPTION = """subscription($c: ID!) { chatEvents(conversation: $c) { __typename
  ... on ChatMessageSent { message { id body createdAt sender { id displayName } } } } }"""
SEND = """mutation($input: ChatMessageSendInput!) { chatMessageSend(input: $input) {
  message { id } conversation { id } userErrors { code message } } }"""
REGISTER = """mutation($input: AccountRegisterInput!) { accountRegister(input: $input) {
  user { id } accessToken userErrors { code message } } }"""
PADDING = "Sounds great, let's sync on the brief tomorrow morning and lock the posting dates."


# ---------------------------------------------------------------- the client (worker processes)


def _frame(opcode: int, payload: bytes) -> bytes:
    """A masked client frame (the client must mask; only small control messages are sent)."""
    mask = os.urandom(4)
    length = len(payload)
    if length < 126:
        header = bytes([0x80 | opcode, 0x80 | length])
    elif length < 65536:
        header = bytes([0x80 | opcode, 0x80 | 126]) + length.to_bytes(2, "big")
    else:
        header = bytes([0x80 | opcode, 0x80 | 127]) + length.to_bytes(8, "big")
    masked = bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
    return header + mask + masked


class FanoutClient(asyncio.Protocol):
    """One subscriber: the websocket handshake, connection_init, subscribe, ping; then it only
    reads `next` frames and notes the sequence number each carries."""

    def __init__(self, worker: Worker, init: bytes, subscribe: bytes) -> None:
        self.worker = worker
        self.init = init
        self.subscribe = subscribe
        self.buffer = bytearray()
        self.upgraded = False
        self.state = "init"
        self.transport: asyncio.Transport | None = None
        self.ready = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a TCP connection's transport is an asyncio.Transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            (
                f"GET /graphql HTTP/1.1\r\nHost: {self.worker.host}:{self.worker.port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                "Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n"
            ).encode()
        )

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self.buffer[: self.buffer.find(b"\r\n")])
            if b" 101 " not in status:
                self._fail(f"handshake refused: {status!r}")
                return
            del self.buffer[: end + 4]
            self.upgraded = True
            self.send_text(self.init)
        self._frames()

    def _frames(self) -> None:
        buffer = self.buffer
        offset = 0
        while len(buffer) - offset >= 2:
            b0, b1 = buffer[offset], buffer[offset + 1]
            length = b1 & 0x7F
            start = offset + 2
            if length == 126:
                if len(buffer) - offset < 4:
                    break
                length = int.from_bytes(buffer[offset + 2 : offset + 4], "big")
                start = offset + 4
            elif length == 127:
                if len(buffer) - offset < 10:
                    break
                length = int.from_bytes(buffer[offset + 2 : offset + 10], "big")
                start = offset + 10
            end = start + length
            if len(buffer) < end:
                break
            opcode = b0 & 0x0F
            if opcode == 1:
                self._text(bytes(buffer[start:end]))
            elif opcode == 9:  # ping → pong
                assert self.transport is not None
                self.transport.write(_frame(10, bytes(buffer[start:end])))
            elif opcode == 8:
                self.state = "closed"
            offset = end
        if offset:
            del buffer[:offset]

    def _text(self, payload: bytes) -> None:
        if self.state == "ready":
            at = payload.find(b"seq:")
            if at >= 0:
                self.worker.delivered(int(payload[at + 4 : at + 7]), payload)
            return
        message = orjson.loads(payload)
        kind = message.get("type")
        if self.state == "init" and kind == "connection_ack":
            self.state = "subscribing"
            self.send_text(self.subscribe)
            self.send_text(b'{"type":"ping"}')
        elif self.state == "subscribing" and kind == "pong":
            self.state = "ready"
            if not self.ready.done():
                self.ready.set_result(None)
        elif kind == "error":
            self._fail(f"subscription refused: {payload[:300]!r}")

    def send_text(self, payload: bytes) -> None:
        assert self.transport is not None
        self.transport.write(_frame(1, payload))

    def _fail(self, reason: str) -> None:
        if not self.ready.done():
            self.ready.set_exception(RuntimeError(reason))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.state != "closing":
            self._fail(f"connection lost: {exc!r}")


@dataclass
class Worker:
    """One client process: its share of the subscribers and their per-message bookkeeping."""

    conn: Connection
    host: str
    port: int
    expected: int
    counts: dict[int, int] = field(default_factory=dict)
    first: dict[int, float] = field(default_factory=dict)
    sampled: bool = False

    def delivered(self, seq: int, payload: bytes) -> None:
        now = time.monotonic()
        count = self.counts.get(seq, 0) + 1
        self.counts[seq] = count
        self.first.setdefault(seq, now)
        if count == self.expected:
            sample = None
            if not self.sampled:
                self.sampled = True
                sample = payload
            self.conn.send(("done", seq, self.first.pop(seq), now, sample))


def worker_main(
    conn: Connection, host: str, port: int, tokens: list[str], variables: dict, cpu: int | None
) -> None:
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    raise_fd_limit(len(tokens) + 64)
    try:
        import uvloop

        uvloop.run(_worker(conn, host, port, tokens, variables))
    except ImportError:
        asyncio.run(_worker(conn, host, port, tokens, variables))


async def _worker(
    conn: Connection, host: str, port: int, tokens: list[str], variables: dict
) -> None:
    loop = asyncio.get_running_loop()
    worker = Worker(conn, host, port, len(tokens))
    subscribe = orjson.dumps(
        {"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION, "variables": variables}}
    )
    clients: list[FanoutClient] = []
    try:
        for batch in range(0, len(tokens), CONNECT_BATCH):
            opened = []
            for token in tokens[batch : batch + CONNECT_BATCH]:
                init = orjson.dumps(
                    {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
                )
                _, client = await loop.create_connection(
                    lambda init=init: FanoutClient(worker, init, subscribe), host, port
                )
                opened.append(client)
            async with asyncio.timeout(30):
                await asyncio.gather(*(c.ready for c in opened))
            clients += opened
    except Exception as exc:
        conn.send(("error", repr(exc)))
        return
    conn.send(("ready", len(clients)))
    stop = asyncio.Event()
    loop.add_reader(conn.fileno(), stop.set)
    await stop.wait()
    for client in clients:
        client.state = "closing"
        if client.transport is not None:
            client.transport.write(_frame(8, (1000).to_bytes(2, "big")))
            client.transport.close()
    await asyncio.sleep(0.2)


# ---------------------------------------------------------------- the coordinator


def raise_fd_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(hard, needed)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def reset_postgres(url: str) -> None:
    """A clean database for every run: drops and recreates its ``public`` schema (loopback only)."""
    import asyncpg

    dsn = "postgresql://" + url.split("://", 1)[1]
    host = dsn.split("@", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]
    if host not in {"127.0.0.1", "localhost", "::1", "[::1]"}:
        raise SystemExit(f"refusing to reset a database that is not on loopback: {host}")

    async def reset() -> None:
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        finally:
            await connection.close()

    asyncio.run(reset())


def cpu_list() -> list[int]:
    return sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen
    log: Path


def start(name: str, argv: list[str], env: dict[str, str], port: int, cpu: int | None) -> Server:
    log = Path(tempfile.mkstemp(prefix=f"fanout-{name}-", suffix=".log")[1])
    with log.open("w") as out:
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=(lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} server exited:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return Server(name, url, process, log)
        time.sleep(0.1)
    raise SystemExit(f"{name} server did not start:\n{log.read_text()[-3000:]}")


def stop(server: Server) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


def graphql(client: httpx.Client, query: str, variables: dict, token: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    response.raise_for_status()
    body = response.json()
    if body.get("errors"):
        raise SystemExit(f"GraphQL errors: {body['errors']}")
    return body["data"]


def register(client: httpx.Client, name: str) -> tuple[str, str]:
    data = graphql(
        client,
        REGISTER,
        {
            "input": {
                "email": f"{name.lower()}-{secrets.token_hex(6)}@example.com",
                "password": "a long benchmark password",
                "role": "CREATOR",
                "displayName": name,
            }
        },
    )
    payload = data["accountRegister"]
    assert payload["userErrors"] == [], payload
    return payload["user"]["id"], payload["accessToken"]


@dataclass
class Round:
    server: str
    latencies: list[float]
    firsts: list[float]
    cpu_seconds: float
    deliveries: int
    wall_seconds: float
    client_cpu_seconds: float

    @property
    def per_second(self) -> float:
        return self.deliveries / sum(self.latencies)

    @property
    def cpu_us_per_delivery(self) -> float:
        return self.cpu_seconds / self.deliveries * 1e6


def run_round(
    name: str,
    server: Server,
    trigger,  # (seq) -> None
    tokens: list[str],
    variables: dict,
    workers: int,
    messages: int,
    client_cpu: int | None,
) -> tuple[Round, bytes | None]:
    context = multiprocessing.get_context("spawn")
    host, port = server.url.removeprefix("http://").split(":")
    pipes: list[Connection] = []
    processes = []
    client_pids: list[int] = []
    for index in range(workers):
        ours, theirs = context.Pipe()
        share = tokens[index::workers]
        process = context.Process(
            target=worker_main, args=(theirs, host, int(port), share, variables, client_cpu)
        )
        process.start()
        assert process.pid is not None  # start() sets it
        pipes.append(ours)
        processes.append(process)
        client_pids.append(process.pid)
    try:
        for pipe in pipes:
            if not pipe.poll(120):
                raise SystemExit(f"{name}: a client process did not get ready")
            kind, *rest = pipe.recv()
            if kind != "ready":
                raise SystemExit(f"{name}: client failed: {rest}")
        sample: bytes | None = None
        latencies: list[float] = []
        firsts: list[float] = []
        cpu_before = clients_before = window_start = 0.0
        for seq in range(WARMUP + messages):
            if seq == WARMUP:
                cpu_before = cpu_seconds(server.process.pid)
                clients_before = sum(cpu_seconds(pid) for pid in client_pids)
                window_start = time.monotonic()
            started = time.monotonic()
            trigger(seq)
            pending = set(pipes)
            last, first = started, float("inf")
            deadline = started + PER_MESSAGE_TIMEOUT
            while pending:
                ready = wait(list(pending), timeout=max(0.0, deadline - time.monotonic()))
                if not ready:
                    raise SystemExit(f"{name}: message {seq} did not reach every subscriber")
                for pipe in ready:  # type: ignore[assignment]  # wait() returns the pipes it was given
                    kind, done_seq, earliest, at, frame = pipe.recv()
                    assert kind == "done" and done_seq == seq, (kind, done_seq, seq)
                    last, first = max(last, at), min(first, earliest)
                    sample = sample or frame
                    pending.discard(pipe)
            if seq >= WARMUP:
                latencies.append(last - started)
                firsts.append(first - started)
        cpu = cpu_seconds(server.process.pid) - cpu_before
        clients = sum(cpu_seconds(pid) for pid in client_pids) - clients_before
        wall = time.monotonic() - window_start
        deliveries = len(tokens) * messages
        return Round(name, latencies, firsts, cpu, deliveries, wall, clients), sample
    finally:
        for pipe in pipes:
            with contextlib.suppress(OSError):
                pipe.send(("stop",))
        for process in processes:
            process.join(10)
            if process.is_alive():
                process.kill()
        time.sleep(0.5)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def summary(rounds: list[Round]) -> dict[str, float]:
    latencies = [v for r in rounds for v in r.latencies]
    deliveries = sum(r.deliveries for r in rounds)
    return {
        "per_second": deliveries / sum(latencies),
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "max_ms": max(latencies) * 1000,
        "first_ms": statistics.median(v for r in rounds for v in r.firsts) * 1000,
        "cpu_us": sum(r.cpu_seconds for r in rounds) / deliveries * 1e6,
        "client_share": sum(r.client_cpu_seconds for r in rounds)
        / sum(r.wall_seconds for r in rounds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--database-url")
    parser.add_argument("--redis-url")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    raise_fd_limit(args.subscribers * 2 + 256)
    cpus = cpu_list()
    server_cpu, client_cpu = (cpus[0], cpus[1]) if len(cpus) >= 2 else (None, None)
    if client_cpu is not None:
        os.sched_setaffinity(0, {client_cpu})
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    began = time.monotonic()

    # SQLite in memory-backed /dev/shm when there is one: commits then cost no disk flush.
    shm = "/dev/shm" if Path("/dev/shm").is_dir() else None  # noqa: S108
    if args.database_url:
        reset_postgres(args.database_url)
    scratch = None if args.database_url else tempfile.mkdtemp(prefix="fanout-", dir=shm)
    database = args.database_url or f"sqlite://{scratch}/db.sqlite3"
    env = {
        "CREATORGRAPH_ENV": "test",
        "JWT_SECRET": secrets.token_urlsafe(48),
        "PASSWORD_HASH_MEMORY_KIB": "8192",
        "DATABASE_URL": database,
        "HOST": "127.0.0.1",
        "WS_MAX_SUBSCRIPTIONS": "20",
    }
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    ours_port, raw_port = free_port(), free_port()
    ours = start(
        "ours",
        [sys.executable, "app.py", "serve"],
        {**env, "PORT": str(ours_port)},
        ours_port,
        server_cpu,
    )
    raw = start(
        "raw",
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.raw_broadcast:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(raw_port),
            "--proxy-headers",
            "--ws-max-size",
            "65536",
        ],
        {},
        raw_port,
        server_cpu,
    )
    try:
        with httpx.Client(base_url=ours.url, timeout=30) as http:
            _, ann = register(http, "Ann")
            bob_id, bob = register(http, "Bob")
            first = graphql(http, SEND, {"input": {"recipient": bob_id, "body": "hello"}}, ann)
            conversation = first["chatMessageSend"]["conversation"]["id"]
        # The two participants' sockets, half each (a one-to-one conversation has two people).
        tokens = [ann if i % 2 else bob for i in range(args.subscribers)]
        variables = {"c": conversation}
        template: bytes | None = None
        results: dict[str, list[Round]] = {"ours": [], "raw": []}

        ours_http = httpx.Client(base_url=ours.url, timeout=30)
        raw_http = httpx.Client(base_url=raw.url, timeout=30)

        def send_ours(seq: int) -> None:
            data = graphql(
                ours_http,
                SEND,
                {"input": {"conversation": conversation, "body": f"seq:{seq:03d} {PADDING}"}},
                ann,
            )
            assert data["chatMessageSend"]["userErrors"] == [], data

        def send_raw(seq: int) -> None:
            assert template is not None
            frame = template.replace(b"seq:000 ", f"seq:{seq:03d} ".encode())
            raw_http.post("/broadcast", content=frame).raise_for_status()

        for round_number in range(args.rounds):
            result, sample = run_round(
                "ours", ours, send_ours, tokens, variables, args.workers, args.messages, client_cpu
            )
            results["ours"].append(result)
            if template is None:
                assert sample is not None
                # The same bytes as our first measured delivery, sequence number reset.
                at = sample.find(b"seq:")
                template = sample[:at] + b"seq:000 " + sample[at + 8 :]
            result, _ = run_round(
                "raw", raw, send_raw, tokens, variables, args.workers, args.messages, client_cpu
            )
            results["raw"].append(result)
            print(
                f"round {round_number + 1}: ours {results['ours'][-1].per_second:,.0f}/s, "
                f"raw {result.per_second:,.0f}/s",
                flush=True,
            )
        ours_http.close()
        raw_http.close()
    finally:
        stop(ours)
        stop(raw)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    for server in (ours, raw):
        server.log.unlink(missing_ok=True)  # kept only when the run failed
    assert template is not None
    report(args, results, template, load, time.monotonic() - began, database)


def report(
    args, results: dict[str, list[Round]], frame: bytes, load: str, elapsed: float, database: str
) -> None:
    ours, raw = summary(results["ours"]), summary(results["raw"])
    ratio = ours["per_second"] / raw["per_second"]
    cpu_ratio = raw["cpu_us"] / ours["cpu_us"]
    met_ratio = ratio >= 0.6
    met_p99 = ours["p99_ms"] < 100
    rounds = "; ".join(
        f"{o.per_second:,.0f}/{r.per_second:,.0f} → {o.per_second / r.per_second:.2f}"
        for o, r in zip(results["ours"], results["raw"], strict=True)
    )
    kind = "PostgreSQL" if database.startswith("postgres") else "SQLite"
    broker = "Redis pub/sub" if args.redis_url else "in-process broker"
    lines = [
        f"### {kind}, {broker}",
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine: {os.cpu_count()} CPUs "
        f"({platform.machine()}), Python {platform.python_version()}, "
        f"Linux {platform.release()}",
        f"- load: {args.subscribers:,} subscribers (half on each participant's token) to one "
        f"conversation, {args.messages} messages per round after {WARMUP} warm-up, "
        f"{args.rounds} alternating rounds, {args.workers} client processes; a frame is "
        f"{len(frame)} bytes; whole run {elapsed:.0f} s",
        f"- load average when the run started: {load}",
        "",
        "| server | deliveries/s | p50 | p99 | max | server CPU/delivery | ratio | target | met |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
        f"| ours (hub) | {ours['per_second']:,.0f} | {ours['p50_ms']:.1f} ms | "
        f"{ours['p99_ms']:.1f} ms | {ours['max_ms']:.1f} ms | {ours['cpu_us']:.1f} µs | "
        f"**{ratio:.2f}×** | ≥ 0.6×, p99 < 100 ms | "
        f"**{'yes' if met_ratio and met_p99 else 'no'}** |",
        f"| raw broadcast | {raw['per_second']:,.0f} | {raw['p50_ms']:.1f} ms | "
        f"{raw['p99_ms']:.1f} ms | {raw['max_ms']:.1f} ms | {raw['cpu_us']:.1f} µs | 1 | | |",
        "",
        f"- rounds (ours/raw deliveries per second → ratio): {rounds}",
        f"- the same ratio from server CPU per delivery (raw ÷ ours): {cpu_ratio:.2f}×",
        f"- median time from a send to its first delivery: ours {ours['first_ms']:.1f} ms, raw "
        f"{raw['first_ms']:.1f} ms; from the first delivery to the last: ours "
        f"{ours['p50_ms'] - ours['first_ms']:.1f} ms, raw {raw['p50_ms'] - raw['first_ms']:.1f} ms "
        f"(medians: the fan-out alone runs at "
        f"{(raw['p50_ms'] - raw['first_ms']) / (ours['p50_ms'] - ours['first_ms']):.2f}× raw)",
        f"- the clients used {ours['client_share']:.0%} (ours) and {raw['client_share']:.0%} "
        "(raw) of their core while measuring",
        "",
    ]
    if max(ours["client_share"], raw["client_share"]) > 0.9:
        lines.insert(
            -1,
            "- **warning**: the clients were near their core's limit: the raw "
            "figure may be what the client could read, not what the server could send",
        )
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section(text, f"### {kind}, {broker}")


INTRO = """{section}

Written by `bench/fanout.py` (see its docstring and bench/README.md). One conversation, every
subscriber a graphql-transport-ws socket subscribed to `chatEvents`; each message is a
`chatMessageSend` over HTTP (validation, one transaction, publish after commit, the subscription
hub resolving the event once per group and sharing the encoded payload). The floor is
bench/raw_broadcast.py sending the same bytes to the same number of sockets in a plain loop.
Times run from the send (the HTTP request) to the last subscriber's delivery; messages go one at
a time. Both servers on CPU 0, the clients on CPU 1, no websocket compression.
**ratio** = our deliveries/s ÷ raw deliveries/s in the same run. Targets: ≥ 0.6×, p99 < 100 ms.
"""


def write_section(part: str, part_heading: str) -> None:
    """Replaces this setup's ### part of our ## section (read just before, written through a
    temporary file), leaving every other section and part as it is."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    start = text.find(SECTION)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + INTRO.format(section=SECTION) + "\n" + part
        _replace(text.rstrip("\n") + "\n")
        return
    end = text.find("\n## ", start + len(SECTION))
    end = len(text) if end < 0 else end + 1
    section = text[start:end]
    # Replace this setup's ### part, keep the others (and any notes) as they are.
    at = section.find(part_heading)
    if at < 0:
        section = section.rstrip("\n") + "\n\n" + part
    else:
        after = section.find("\n### ", at + len(part_heading))
        after = len(section) if after < 0 else after + 1
        section = section[:at] + part + ("\n" if after < len(section) else "") + section[after:]
    _replace(
        text[:start] + section.rstrip("\n") + "\n" + ("\n" + text[end:] if end < len(text) else "")
    )


def _replace(text: str) -> None:
    fd, temporary = tempfile.mkstemp(dir=RESULTS.parent, prefix=".RESULTS-", suffix=".md")
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.replace(temporary, RESULTS)


if __name__ == "__main__":
    main()
