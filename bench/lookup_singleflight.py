"""Benchmark: one handle looked up by 100 concurrent callers, then cached lookups' latency.

    .venv/bin/python bench/lookup_singleflight.py [--redis-url redis://127.0.0.1:6379/N]
                                                  [--requests N] [--upstream-delay S]

Starts a fake tiktok-api23 server (tests/fakes/, real HTTP on loopback, answering after
``--upstream-delay``) in this process and the real server (``app.py serve``) as a subprocess on a
fresh SQLite file, its TikTok provider pointed at the fake. Then, through GraphQL:

1. cold: 100 concurrent ``platformLookup`` calls for a handle nobody asked before — the fake
   counts the upstream calls (must be 1) and the batch's latencies are recorded;
2. hot: ``--requests`` cached lookups of that handle, one at a time (latency of a single cached
   lookup) and then with 16 in flight — p50 / p99 of each.

With ``--redis-url`` (loopback only; that Redis database is FLUSHED) two server instances share
the Redis cache and the cold callers are split between them, so the single flight must hold
across instances. Everything is bounded: the whole run takes well under a minute. Results replace
the "Platform lookup single-flight (issue 3)" section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.rapidapi import RAPIDAPI_KEY, FakeTikTokApi23  # noqa: E402

RESULTS = BENCH / "RESULTS.md"
SECTION = "## Platform lookup single-flight (issue 3)"
JWT_SECRET = "bench-secret-" + "x" * 40
PASSWORD = "bench password 1"  # noqa: S105 (a throwaway account in a throwaway database)
CALLERS = 100
HOT_CONCURRENCY = 16
DEADLINE_SECONDS = 120

LOOKUP = """query L($h: String!) { platformLookup(platform: TIKTOK, handle: $h) {
  profile { handle followers engagement provider fetchedAt } userErrors { code message } } }"""
REGISTER = """mutation R($input: AccountRegisterInput!) { accountRegister(input: $input) {
  accessToken userErrors { code message } } }"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


async def start_instance(env: dict[str, str], log: Path) -> tuple[asyncio.subprocess.Process, str]:
    port = free_port()
    with log.open("w") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "app.py",
            "serve",
            cwd=ROOT,
            env={**env, "PORT": str(port)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            if proc.returncode is not None:
                raise RuntimeError(f"the server exited: see {log}")
            try:
                if (await client.get(f"{url}/health")).status_code == 200:
                    return proc, url
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"the server did not start: see {log}")


async def lookup(client: httpx.AsyncClient, url: str, token: str, handle: str) -> float:
    started = time.perf_counter()
    response = await client.post(
        f"{url}/graphql",
        json={"query": LOOKUP, "variables": {"h": handle}},
        headers={"Authorization": f"Bearer {token}"},
    )
    elapsed = time.perf_counter() - started
    payload = response.json()["data"]["platformLookup"]
    if payload["userErrors"] or payload["profile"]["followers"] is None:
        raise RuntimeError(f"lookup failed: {payload}")
    return elapsed


async def hot(
    client: httpx.AsyncClient, url: str, token: str, handle: str, total: int, concurrency: int
) -> list[float]:
    latencies: list[float] = []
    remaining = iter(range(total))

    async def worker() -> None:
        for _ in remaining:
            latencies.append(await lookup(client, url, token, handle))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


async def run(args: argparse.Namespace) -> dict[str, object]:
    fake = FakeTikTokApi23()
    await fake.start()
    tmp = Path(tempfile.mkdtemp(prefix="bench-lookup-"))
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}},
        "CREATORGRAPH_ENV": "test",
        "JWT_SECRET": JWT_SECRET,
        "DATABASE_URL": f"sqlite://{tmp / 'bench.sqlite3'}",
        "PASSWORD_HASH_MEMORY_KIB": "8192",
        "RAPIDAPI_KEY": RAPIDAPI_KEY,
        "RAPIDAPI_TIKTOK_URL": fake.url,
        "PLATFORM_LOOKUP_RATE_LIMIT": "1000000/minute",
    }
    instances = 1
    if args.redis_url:
        host = urlsplit(args.redis_url).hostname
        if host not in {"127.0.0.1", "localhost", "::1"}:
            raise SystemExit("--redis-url must be on loopback (its database is flushed)")
        import redis.asyncio as redis

        client = redis.from_url(args.redis_url)
        await client.flushdb()
        await client.aclose()
        env["REDIS_URL"] = args.redis_url
        instances = 2
    procs: list[asyncio.subprocess.Process] = []
    try:
        urls = []
        for i in range(instances):  # one after the other: both apply migrations at start
            proc, url = await start_instance(env, tmp / f"server-{i}.log")
            procs.append(proc)
            urls.append(url)
        limits = httpx.Limits(max_connections=CALLERS + 10, max_keepalive_connections=CALLERS)
        async with httpx.AsyncClient(timeout=30, limits=limits) as client:
            response = await client.post(
                f"{urls[0]}/graphql",
                json={
                    "query": REGISTER,
                    "variables": {
                        "input": {
                            "email": f"bench-{uuid.uuid4().hex[:8]}@example.com",
                            "password": PASSWORD,
                            "role": "CREATOR",
                            "displayName": "Bench",
                        }
                    },
                },
            )
            token = response.json()["data"]["accountRegister"]["accessToken"]
            handle = f"bench{uuid.uuid4().hex[:8]}"
            fake.add(handle)
            fake.delays[handle] = args.upstream_delay
            started = time.perf_counter()
            cold = await asyncio.gather(
                *(lookup(client, urls[i % instances], token, handle) for i in range(CALLERS))
            )
            cold_wall = time.perf_counter() - started
            upstream_calls = fake.calls[handle]
            for url in urls:  # warm-up: connections and caches of every instance
                await hot(client, url, token, handle, 50, 4)
            serial = await hot(client, urls[0], token, handle, args.requests, 1)
            parallel = await hot(client, urls[0], token, handle, args.requests, HOT_CONCURRENCY)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGINT)
        for proc in procs:
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                proc.kill()
        await fake.stop()
    ms = 1000.0
    return {
        "instances": instances,
        "cache": "Redis" if args.redis_url else "memory",
        "upstream_calls": upstream_calls,
        "upstream_delay_ms": args.upstream_delay * ms,
        "cold_wall_ms": cold_wall * ms,
        "cold_p50_ms": statistics.median(cold) * ms,
        "cold_max_ms": max(cold) * ms,
        "serial_p50_ms": statistics.median(serial) * ms,
        "serial_p99_ms": percentile(serial, 99) * ms,
        "parallel_p50_ms": statistics.median(parallel) * ms,
        "parallel_p99_ms": percentile(parallel, 99) * ms,
        "parallel_rps": len(parallel) / max(1e-9, sum(parallel) / HOT_CONCURRENCY),
        "requests": args.requests,
    }


