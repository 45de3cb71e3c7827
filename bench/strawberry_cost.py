"""CPU per request of the Strawberry path, in process: deterministic where req/s is not.

    .venv/bin/python bench/strawberry_cost.py [--database-url URL] [--requests N]
                                              [--profiles N] [--ref REF] [--top N]

Runs the frontend's profile-by-id document (schema/documents/ProfileById.graphql) as an
*untrusted* text — one trailing newline added, so its sha256 names no trusted document and neither
the response cache nor the compiled path can answer it — N times through the real ASGI app, called
directly (no HTTP client, no server: the client's own CPU is not counted). It reports CPU time
per request (``time.process_time``, so the other processes sharing this machine do not count; the
least of five batches, as they still slow it down), the same for the event loop's thread alone
(without aiosqlite's worker thread, where SQLite itself runs), and a cProfile of a second run
grouped by package, with its count of Python function calls per request: on a virtual machine
shared with other work even CPU time drifts (time stolen by the host is charged to the process),
while the count of calls does not.

``--ref REF`` first runs this same script against a temporary git worktree of REF (for example
``main``) on the same database, so one invocation prints before and after.

Without ``--database-url`` the database is a fresh SQLite file; with ``postgres://…`` (loopback
hosts only) its ``public`` schema is DROPPED and recreated, as the test suite does.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DOCUMENT = ROOT / "schema" / "documents" / "ProfileById.graphql"
JWT_SECRET = "bench-secret-" + "x" * 40
ROUNDS = 5

Message = dict[str, Any]


def environment(database_url: str) -> dict[str, str]:
    return {
        "CREATORGRAPH_ENV": "test",
        "JWT_SECRET": JWT_SECRET,
        "DATABASE_URL": database_url,
        "JOBS_WORKER": "off",
        "INTROSPECTION": "off",  # as in production: the extension and execution context it adds
        "GRAPHIQL": "off",
        "QUERY_COST_BUDGET": "100000000/minute",
        "RESPONSE_CACHE": "off",
        "COMPILED_READS": "off",
    }


async def reset_postgres(url: str) -> None:
    import asyncpg

    host = urlsplit(url).hostname or ""
    if host not in {"127.0.0.1", "localhost", "::1"}:
        raise SystemExit(f"refusing to reset a non-loopback database at {host!r}")
    conn = await asyncpg.connect("postgresql://" + url.split("://", 1)[1])
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


class Lifespan:
    """Drives the app's ASGI lifespan as a server would, keeping the state it hands requests."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.state: dict[str, Any] = {}
        self._inbox: asyncio.Queue[Message] = asyncio.Queue()
        self._outbox: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": self.state}
        self._task = asyncio.create_task(self.app(scope, self._inbox.get, self._outbox.put))
        await self._inbox.put({"type": "lifespan.startup"})
        reply = await self._outbox.get()
        if reply["type"] != "lifespan.startup.complete":
            raise RuntimeError(f"startup failed: {reply}")

    async def stop(self) -> None:
        await self._inbox.put({"type": "lifespan.shutdown"})
        await self._outbox.get()
        if self._task is not None:
            await self._task


def requester(app: Any, state: dict[str, Any], body: bytes) -> Callable[[], Awaitable[bytes]]:
    headers = [
        (b"host", b"bench.local"),
        (b"content-type", b"application/json"),
        (b"accept", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]

    async def one() -> bytes:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/graphql",
            "raw_path": b"/graphql",
            "root_path": "",
            "query_string": b"",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "state": dict(state),
        }
        sent = False
        chunks: list[bytes] = []
        status = 0

        async def receive() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # a client that never disconnects
            raise AssertionError

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await app(scope, receive, send)
        if status != 200:
            raise RuntimeError(f"status {status}: {b''.join(chunks)[:500]!r}")
        return b"".join(chunks)

    return one


def package_of(filename: str) -> str:
    """The package a profiled function belongs to: site-packages' top level, our own top
    level directory, or the standard library module."""
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins"
    path = Path(filename)
    parts = path.parts
    if "site-packages" in parts:
        i = parts.index("site-packages")
        name = parts[i + 1] if len(parts) > i + 1 else "?"
        return name.removesuffix(".py").split(".")[0]
    try:
        rel = path.resolve().relative_to(ROOT.resolve())
        return "creatorgraph:" + (rel.parts[0].removesuffix(".py") if rel.parts else "?")
    except ValueError:
        pass
    if "lib" in parts:
        i = len(parts) - 1 - parts[::-1].index("lib")
        rest = parts[i + 2 :] if len(parts) > i + 2 else parts[-1:]
        return "stdlib:" + rest[0].removesuffix(".py")
    return "other"


def by_package(profile: cProfile.Profile, top: int) -> list[tuple[str, float]]:
    stats = pstats.Stats(profile)
    totals: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), row in stats.stats.items():  # type: ignore[attr-defined]
        totals[package_of(filename)] += row[2]  # tottime: time in the function itself
    whole = sum(totals.values()) or 1.0
    ranked = sorted(totals.items(), key=lambda kv: -kv[1])[:top]
    return [(name, 100.0 * t / whole) for name, t in ranked]


