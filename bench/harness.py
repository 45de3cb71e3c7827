"""What the HTTP benchmarks share: processes pinned to a CPU, their CPU time and memory from /proc,
the PostgreSQL backends' CPU, the load generator's driver, and the facts a RESULTS.md entry records
(CPU model, git commit).

bench/read_paths.py and bench/peers.py import it (both run as scripts from bench/, so a plain
``import harness`` finds it).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CONNECTIONS = 32
WARMUP_SECONDS = 1.0
DISTURBED = 0.15  # share of the servers' core taken by other processes that marks a run

# Limits that would refuse a benchmark's load (or its seeding through the API) rather than measure
# it: every per-client and per-user limit of settings.py, set far beyond what a run can reach.
UNLIMITED = {
    "SYNC_RATE_LIMIT": "100000000/minute",
    "SIGN_IN_RATE_LIMIT": "100000000/minute",
    "SIGN_IN_ADDRESS_RATE_LIMIT": "100000000/minute",
    "REGISTER_RATE_LIMIT": "100000000/minute",
    "QUERY_COST_BUDGET": "100000000000/minute",
}


# ---------------------------------------------------------------------------------------------
# processes: pinning, memory, CPU


def cpus() -> list[int]:
    try:
        return sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return []


def pinner(cpu: int | None):
    """A preexec_fn pinning the child (and every thread it starts) to one CPU (what
    ``taskset -c`` does)."""
    if cpu is None or not hasattr(os, "sched_setaffinity"):
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


def proc_status_kib(pid: int, key: str) -> int:
    """VmRSS / VmHWM of a process, in KiB (0 when unknown)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(rf"^{key}:\s+(\d+) kB", text, re.M)
    return int(match.group(1)) if match else 0


def reset_peak_rss(pid: int) -> None:
    """Resets VmHWM to the current RSS (Linux: writing 5 to clear_refs), so each phase has its
    own peak; where that is refused the peak is the sampled VmRSS maximum alone."""
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