def subsection(figures: dict[str, object]) -> str:
    f = figures
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    ok = "yes" if f["upstream_calls"] == 1 else "**NO**"
    plural = "s" if f["instances"] != 1 else ""
    rows = [
        (
            f"upstream calls for {CALLERS} concurrent cold lookups of one handle (must be 1)",
            f"**{f['upstream_calls']}** ({ok})",
        ),
        (
            "cold batch: wall time / median / slowest caller",
            f"{f['cold_wall_ms']:.0f} / {f['cold_p50_ms']:.0f} / {f['cold_max_ms']:.0f} ms",
        ),
        (
            "cached lookup through GraphQL, one at a time: p50 / **p99**",
            f"{f['serial_p50_ms']:.2f} / **{f['serial_p99_ms']:.2f} ms**",
        ),
        (
            f"cached lookup through GraphQL, {HOT_CONCURRENCY} in flight: p50 / p99",
            f"{f['parallel_p50_ms']:.2f} / {f['parallel_p99_ms']:.2f} ms "
            f"(≈{f['parallel_rps']:.0f} req/s)",
        ),
    ]
    table = "\n".join(f"| {name} | {value} |" for name, value in rows)
    return (
        f"### {f['cache']} cache, {f['instances']} instance{plural}\n\n"
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; machine: {os.cpu_count()} CPUs "
        f"({platform.machine()}), Python {platform.python_version()}; load average at the end: "
        f"{load} (other processes share these CPUs)\n"
        f"- server: `app.py serve` on a SQLite file; the fake tiktok-api23 answers after "
        f"{f['upstream_delay_ms']:.0f} ms\n\n"
        "| measure | value |\n|---|---:|\n"
        f"{table}\n\n"
        f"({f['requests']} cached lookups per latency row; a cached lookup still authenticates "
        "the caller, reads the cache and runs the GraphQL query.)\n"
    )


def update_results(key: str, text: str) -> None:
    """Replaces our ``### key`` subsection (creating the section as needed); leaves the rest."""
    current = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    start = current.find(SECTION + "\n")
    if start < 0:
        before, ours, after = current.rstrip("\n") + "\n\n", "", ""
    else:
        nxt = current.find("\n## ", start + len(SECTION))
        end = len(current) if nxt < 0 else nxt + 1
        before, ours, after = current[:start], current[start:end], current[end:]
    parts: dict[str, str] = {}
    for chunk in ours.split("\n### ")[1:]:
        parts[chunk.split("\n", 1)[0].strip()] = "### " + chunk.rstrip("\n") + "\n"
    parts[key] = text
    intro = (
        f"{SECTION}\n\nWritten by `bench/lookup_singleflight.py`. 100 callers look up one "
        "uncached handle at once through GraphQL; the fake provider counts upstream calls. Then "
        "the latency of cached lookups.\n"
    )
    section = intro + "\n" + "\n".join(parts[k] for k in sorted(parts))
    new = before + section + ("\n" + after if after else "")
    tmp = RESULTS.with_name(f".{RESULTS.name}.{os.getpid()}.tmp")
    tmp.write_text(new)
    os.replace(tmp, RESULTS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--redis-url", default=None)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--upstream-delay", type=float, default=0.2)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    figures = asyncio.run(asyncio.wait_for(run(args), DEADLINE_SECONDS))
    text = subsection(figures)
    print(text)
    if not args.no_write:
        update_results(text.split("\n", 1)[0][4:].strip(), text)
        print(f"wrote “{SECTION[3:]}” in bench/{RESULTS.name}")
    if figures["upstream_calls"] != 1:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
