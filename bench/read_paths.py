"""Benchmark of the foundation's hot read paths, as ratios against a baseline in the same run.

    .venv/bin/python bench/read_paths.py [--database-url URL] [--seconds N] [--rounds N]
                                         [--profiles N] [--ref REF] [--no-write]

Starts the real server (``app.py serve``) and bench/baseline_app.py (plain Starlette, one SQL query
per read, orjson) on the same database, both pinned to the first CPU; seeds profiles through the
public GraphQL API; checks that both servers answer the same JSON; then drives each read path with
bench/loadgen.py, pinned to the second CPU, alternating GraphQL and baseline runs. It prints a table
and replaces this database's part of the "Read paths (issue 2 foundation)" section of
bench/RESULTS.md, leaving every other section alone.

Everything runs on loopback. Without ``--database-url`` the database is a fresh SQLite file in a
temporary directory. With ``--database-url postgres://…`` (loopback hosts only) the database's
``public`` schema is DROPPED and recreated, as the test suite does.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import io
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import orjson
from harness import (
    BENCH,
    CONNECTIONS,
    ROOT,
    UNLIMITED,
    WARMUP_SECONDS,
    Driver,
    Figures,
    PostgresBackends,
    Server,
    cpus,
    git,
    is_loopback,
    launch,
    machine_line,
    mib,
    proc_status_kib,
    read_loadavg,
    replace_file,
    reset_postgres,
    start_loadgen,
    stop_loadgen,
    wait_healthy,
)

RESULTS = BENCH / "RESULTS.md"
SECTION = "## Read paths (issue 2 foundation)"

JWT_SECRET = "bench-secret-" + "x" * 40
PASSWORD = "bench password 1"  # noqa: S105 (throwaway accounts in a throwaway database)
SEED_CONCURRENCY = 24

# Ratio targets (GraphQL req/s ÷ baseline req/s), from ../shared/design/PERFORMANCE.md's figures for
# a straightforward Strawberry + Tortoise stack on this kind of machine.
TARGETS = {
    "profile": (
        0.15,
        "PERFORMANCE.md: profile by id, Strawberry + Tortoise ~2.6k req/s against raw "
        "Starlette + asyncpg ~12.9k (0.20×); 0.15× leaves room for machine noise",
    ),
    "discovery": (
        0.10,
        "provisional: PERFORMANCE.md has no raw figure for a page; a page multiplies "
        "GraphQL's per-field cost (≈3 µs a field, ~0.9k req/s for a nested response of ~155 "
        "objects) far more than the baseline's, so the bar is the framework floor below",
    ),
    "typename": (
        0.10,
        "PERFORMANCE.md: trivial query with parser + validation caches ~6.1k req/s against "
        "a plain Starlette endpoint ~38k (0.16×)",
    ),
}

PLATFORM_FIELDS = "followers engagement"
PROFILE_QUERY = (
    "query Profile($id: ID!) { profile(id: $id) { id displayName bio avatarUrl niches "
    "location { city state country } role isPublic rizzScore updatedAt "
    "stats { totalFollowers avgEngagement platformBreakdown { "
    + " ".join(
        f"{p} {{ platform followers engagement syncedAt }}"
        for p in ("tiktok", "instagram", "youtube", "twitch", "twitter")
    )
    + " } } } }"
)
DISCOVERY_QUERY = (
    "query Discovery($first: Int!) { profiles(first: $first, "
    "orderBy: {field: RIZZ_SCORE, direction: DESC}) { edges { cursor node { id displayName "
    "avatarUrl niches location { city country } role rizzScore "
    "stats { totalFollowers avgEngagement platformBreakdown { "
    + " ".join(
        f"{p} {{ {PLATFORM_FIELDS} }}"
        for p in ("tiktok", "instagram", "youtube", "twitch", "twitter")
    )
    + " } } } } pageInfo { hasNextPage endCursor } } }"
)
TYPENAME_QUERY = "{ __typename }"

PATHS = {
    "profile": "profile by id + stats + platformBreakdown",
    "discovery": "discovery page (first 20, RIZZ_SCORE DESC) + stats",
    "typename": "trivial `{ __typename }` vs plain Starlette endpoint",
}
BASELINE_ROUTES = {"profile": "/profile", "discovery": "/discovery", "typename": "/typename"}

REGISTER = """mutation($input: AccountRegisterInput!) { accountRegister(input: $input) {
  accessToken userErrors { field message code } } }"""
SIGN_IN = """mutation($input: TokenCreateInput!) { tokenCreate(input: $input) {
  accessToken userErrors { field message code } } }"""
UPDATE = """mutation($input: ProfileUpdateInput!) { profileUpdate(input: $input) {
  profile { id } userErrors { field message code } } }"""
SYNC = """mutation($input: SocialSyncBatchInput!) { socialSyncBatch(input: $input) {
  count userErrors { field message code } } }"""
NICHES = ["fitness", "travel", "food", "gaming", "beauty", "tech", "music", "fashion", "comedy"]
PLACES = [("Lisbon", None, "Portugal"), ("Austin", "Texas", "USA"), ("Lagos", None, "Nigeria")]
PLATFORMS = ["TIKTOK", "INSTAGRAM", "YOUTUBE", "TWITCH", "TWITTER"]


# ---------------------------------------------------------------------------------------------
# seeding through the public API


class Refused(RuntimeError):
    def __init__(self, errors: list[dict]) -> None:
        super().__init__(f"refused: {errors}")
        self.codes = {e.get("code") for e in errors}


async def gql(client: httpx.AsyncClient, query: str, variables: dict, token: str | None = None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = {"query": query, "variables": variables}
    for attempt in range(3):
        try:
            response = await client.post("/graphql", json=request, headers=headers)
            break
        except httpx.TransportError:  # e.g. a keep-alive connection closed as it was reused
            if attempt == 2:
                raise
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"GraphQL call failed ({response.status_code}): {body}")
    payload = next(iter(body["data"].values()))
    if payload.get("userErrors"):
        raise Refused(payload["userErrors"])
    return payload


async def seed_one(client: httpx.AsyncClient, i: int) -> str:
    """Registers user i, fills in their profile and syncs 3 platforms; the same data every run."""
    rng = random.Random(i)
    role = "BRAND" if i % 5 == 0 else "CREATOR"
    account = {"email": f"bench{i}@example.com", "password": PASSWORD}
    try:
        registered = await gql(
            client,
            REGISTER,
            {"input": {**account, "role": role, "displayName": f"Bench {role.title()} {i}"}},
        )
    except Refused as exc:  # a retried registration that had gone through: sign in instead
        if "DUPLICATE" not in exc.codes:
            raise
        registered = await gql(client, SIGN_IN, {"input": account})
    token = registered["accessToken"]
    city, state, country = PLACES[i % len(PLACES)]
    changes: dict = {
        "bio": f"Profile {i}: " + " ".join(rng.sample(NICHES, 3)),
        "niches": rng.sample(NICHES, rng.randint(1, 3)),
    }
    if i % 4:
        changes["location"] = {"city": city, "state": state, "country": country}
    updated = await gql(client, UPDATE, {"input": changes}, token)
    items = [
        {
            "platform": p,
            "followers": int(10 ** rng.uniform(2, 7.5)),
            "engagement": None if rng.random() < 0.1 else round(rng.uniform(0.3, 12), 2),
        }
        for p in rng.sample(PLATFORMS, 3)
    ]
    await gql(client, SYNC, {"input": {"items": items}}, token)
    return updated["profile"]["id"]


async def seed(url: str, count: int) -> list[str]:
    ids: list[str] = [""] * count
    todo = iter(range(count))
    limits = httpx.Limits(max_connections=SEED_CONCURRENCY)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:

        async def worker() -> None:
            for i in todo:
                ids[i] = await seed_one(client, i)

        await asyncio.gather(*(worker() for _ in range(SEED_CONCURRENCY)))
    return ids


# ---------------------------------------------------------------------------------------------
# the same answers from both servers


def bodies(path: str, profile_ids: list[str]) -> list[str]:
    """The request bodies of one path; both servers get exactly these bytes."""
    if path == "profile":
        ids = profile_ids[:]
        random.Random(7).shuffle(ids)
        return [json.dumps({"query": PROFILE_QUERY, "variables": {"id": pid}}) for pid in ids]
    if path == "discovery":
        return [json.dumps({"query": DISCOVERY_QUERY, "variables": {"first": 20}})]
    return [json.dumps({"query": TYPENAME_QUERY})]


async def cursor_has_direction(graphql: Server) -> str:
    """ "1" when the server's discovery cursors name the direction (the current format)."""
    async with httpx.AsyncClient(base_url=graphql.url, timeout=10) as client:
        page = await gql(client, "{ profiles(first: 1) { edges { cursor } } }", {})
    cursor = page["edges"][0]["cursor"]
    decoded = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    return "1" if len(decoded) == 4 else "0"