async def seed_and_pick(profiles: int) -> int:
    from models import Profile, SocialAccount
    from resolvers.seed import seed

    await seed(profiles, 7)
    # A public, active profile with the most platforms, so every breakdown field resolves.
    rows = await Profile.filter(is_public=True, is_active=True, user__suspended=False).values_list(
        "id", flat=True
    )
    counts = {pid: 0 for pid in rows}
    for pid in await SocialAccount.filter(profile_id__in=list(counts)).values_list(
        "profile_id", flat=True
    ):
        counts[pid] += 1
    return max(counts, key=lambda pid: (counts[pid], -pid))


async def measure(database_url: str, requests: int, profiles: int, top: int) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    if database_url.startswith(("postgres://", "postgresql://")):
        await reset_postgres(database_url)
    from app import create_app
    from settings import Settings

    app = create_app(Settings.from_env(environment(database_url)))
    lifespan = Lifespan(app)
    await lifespan.start()
    try:
        import base64

        profile_id = await seed_and_pick(profiles)
        global_id = base64.urlsafe_b64encode(f"Profile:{profile_id}".encode()).decode()
        text = DOCUMENT.read_text() + "\n"  # untrusted: no trusted document has this hash
        body = json.dumps({"query": text, "variables": {"id": global_id}}).encode()
        one = requester(app, lifespan.state, body)
        answer = json.loads(await one())
        if answer.get("errors") or not answer["data"]["profile"]:
            raise RuntimeError(f"unexpected answer: {answer}")
        for _ in range(200):  # warm: caches, pools, first-use imports
            await one()
        # The machine is shared: the CPU a request costs rises while other processes fight
        # for the caches and cores. The least of several batches is the steadiest estimate.
        batch = max(1, requests // ROUNDS)
        costs, own = [], []
        for _ in range(ROUNDS):
            started, started_own = time.process_time(), time.thread_time()
            for _ in range(batch):
                await one()
            costs.append((time.process_time() - started) / batch)
            own.append((time.thread_time() - started_own) / batch)
        profiler = cProfile.Profile()
        profiled = min(requests, 1000)
        profiler.enable()
        for _ in range(profiled):
            await one()
        profiler.disable()
        calls = pstats.Stats(profiler).total_calls  # type: ignore[attr-defined]
        return {
            "cpu_ms": 1000.0 * min(costs),
            "median_ms": 1000.0 * statistics.median(costs),
            "thread_ms": 1000.0 * min(own),
            "calls": calls / profiled,
            "packages": by_package(profiler, top),
            "answer": answer,
        }
    finally:
        await lifespan.stop()


def run_ref(ref: str, args: argparse.Namespace) -> dict[str, Any]:
    """This script, run against a temporary worktree of ``ref`` (it may not have the script)."""
    tmp = Path(tempfile.mkdtemp(prefix="strawberry-cost-"))
    tree = tmp / "tree"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), ref], check=True
    )
    try:
        (tree / ".venv").unlink(missing_ok=True)
        os.symlink((ROOT / ".venv").resolve(), tree / ".venv")
        shutil.copy(__file__, tree / "bench" / "strawberry_cost.py")
        out = subprocess.run(
            [
                sys.executable,
                str(tree / "bench" / "strawberry_cost.py"),
                "--json",
                "--requests",
                str(args.requests),
                "--profiles",
                str(args.profiles),
                "--top",
                str(args.top),
                *(["--database-url", args.database_url] if args.database_url else []),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)])
        shutil.rmtree(tmp, ignore_errors=True)


def report(label: str, result: dict[str, Any]) -> None:
    print(
        f"{label}: {result['cpu_ms']:.3f} ms CPU per request "
        f"(least of {ROUNDS} batches; median {result['median_ms']:.3f} ms); "
        f"the event loop's thread alone {result['thread_ms']:.3f} ms; "
        f"{result['calls']:.0f} Python function calls per request"
    )
    for name, share in result["packages"]:
        print(f"    {share:5.1f}%  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--profiles", type=int, default=200)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--ref", help="also measure this git ref (before), in the same run")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    before = run_ref(args.ref, args) if args.ref else None
    tmpdir = None
    database_url = args.database_url
    if not database_url:
        tmpdir = tempfile.mkdtemp(prefix="strawberry-cost-db-")
        database_url = f"sqlite://{tmpdir}/bench.sqlite3"
    try:
        result = asyncio.run(measure(database_url, args.requests, args.profiles, args.top))
    finally:
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)
    if args.json:
        print(json.dumps(result))
        return
    if before is not None:
        if before["answer"] != result["answer"]:
            print("WARNING: the two refs answered differently")
        report(f"{args.ref}", before)
        report("this checkout", result)
        print(f"ratio: {result['cpu_ms'] / before['cpu_ms']:.2f}× the CPU of {args.ref}")
    else:
        report("this checkout", result)


if __name__ == "__main__":
    main()
