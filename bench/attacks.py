"""Before/after figures for issue 8's work-bounding attacks, against a real server on loopback.

    .venv/bin/python bench/attacks.py [--root PATH] [--profiles N] [--history N]

Serves ``PATH/app.py`` (default: this tree; pass an export of an older commit to measure it
"before") on 127.0.0.1 with a fresh SQLite file, seeds N public profiles with five platforms
and N snapshots of history each (registration and one sync each through the API, the rest of
the history inserted straight into SQLite), then measures, each bounded by a timeout:

1. the 552-byte nested-history query: time and response size;
2. the 17 KB document of 740 repeated selections (a new operation name each time, so no cache
   helps): request time, median of 3;
3. a ``{__typename}`` probe sent beside 8 of those documents: its latency, median of 3;
4. the server's RSS before and after 1,100 distinct 255 KB documents.

The per-client budget is set out of the way (QUERY_COST_BUDGET) so that each figure shows the
limit it is about. Prints a small table; never part of the test run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent.parent
PLATFORMS = ("TIKTOK", "INSTAGRAM", "YOUTUBE", "TWITCH", "TWITTER")
HISTORY = "history(first: 100) { edges { node { followers engagement takenAt } } }"
COST_QUERY = (
    "{ profiles(first: 100) { edges { node { displayName stats { platformBreakdown { "
    + " ".join(f"{p.lower()} {{ followers {HISTORY} }}" for p in PLATFORMS)
    + " } } } } } }"
)
REGISTER = (
    "mutation R($input: AccountRegisterInput!) { accountRegister(input: $input) "
    "{ accessToken userErrors { code } } }"
)
SYNC = "mutation S($input: SocialSyncInput!) { socialSync(input: $input) { userErrors { code } } }"


def repeated_selections(n: int) -> str:
    """The issue's 17 KB document: 740 repeated selections under the 3,000-token limit."""
    return f"query Q{n} {{ " + "".join("viewer { id }".ljust(23) for _ in range(740)) + "}"


def padded(n: int, size: int = 255 * 1024) -> str:
    head = f"{{ __typename }} #{n}"
    return head + "x" * (size - len(head))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def seed(http: httpx.AsyncClient, database: Path, profiles: int, history: int) -> None:
    for i in range(profiles):
        registered = await http.post(
            "/graphql",
            json={
                "query": REGISTER,
                "variables": {
                    "input": {
                        "email": f"bench-{i}@example.com",
                        "password": "bench password 123",
                        "role": "CREATOR",
                        "displayName": f"Creator {i}",
                    }
                },
            },
        )
        token = registered.json()["data"]["accountRegister"]["accessToken"]
        for platform in PLATFORMS:
            await http.post(
                "/graphql",
                json={
                    "query": SYNC,
                    "variables": {"input": {"platform": platform, "followers": 1000 + i}},
                },
                headers={"Authorization": f"Bearer {token}"},
            )
    now = datetime.now(UTC)
    with sqlite3.connect(database) as db:
        accounts = [row[0] for row in db.execute("SELECT id FROM social_accounts")]
        rows = [
            (account, 1000 + k, 2.5, "MANUAL", (now - timedelta(hours=k)).isoformat())
            for account in accounts
            for k in range(1, history)
        ]
        db.executemany(
            "INSERT INTO stats_snapshots (account_id, followers, engagement, source, taken_at)"
            " VALUES (?, ?, ?, ?, ?)",
            rows,
        )


async def timed_post(http: httpx.AsyncClient, query: str) -> tuple[float, int, str]:
    started = time.perf_counter()
    response = await http.post("/graphql", json={"query": query}, timeout=300)
    elapsed = time.perf_counter() - started
    body = response.content
    code = ""
    if response.headers.get("content-type", "").startswith("application/json"):
        errors = response.json().get("errors") or []
        code = (errors[0].get("extensions") or {}).get("code", "error") if errors else ""
    return elapsed, len(body), code


async def measure(url: str, pid: int) -> dict[str, str]:
    figures: dict[str, str] = {}
    async with httpx.AsyncClient(base_url=url, timeout=300) as http:
        elapsed, size, code = await timed_post(http, COST_QUERY)
        figures["cost query"] = f"{elapsed:.2f} s, {size / 1e6:.2f} MB {code}".strip()

        times = []
        for n in range(3):
            elapsed, _, code = await timed_post(http, repeated_selections(n))
            times.append(elapsed)
        figures["17 KB document"] = f"{statistics.median(times) * 1000:.0f} ms {code}".strip()

        probes = []
        for round_ in range(3):
            attacks = [
                asyncio.create_task(timed_post(http, repeated_selections(100 + 10 * round_ + k)))
                for k in range(8)
            ]
            await asyncio.sleep(0.05)
            elapsed, _, _ = await timed_post(http, "{ __typename }")
            probes.append(elapsed)
            await asyncio.gather(*attacks)
        figures["probe beside 8"] = f"{statistics.median(probes) * 1000:.0f} ms"

        before = rss_mb(pid)
        codes: set[str] = set()
        for n in range(1100):
            _, _, code = await timed_post(http, padded(n))
            codes.add(code)
        after = rss_mb(pid)
        shown = ",".join(sorted(c or "ok" for c in codes))
        figures["RSS, 1,100 x 255 KB"] = f"{before:.0f} -> {after:.0f} MB ({shown})"
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, default=HERE)
    parser.add_argument("--profiles", type=int, default=100)
    parser.add_argument("--history", type=int, default=100)
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="creatorgraph-attacks-"))
    database = directory / "bench.sqlite3"
    port = free_port()
    env = {
        **os.environ,
        "CREATORGRAPH_ENV": "test",
        "CREATORGRAPH_DATA_DIR": str(directory),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DATABASE_URL": f"sqlite://{database}",
        "JWT_SECRET": "bench-secret-" + "x" * 40,
        "PASSWORD_HASH_MEMORY_KIB": "8192",
        "SYNC_RATE_LIMIT": "100000/minute",
        "QUERY_COST_BUDGET": "1000000000/minute",
    }
    env.pop("REDIS_URL", None)
    log = (directory / "server.log").open("w")
    server = await asyncio.create_subprocess_exec(
        sys.executable, "app.py", "serve", cwd=args.root, env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            for _ in range(300):
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get("/health")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
            await seed(http, database, args.profiles, args.history)
        figures = await asyncio.wait_for(measure(url, server.pid), timeout=1800)
    finally:
        server.terminate()
        await asyncio.wait_for(server.wait(), timeout=30)
        log.close()
    print(f"| figure | {args.root} |")
    print("|---|---|")
    for name, value in figures.items():
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    asyncio.run(main())