def same_data(ours: bytes, theirs: bytes) -> bool:
    """Whether two GraphQL answers hold the same ``data`` (and neither has errors)."""
    a, b = orjson.loads(ours), orjson.loads(theirs)
    return "errors" not in a and "errors" not in b and a.get("data") == b.get("data")


async def check_same_answers(graphql: Server, baseline: Server, profile_ids: list[str]) -> int:
    """Refuses to time anything unless both servers answer the same JSON."""
    sample = profile_ids[:: max(1, len(profile_ids) // 25)]
    headers = {"content-type": "application/json"}
    async with httpx.AsyncClient(timeout=10) as client:
        for path in PATHS:
            for body in bodies(path, sample):
                a = await client.post(graphql.url + "/graphql", content=body, headers=headers)
                b = await client.post(
                    baseline.url + BASELINE_ROUTES[path], content=body, headers=headers
                )
                # The data, not the extensions: the server's cost report is no part of the
                # answer the baseline has to give.
                if a.status_code != 200 or not same_data(a.content, b.content):
                    raise SystemExit(
                        f"{path}: the servers answer differently for {body[:200]}\n"
                        f"graphql ({a.status_code}): {a.text[:1500]}\n"
                        f"baseline ({b.status_code}): {b.text[:1500]}\n"
                        "bench/baseline_app.py must follow the API: update it, then rerun."
                    )
                if path == "profile" and orjson.loads(a.content)["data"]["profile"] is None:
                    raise SystemExit(f"a seeded profile is not visible: {body[:200]}")
    return len(sample)


async def measure(
    driver: Driver,
    graphql: Server,
    baseline: Server,
    profile_ids: list[str],
    seconds: float,
    rounds: int,
    server_cpu: int | None,
) -> dict[tuple[str, str], Figures]:
    """Each path: GraphQL, baseline, GraphQL, baseline … so drift hits both alike."""
    figures: dict[tuple[str, str], Figures] = {}
    for path in PATHS:
        payloads = bodies(path, profile_ids)
        for _ in range(rounds):
            for server, route in ((graphql, "/graphql"), (baseline, BASELINE_ROUTES[path])):
                f = figures.setdefault((path, server.name), Figures())
                r = await driver.run(
                    server,
                    {"path": route, "bodies": payloads},
                    f"{path}:{server.name}",
                    seconds / rounds,
                    f,
                    server_cpu,
                )
                print(
                    f"  {path:<9} {server.name:<8} {r['rps']:>8,.0f} req/s  "
                    f"p50 {r['p50_ms']:7.2f} ms  p99 {r['p99_ms']:7.2f} ms  "
                    f"server CPU {r['cpu_ms']:6.2f} ms/req  "
                    f"client CPU {r['client_cpu']:4.0%}  others {r.get('others', 0):4.0%}  "
                    f"errors {r['errors']}",
                    flush=True,
                )
    await driver.pooled(figures)
    return figures


# ---------------------------------------------------------------------------------------------
# reporting


def round_ratios(figures: dict[tuple[str, str], Figures], path: str) -> list[float]:
    """GraphQL ÷ baseline req/s of each round (the two runs of a round are back to back)."""
    g, b = figures[(path, "graphql")], figures[(path, "baseline")]
    return [x / y for x, y in zip(g.runs, b.runs, strict=True) if y]


def ratio(figures: dict[tuple[str, str], Figures], path: str) -> float:
    """The median of the rounds' ratios: a round disturbed by another process moves it less
    than it moves the pooled req/s."""
    ratios = round_ratios(figures, path)
    return statistics.median(ratios) if ratios else 0.0


def verdict(figures: dict[tuple[str, str], Figures], path: str) -> str:
    """yes / **no** when the req/s ratio and the CPU-per-request ratio agree about the target;
    borderline when they do not (the machine's noise is then as large as the margin)."""
    target = TARGETS[path][0]
    by_rps, by_cpu = ratio(figures, path) >= target, cpu_ratio(figures, path) >= target
    if by_rps and by_cpu:
        return "yes"
    if not by_rps and not by_cpu:
        return "**no**"
    return "borderline"


def cpu_ratio(figures: dict[tuple[str, str], Figures], path: str) -> float:
    """Baseline CPU per request ÷ GraphQL CPU per request (server and database together)."""
    g, b = figures[(path, "graphql")], figures[(path, "baseline")]
    mine = g.cpu_ms_per_request() + g.cpu_ms_per_request("db")
    theirs = b.cpu_ms_per_request() + b.cpu_ms_per_request("db")
    return theirs / mine if mine else 0.0


def cpu_cell(f: Figures, postgres: bool) -> str:
    server = f.cpu_ms_per_request()
    if not postgres:
        return f"{server:.2f} ms"
    return f"{server:.2f} + {f.cpu_ms_per_request('db'):.2f} ms"


def table(figures: dict[tuple[str, str], Figures], postgres: bool) -> list[str]:
    cpu_head = "CPU/request (server + PostgreSQL)" if postgres else "server CPU/request"
    rows = [
        f"| path | server | req/s | p50 | p99 | ratio | target | met | {cpu_head} | peak RSS |",
        "|---|---|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for path, title in PATHS.items():
        g, b = figures[(path, "graphql")], figures[(path, "baseline")]
        r, target = ratio(figures, path), TARGETS[path][0]
        rows.append(
            f"| {title} | GraphQL | {g.rps:,.0f} | {g.p50_ms:.2f} ms | {g.p99_ms:.2f} ms "
            f"| **{r:.3f}×** | ≥ {target:.2f}× | {verdict(figures, path)} "
            f"| {cpu_cell(g, postgres)} | {mib(g.peak_rss_kib)} |"
        )
        rows.append(
            f"| | baseline | {b.rps:,.0f} | {b.p50_ms:.2f} ms | {b.p99_ms:.2f} ms | 1 | | "
            f"| {cpu_cell(b, postgres)} | {mib(b.peak_rss_kib)} |"
        )
    return rows


def subsection(db_kind: str, figures: dict, meta: dict[str, str], notes: list[str]) -> str:
    postgres = db_kind == "PostgreSQL"
    lines = [
        f"### {db_kind}",
        "",
        f"- date: {meta['date']}; machine: {meta['machine']}",
        f"- database: {meta['database']}",
        f"- data: {meta['data']}",
        f"- load: {meta['load']}",
        f"- code: {meta['code']}",
        f"- load average when the run started: {meta['loadavg']}",
        "",
        *table(figures, postgres),
        "",
        *[f"- {n}" for n in notes],
    ]
    return "\n".join(lines).rstrip("\n") + "\n"


SECTION_INTRO = f"""{SECTION}

Written by `bench/read_paths.py` (how to run it and read it: bench/README.md). **ratio** = GraphQL
req/s ÷ baseline req/s in the same run: the real server (`app.py serve`: Strawberry + Tortoise)
against bench/baseline_app.py (plain Starlette answering the same JSON with one hand-written SQL
query each and orjson, or a plain endpoint for `__typename`) on the same database, both pinned to
CPU 0, the load generator on CPU 1, 32 keep-alive connections. Latencies are per request at that
concurrency. CPU/request is CPU time of the server process (plus, on PostgreSQL, of the database's
backends) per answered request: unlike req/s it does not move when other processes share the core.
"met" is yes when both ratios reach the target, no when neither does, borderline otherwise.
Targets, from ../shared/design/PERFORMANCE.md:

{chr(10).join(f"- {PATHS[p]}: ratio ≥ {t:.2f}× — {why}." for p, (t, why) in TARGETS.items())}
- memory: no target yet (PERFORMANCE.md gives no memory figure); peak RSS per phase is recorded.
"""


def update_results(db_kind: str, text: str) -> None:
    """Replaces this database's subsection of our section (creating either as needed) and leaves
    everything else in the file as it is, including other ### subsections of our section."""
    current = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    start = current.find(SECTION + "\n")
    if start < 0:
        before, ours, after = current.rstrip("\n") + "\n\n", "", ""
    else:
        nxt = current.find("\n## ", start + len(SECTION))
        end = len(current) if nxt < 0 else nxt + 1
        before, ours, after = current[:start], current[start:end], current[end:]
    parts: dict[str, str] = {}
    for chunk in re.split(r"(?m)^(?=### )", ours)[1:]:
        parts[chunk.split("\n", 1)[0][4:].strip()] = chunk.rstrip("\n") + "\n"
    parts[db_kind] = text.rstrip("\n") + "\n"
    order = sorted(parts, key=lambda k: ({"SQLite": 0, "PostgreSQL": 1}.get(k, 2), k))
    section = SECTION_INTRO + "\n" + "\n".join(parts[k] for k in order)
    new = before + section + ("\n" + after if after else "")
    replace_file(RESULTS, new)


def export_tree(ref: str, dest: Path) -> None:
    """The committed tree of ``ref``, to serve instead of the working tree."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", ref], cwd=ROOT, capture_output=True, check=True
    ).stdout
    dest.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")


def code_identity(ref: str | None) -> str:
    """Which code was measured: a commit, or the working tree and how far it is from HEAD."""
    try:
        if ref:
            return f"commit {git('rev-parse', '--short', ref)} ({ref}), exported with git archive"
        head = git("rev-parse", "--short", "HEAD")
        changed = [
            line for line in git("status", "--porcelain").splitlines() if " bench/" not in line
        ]
        if not changed:
            return f"working tree at {head}, clean"
        return f"working tree at {head} with {len(changed)} uncommitted changes outside bench/"
    except (OSError, subprocess.CalledProcessError):
        return "unknown (no git)"


# ---------------------------------------------------------------------------------------------


@dataclass
class Run:
    """What one benchmark run learned, for the report."""

    db_kind: str
    url: str
    profile_ids: list[str]
    seed_seconds: float
    idle_rss_kib: int
    seeded_rss_kib: int
    figures: dict[tuple[str, str], Figures]
    core_line: str
    disturbed: list[str]
    total_seconds: float
    db_version: str


async def run_benchmark(
    args: argparse.Namespace, server_cpu: int | None, client_cpu: int | None
) -> Run:
    # tmpfs when there is one: SQLite's fsyncs then cost nothing while seeding; reads are served
    # from the page cache either way.
    shm = Path("/dev/shm")  # noqa: S108 (mkdtemp makes a private, unique directory in it)
    tmp = Path(
        tempfile.mkdtemp(prefix="creatorgraph-bench-", dir=shm if os.access(shm, os.W_OK) else None)
    )
    servers: list[Server] = []
    loadgen: asyncio.subprocess.Process | None = None
    backends = PostgresBackends(args.database_url)
    t0 = time.perf_counter()
    try:
        if args.database_url:
            url, db_kind = args.database_url, "PostgreSQL"
            print(f"resetting the public schema of {url}")
            await reset_postgres(url)
        else:
            url, db_kind = f"sqlite://{tmp / 'bench.sqlite3'}", "SQLite"
        env = {
            "DATABASE_URL": url,
            "JWT_SECRET": JWT_SECRET,
            **UNLIMITED,  # seeding registers hundreds of accounts from one address
            "CREATORGRAPH_ENV": "test",
            "PASSWORD_HASH_MEMORY_KIB": "1024",
            "CREATORGRAPH_DATA_DIR": str(tmp / "data"),
            "HOST": "127.0.0.1",
        }
        py = sys.executable
        app_dir = ROOT
        if args.ref:
            app_dir = tmp / "app"
            export_tree(args.ref, app_dir)
        graphql = launch("graphql", [py, "app.py", "serve"], env, server_cpu, tmp, app_dir)
        servers.append(graphql)
        await wait_healthy(graphql)
        idle_rss = proc_status_kib(graphql.pid, "VmRSS")
        print(
            f"server up ({mib(idle_rss)} RSS); seeding {args.profiles:,} profiles ...", flush=True
        )
        t1 = time.perf_counter()
        profile_ids = await seed(graphql.url, args.profiles)
        seed_seconds = time.perf_counter() - t1
        seeded_rss = proc_status_kib(graphql.pid, "VmRSS")
        rate = 3 * len(profile_ids) / seed_seconds
        print(f"  seeded in {seed_seconds:.1f} s ({rate:,.0f} mutations/s)", flush=True)

        env["BASELINE_CURSOR_HAS_DIRECTION"] = await cursor_has_direction(graphql)
        baseline = launch(
            "baseline", [py, str(BENCH / "baseline_app.py")], env, server_cpu, tmp, BENCH
        )
        servers.append(baseline)
        await wait_healthy(baseline)
        checked = await check_same_answers(graphql, baseline, profile_ids)
        print(f"  same JSON from both servers ({checked} profiles, the page, __typename)")

        await backends.open()
        await backends.analyze()
        loadgen = await start_loadgen(py, client_cpu)
        driver = Driver(loadgen, backends)
        print(
            f"measuring {args.seconds:g} s per path and server in {args.rounds} alternating "
            f"rounds, {CONNECTIONS} connections ...",
            flush=True,
        )
        figures = await measure(
            driver, graphql, baseline, profile_ids, args.seconds, args.rounds, server_cpu
        )
        return Run(
            db_kind=db_kind,
            url=url,
            profile_ids=profile_ids,
            seed_seconds=seed_seconds,
            idle_rss_kib=idle_rss,
            seeded_rss_kib=seeded_rss,
            figures=figures,
            core_line=driver.core.line(server_cpu, postgres=db_kind == "PostgreSQL"),
            disturbed=driver.disturbed,
            total_seconds=time.perf_counter() - t0,
            db_version=backends.version,
        )
    except BaseException:
        for server in servers:
            print(f"--- the end of the {server.name} server's log ---", file=sys.stderr)
            print(server.log_tail(), file=sys.stderr)
        raise
    finally:
        await stop_loadgen(loadgen)
        await backends.close()
        for server in servers:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def report(args: argparse.Namespace, run: Run, loadavg: str, notes: list[str]) -> str:
    figures = run.figures
    for (path, name), f in figures.items():
        if f.errors:
            notes.append(f"⚠ {path} on {name}: {f.errors} error responses")
        if f.client_cpu > 0.9:
            notes.append(
                f"⚠ {path} on {name}: the load generator used {f.client_cpu:.0%} of its core, so "
                "that figure may be client-bound (the server's limit is at least that)"
            )
    if run.core_line:
        notes.append(run.core_line)
    notes.append(
        "rounds (GraphQL req/s, baseline req/s → ratio): "
        + "; ".join(
            f"{p} "
            + ", ".join(
                f"{g:,.0f}/{b:,.0f} → {g / b:.3f}"
                for g, b in zip(
                    figures[(p, "graphql")].runs, figures[(p, "baseline")].runs, strict=True
                )
                if b
            )
            for p in PATHS
        )
    )
    if run.disturbed:
        notes.append(
            "⚠ other processes took over 15% of the servers' core during "
            + ", ".join(run.disturbed)
            + "; compare those rounds' ratios with the others"
        )
    cpu_ratios = ", ".join(
        f"{p} {cpu_ratio(figures, p):.3f}×" for p in PATHS if cpu_ratio(figures, p)
    )
    notes.append(f"the same ratios from CPU per request (baseline ÷ GraphQL): {cpu_ratios}")
    if run.db_kind == "SQLite":
        import sqlite3

        database = f"SQLite {sqlite3.sqlite_version}, a fresh file in a temporary directory"
    else:
        parts = urlsplit(run.url)
        where = f"{parts.hostname}:{parts.port or 5432}{parts.path}"
        database = f"PostgreSQL {run.db_version} at {where} (public schema reset)"
    meta = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine_line(),
        "database": database,
        "data": f"{len(run.profile_ids):,} profiles × 3 platforms, seeded through the GraphQL API "
        f"in {run.seed_seconds:.0f} s; GraphQL server RSS {mib(run.idle_rss_kib)} idle, "
        f"{mib(run.seeded_rss_kib)} after seeding",
        "load": f"{CONNECTIONS} keep-alive connections, closed loop; {args.seconds:g} s measured "
        f"per path and server in {args.rounds} alternating rounds (+{WARMUP_SECONDS:g} s warm-up "
        f"each); whole run {run.total_seconds:.0f} s",
        "loadavg": loadavg,
        "code": code_identity(args.ref),
    }
    return subsection(run.db_kind, figures, meta, notes)


async def main_async(args: argparse.Namespace) -> int:
    if args.database_url:
        if not args.database_url.startswith(("postgres://", "postgresql://")):
            raise SystemExit("--database-url must be a postgres:// URL")
        if not is_loopback(args.database_url):
            raise SystemExit("this benchmark only touches loopback databases")
    available = cpus()
    server_cpu, client_cpu = (available[0], available[1]) if len(available) >= 2 else (None, None)
    notes: list[str] = []
    if client_cpu is None:
        notes.append("⚠ fewer than 2 CPUs: nothing pinned; the ratios mean less")
    else:
        os.sched_setaffinity(0, {client_cpu})  # this driver shares the load generator's core
    loadavg = read_loadavg()
    run = await run_benchmark(args, server_cpu, client_cpu)
    text = report(args, run, loadavg, notes)
    print()
    print(text)
    for p in PATHS:
        r, target = ratio(run.figures, p), TARGETS[p][0]
        met = verdict(run.figures, p).strip("*")
        print(f"{p}: {r:.3f}× against a target of {target:.2f}× — met: {met}")
    if not args.no_write:
        update_results(run.db_kind, text)
        print(f"wrote the {run.db_kind} part of “{SECTION[3:]}” in bench/{RESULTS.name}")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Benchmark of the hot read paths against a plain-Starlette baseline."
    )
    parser.add_argument(
        "--database-url",
        help="postgres://… on loopback: its public schema is DROPPED and recreated "
        "(default: a fresh SQLite file in a temporary directory)",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=8.0,
        help="measured seconds per path and server, split over the rounds (default 8)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    parser.add_argument("--profiles", type=int, default=500, help="profiles to seed (default 500)")
    parser.add_argument(
        "--ref",
        help="serve this commit (exported with git archive) instead of the working tree",
    )
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md")
    raise SystemExit(asyncio.run(main_async(parser.parse_args())))


if __name__ == "__main__":
    main()