def proc_cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of processes (all their threads)."""
    total = 0
    for pid in pids:
        try:
            fields_ = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields_[11]) + int(fields_[12])
    return total / os.sysconf("SC_CLK_TCK")


def core_jiffies(cpu: int | None) -> tuple[int, int]:
    """(busy, total) jiffies of one CPU from /proc/stat."""
    if cpu is None:
        return 0, 0
    try:
        for line in Path("/proc/stat").read_text().splitlines():
            name, *values = line.split()
            if name == f"cpu{cpu}":
                nums = [int(v) for v in values[:8]]
                return sum(nums) - nums[3] - nums[4], sum(nums)
    except OSError:
        pass
    return 0, 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


@dataclass
class Server:
    name: str
    proc: subprocess.Popen
    url: str
    port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def launch(
    name: str, argv: list[str], env: dict[str, str], cpu: int | None, logdir: Path, cwd: Path
) -> Server:
    """Starts a server on a free loopback port (given as PORT), its output going to a file."""
    port = free_port()
    log = logdir / f"{name}.log"
    with log.open("wb") as out:  # a file, not a pipe: the access log must never block the server
        proc = subprocess.Popen(
            [a.replace("{port}", str(port)) for a in argv],
            cwd=cwd,
            env={**os.environ, **env, "PORT": str(port)},
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=pinner(cpu),
        )
    return Server(name, proc, f"http://127.0.0.1:{port}", port, log)


async def wait_healthy(server: Server, *, graphql_probe: bool = False, seconds: int = 60) -> Server:
    """Waits for ``GET /health`` to answer 200 (or, for a server without one, for
    ``POST /graphql {__typename}``)."""
    async with httpx.AsyncClient(timeout=2) as client:
        for _ in range(seconds * 10):
            if server.proc.poll() is not None:
                raise RuntimeError(f"{server.name} exited:\n{server.log_tail()}")
            with contextlib.suppress(httpx.TransportError):
                if graphql_probe:
                    answer = await client.post(
                        server.url + "/graphql", json={"query": "{ __typename }"}
                    )
                else:
                    answer = await client.get(server.url + "/health")
                if answer.status_code == 200:
                    return server
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{server.name} did not answer within {seconds} s:\n{server.log_tail()}")


# ---------------------------------------------------------------------------------------------
# the database


def is_loopback(url: str) -> bool:
    return (urlsplit(url).hostname or "") in {"127.0.0.1", "localhost", "::1"}


def asyncpg_dsn(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


async def connect_creating(url: str):
    """An asyncpg connection to the database of ``url``, creating the database when missing."""
    import asyncpg

    dsn = asyncpg_dsn(url)
    try:
        return await asyncpg.connect(dsn)
    except asyncpg.InvalidCatalogNameError:
        parts = urlsplit(dsn)
        admin = await asyncpg.connect(parts._replace(path="/postgres").geturl())
        try:
            await admin.execute(f'CREATE DATABASE "{parts.path.lstrip("/")}"')
        finally:
            await admin.close()
        return await asyncpg.connect(dsn)


async def reset_postgres(url: str) -> None:
    """Drops and recreates the public schema (creating the database first if it is missing)."""
    conn = await connect_creating(url)
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


@contextlib.contextmanager
def postgres_on_cpu(cpu: int | None) -> Iterator[str]:
    """Runs the local PostgreSQL server's processes on ``cpu`` (the load generator's) while the
    block runs, as a database on a host of its own would be: a server under test keeps its core
    to itself, and a server that makes PostgreSQL work harder is not also charged for it on its
    own core. The postmaster's new backends inherit the affinity; every process's earlier one
    is put back afterwards. Yields the line the report says about it."""
    if cpu is None or not hasattr(os, "sched_setaffinity"):
        yield "PostgreSQL not pinned (fewer than 2 CPUs)"
        return
    saved: dict[int, set[int]] = {}
    try:
        for pid in _postgres_pids():
            with contextlib.suppress(ProcessLookupError):
                saved[pid] = os.sched_getaffinity(pid)
                for thread in os.listdir(f"/proc/{pid}/task"):
                    os.sched_setaffinity(int(thread), {cpu})
    except (PermissionError, FileNotFoundError) as exc:
        _restore(saved)
        yield f"⚠ PostgreSQL not pinned ({exc.__class__.__name__}): it shared the servers' core"
        return
    try:
        yield f"PostgreSQL's processes pinned to CPU {cpu}, with the load generator"
    finally:
        _restore(saved)


def _postgres_pids() -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                if Path(f"/proc/{entry}/comm").read_text().strip() == "postgres":
                    pids.append(int(entry))
    return pids


def _restore(saved: dict[int, set[int]]) -> None:
    """Every PostgreSQL process gets the affinity the postmaster had (backends forked while
    pinned included), or its own earlier one."""
    everywhere = set().union(*saved.values()) or set(range(os.cpu_count() or 1))
    for pid in _postgres_pids():
        with contextlib.suppress(OSError):
            for thread in os.listdir(f"/proc/{pid}/task"):
                os.sched_setaffinity(int(thread), saved.get(pid, everywhere))


class PostgresBackends:
    """The PostgreSQL server processes serving our database, so their CPU counts too."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self.conn = None
        self.version = ""

    async def open(self) -> None:
        if self.url:
            import asyncpg

            self.conn = await asyncpg.connect(asyncpg_dsn(self.url))
            self.version = await self.conn.fetchval("SHOW server_version")

    async def analyze(self) -> None:
        """Fresh planner statistics after seeding, so autovacuum cannot change plans mid-run."""
        if self.conn is not None:
            await self.conn.execute("ANALYZE")

    async def pids(self) -> list[int]:
        if self.conn is None:
            return []
        rows = await self.conn.fetch(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [r["pid"] for r in rows]

    async def close(self) -> None:
        if self.conn is not None:
            await self.conn.close()


# ---------------------------------------------------------------------------------------------
# measuring


@dataclass
class Figures:
    """One path on one server, over every run of it."""

    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    errors: int = 0
    non_200: int = 0
    hits: int = 0  # answers with X-Cache: HIT
    requests: int = 0
    client_cpu: float = 0.0
    peak_rss_kib: int = 0
    window: float = 0.0  # seconds watched by the driver
    server_cpu: float = 0.0  # CPU seconds of the server process in those windows
    db_cpu: float = 0.0  # CPU seconds of PostgreSQL backends in those windows
    runs: list[float] = field(default_factory=list)

    def cpu_ms_per_request(self, of: str = "server") -> float:
        seconds = self.server_cpu if of == "server" else self.db_cpu
        return 1000 * seconds / self.window / self.rps if self.window and self.rps else 0.0

    @property
    def failed(self) -> bool:
        return bool(self.errors or self.non_200)

    @property
    def hit_share(self) -> float:
        return self.hits / self.requests if self.requests else 0.0


@dataclass
class CoreWatch:
    """How busy the servers' core was over the measured windows, and how much of it was ours."""

    busy: int = 0
    total: int = 0
    ours: float = 0.0
    seconds: float = 0.0

    def line(self, cpu: int | None, postgres: bool) -> str:
        if cpu is None or not self.total:
            return ""
        busy = self.busy / self.total
        ours = self.ours / self.seconds if self.seconds else 0.0
        ours_is = "the server under test and PostgreSQL's backends" if postgres else "the server"
        return (
            f"CPU {cpu} (the servers' core) was {busy:.0%} busy over the measured windows; "
            f"{ours_is} used the equivalent of {ours:.0%} of a core, other processes about "
            f"{max(0.0, busy - ours):.0%}"
        )


class Driver:
    """Talks to the load generator (bench/loadgen.py) and watches the server under load."""

    def __init__(self, proc: asyncio.subprocess.Process, backends: PostgresBackends) -> None:
        self.proc = proc
        self.backends = backends
        self.core = CoreWatch()
        self.disturbed: list[str] = []  # runs in which other processes took the servers' core

    async def ask(self, cmd: dict) -> dict:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write((json.dumps(cmd) + "\n").encode())
        await self.proc.stdin.drain()
        line = await self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the load generator exited")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"load generator: {answer['error']}")
        return answer

    async def run(
        self,
        server: Server,
        load: dict,
        label: str,
        seconds: float,
        figures: Figures,
        server_cpu: int | None,
    ) -> dict:
        """One measured run; ``load`` is what to send, as loadgen.py's run command takes it
        (``path`` + ``bodies``, or ``requests``)."""
        cmd = {
            "cmd": "run",
            "label": label,
            "port": server.port,
            **load,
            "connections": CONNECTIONS,
            "warmup": WARMUP_SECONDS,
            "seconds": seconds,
        }
        task = asyncio.create_task(self.ask(cmd))
        await asyncio.sleep(WARMUP_SECONDS)
        # The measured window, as seen from here (within a few ms of the load generator's).
        db_pids = await self.backends.pids()
        reset_peak_rss(server.pid)
        peak = proc_status_kib(server.pid, "VmRSS")
        busy0, total0 = core_jiffies(server_cpu)
        cpu0, db0 = proc_cpu_seconds([server.pid]), proc_cpu_seconds(db_pids)
        t0 = time.perf_counter()
        while (now := time.perf_counter()) < t0 + seconds and not task.done():
            peak = max(peak, proc_status_kib(server.pid, "VmRSS"))
            await asyncio.sleep(min(0.02, max(0.0, t0 + seconds - now)))
        window = time.perf_counter() - t0
        cpu = proc_cpu_seconds([server.pid]) - cpu0
        db = proc_cpu_seconds(db_pids) - db0
        busy1, total1 = core_jiffies(server_cpu)
        peak = max(peak, proc_status_kib(server.pid, "VmHWM"))
        result = await task

        figures.runs.append(result["rps"])
        figures.window += window
        figures.server_cpu += cpu
        figures.db_cpu += db
        figures.peak_rss_kib = max(figures.peak_rss_kib, peak)
        self.core.busy += busy1 - busy0
        self.core.total += total1 - total0
        self.core.ours += cpu + db
        self.core.seconds += window
        if total1 > total0:
            # PostgreSQL's backends are not pinned: count all their CPU as possibly on this core.
            others = (busy1 - busy0) / (total1 - total0) - (cpu + db) / window
            result["others"] = max(0.0, others)
            if others > DISTURBED:
                self.disturbed.append(f"{label} run {len(figures.runs)}")
        result["cpu_ms"] = 1000 * cpu / window / result["rps"] if result["rps"] else 0.0
        return result

    async def pooled(self, figures: dict) -> None:
        """Fills each Figures with the load generator's figures over all runs of its label
        (keys of ``figures`` are tuples whose parts, joined by ":", make the label)."""
        pooled = await self.ask({"cmd": "report"})
        for key, f in figures.items():
            r = pooled.get(":".join(key))
            if r is None:
                continue
            f.rps, f.p50_ms, f.p99_ms = r["rps"], r["p50_ms"], r["p99_ms"]
            f.errors, f.client_cpu = r["errors"], r["client_cpu"]
            f.non_200, f.hits, f.requests = r.get("non_200", 0), r.get("hits", 0), r["requests"]


async def start_loadgen(python: str, cpu: int | None) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        python,
        str(BENCH / "loadgen.py"),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        preexec_fn=pinner(cpu),
    )


async def stop_loadgen(loadgen: asyncio.subprocess.Process | None) -> None:
    if loadgen is None or loadgen.returncode is not None:
        return
    with contextlib.suppress(Exception):
        loadgen.stdin.write(b'{"cmd": "quit"}\n')  # type: ignore[union-attr]  # started with stdin=PIPE
        await asyncio.wait_for(loadgen.wait(), 5)
    if loadgen.returncode is None:
        loadgen.kill()
        await loadgen.wait()


# ---------------------------------------------------------------------------------------------
# what a RESULTS.md entry records


def git(*argv: str) -> str:
    out = subprocess.run(["git", *argv], cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine_line() -> str:
    return (
        f"{os.cpu_count()} × {cpu_model()} ({platform.machine()}), "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def replace_file(path: Path, text: str) -> None:
    """Writes through a temporary file and os.replace: readers never see half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
