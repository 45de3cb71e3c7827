"""Benchmark against the peers (issue 9): creatorgraph's read paths and socialSync against the
hand-written baseline and PostGraphile v4, on the same PostgreSQL tables, in the same run.

    .venv/bin/python bench/peers.py [--database-url URL] [--profiles N] [--seconds N]
                                    [--rounds N] [--servers a,b] [--paths a,b] [--reseed]
                                    [--postgres-cpu client|any]
                                    [--no-write]

The database (default postgres://postgres@127.0.0.1:5432/bench_peers, loopback only, created when
missing) is seeded once with ``app.py seed --profiles N`` and reused while it holds exactly N
seeded profiles (otherwise, or with --reseed, its public schema is DROPPED and seeded again).
Every server is pinned to the first CPU, the load generator (bench/loadgen.py, 32 keep-alive
connections) to the second, and while measuring PostgreSQL's processes too (--postgres-cpu any
leaves them to the kernel), as a database on a host of its own would be. The servers, one
process each unless said otherwise:

- compiled:   creatorgraph, RESPONSE_CACHE=off COMPILED_READS=on, trusted documents by documentId
- strawberry: creatorgraph, RESPONSE_CACHE=off COMPILED_READS=off, by documentId
- untrusted:  the strawberry process, sent the document's text on one line (not byte-identical to
              the trusted document, so nothing treats it as one: the Strawberry path for
              untrusted documents)
- cached:     creatorgraph, RESPONSE_CACHE=on, by documentId, the cache filled before measuring
- baseline:   bench/baseline_app.py (Starlette + asyncpg, one hand-written query, same JSON)
- postgraphile: PostGraphile v4 from npm (installed at run time into
              ~/.cache/creatorgraph-bench/, never committed), same tables, default inflection

and the paths: profile (ProfileById over 1,000 random seeded ids, the same list for every
server), discovery (DiscoveryPage, first 20 by RIZZ_SCORE DESC; PostGraphile's
``allProfiles(orderBy: [RIZZ_SCORE_DESC, ID_DESC], first: 20)`` with each profile's accounts: the
same order, ties broken by id as ours are), search
(DiscoveryPage with ``search: "Olivai Rossi"``, misspelt, by relevance; creatorgraph and the
baseline) and sync (SocialSync by 200 registered users with their own tokens; creatorgraph with
the cache off and on). Before timing anything it checks that every creatorgraph variant and the
baseline answer the same ``data`` as the Strawberry path; a variant that does not, or a run with
errors or non-200 answers, is reported as failed rather than as a figure.

It prints a markdown table and, unless --no-write, appends it (with date, machine, commit and the
command) to its section of bench/RESULTS.md. bench/README.md says how to read it.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import datetime as dt
import hashlib
import json
import os
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
from harness import (
    BENCH,
    CONNECTIONS,
    ROOT,
    UNLIMITED,
    Driver,
    Figures,
    PostgresBackends,
    Server,
    connect_creating,
    cpus,
    git,
    is_loopback,
    launch,
    machine_line,
    postgres_on_cpu,
    read_loadavg,
    replace_file,
    reset_postgres,
    start_loadgen,
    stop_loadgen,
    wait_healthy,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_peers"
RESULTS = BENCH / "RESULTS.md"
SECTION = "## Peers: creatorgraph, the hand-written baseline and PostGraphile v4 (issue 9)"
JWT_SECRET = "bench-peers-secret-" + "x" * 40
PASSWORD = "bench password 1"  # noqa: S105 (throwaway accounts in a throwaway database)
SEARCH_TEXT = "Olivai Rossi"  # "Olivia Rossi", misspelt on purpose
PROFILE_IDS = 1000
SYNC_USERS = 200
SYNC_EMAIL = "bench-sync-{}@example.com"
SEEDED_EMAILS = "demo%@creatorgraph.test"  # resolvers/seed.py's users
NODE_DIR = Path.home() / ".cache" / "creatorgraph-bench"
POSTGRAPHILE_CLI = NODE_DIR / "node_modules" / "postgraphile" / "cli.js"

SERVERS = {
    "compiled": "creatorgraph, cache off, compiled reads on (documentId)",
    "strawberry": "creatorgraph, cache off, compiled reads off (documentId)",
    "untrusted": "creatorgraph, cache off, compiled reads off (untrusted text)",
    "cached": "creatorgraph, cache on (documentId)",
    "baseline": "hand-written baseline",
    "postgraphile": "PostGraphile v4",
}
PROCESS = {
    "compiled": "creatorgraph-compiled",
    "strawberry": "creatorgraph-strawberry",
    "untrusted": "creatorgraph-strawberry",
    "cached": "creatorgraph-cached",
    "baseline": "baseline",
    "postgraphile": "postgraphile",
}
CREATORGRAPH_ENV = {
    "creatorgraph-compiled": {"RESPONSE_CACHE": "off", "COMPILED_READS": "on"},
    "creatorgraph-strawberry": {"RESPONSE_CACHE": "off", "COMPILED_READS": "off"},
    "creatorgraph-cached": {"RESPONSE_CACHE": "on", "COMPILED_READS": "on"},
}
PATHS = {
    "profile": "profile by id",
    "discovery": "discovery page (first 20, RIZZ_SCORE DESC)",
    "search": f"relevance search “{SEARCH_TEXT}” (first 20)",
    "sync": "socialSync (one platform, 200 users)",
}
APPLIES = {
    "profile": ("compiled", "strawberry", "untrusted", "cached", "baseline", "postgraphile"),
    "discovery": ("compiled", "strawberry", "untrusted", "cached", "baseline", "postgraphile"),
    "search": ("compiled", "strawberry", "untrusted", "cached", "baseline"),
    "sync": ("compiled", "cached"),
}
BASELINE_ROUTES = {
    "profile": "/doc/profile",
    "discovery": "/doc/discovery",
    "search": "/doc/search",
}
DOCUMENTS = {"profile": "ProfileById", "discovery": "DiscoveryPage", "search": "DiscoveryPage"}
SYNC_REFUSED = '"userErrors":[{'  # a refused socialSync answers 200 with userErrors

PG_ACCOUNTS = "socialAccountsByProfileId { nodes { platform followers engagement } }"
PG_PROFILE = (
    "query ProfileById($id: BigInt!) { profileById(id: $id) { id displayName bio avatarUrl niches "
    f"city state country role rizzScore totalFollowers avgEngagement {PG_ACCOUNTS} }} }}"
)
PG_DISCOVERY = (
    "query DiscoveryPage($first: Int!) { "
    "allProfiles(orderBy: [RIZZ_SCORE_DESC, ID_DESC], first: $first) { edges { cursor node { "
    "id displayName avatarUrl niches city country rizzScore "
    f"totalFollowers avgEngagement {PG_ACCOUNTS} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"
)

# Targets, from issue 9 ("Targets"): (path, server, measure, against, bound).
TARGETS = [
    ("profile", "compiled", "ratio", "postgraphile", 1.0),
    ("profile", "cached", "ratio", "postgraphile", 2.5),
    ("profile", "compiled", "p99", None, 20.0),
    ("profile", "cached", "p99", None, 20.0),
    ("discovery", "compiled", "ratio", "postgraphile", 1.0),
    ("discovery", "compiled", "p99", None, 40.0),
    ("search", "compiled", "p99", None, 60.0),
    ("profile", "untrusted", "ratio", "baseline", 0.35),
]

REGISTER = """mutation($input: AccountRegisterInput!) { accountRegister(input: $input) {
  accessToken userErrors { field message code } } }"""
SIGN_IN = """mutation($input: TokenCreateInput!) { tokenCreate(input: $input) {
  accessToken userErrors { field message code } } }"""


# ---------------------------------------------------------------------------------------------
# the database: seeded once, reused


async def count(conn: Any, sql: str, *args: Any) -> int:
    """A count, or 0 when the tables are not there yet."""
    import asyncpg

    try:
        return int(await conn.fetchval(sql, *args))
    except asyncpg.UndefinedTableError:
        return 0


def run_app(argv: list[str], env: dict[str, str]) -> None:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "app.py", *argv],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"app.py {' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}")
    print(f"  app.py {' '.join(argv)}: {time.perf_counter() - started:.1f} s", flush=True)


async def prepare_database(args: argparse.Namespace, env: dict[str, str]) -> str:
    """Seeds the database unless it already holds exactly --profiles seeded profiles; applies
    pending migrations either way. Returns what the data line of the report says."""
    conn = await connect_creating(args.database_url)
    try:
        seeded = await count(conn, "SELECT count(*) FROM users WHERE email LIKE $1", SEEDED_EMAILS)
    finally:
        await conn.close()
    if seeded == args.profiles and not args.reseed:
        print(f"the database holds {seeded:,} seeded profiles: reusing it", flush=True)
        run_app(["migrate"], env)
        return f"{seeded:,} profiles from `app.py seed`, reused"
    why = "--reseed" if seeded == args.profiles else f"not {args.profiles:,}"
    print(
        f"the database holds {seeded:,} seeded profiles ({why}): resetting its public schema "
        "and seeding",
        flush=True,
    )
    await reset_postgres(args.database_url)
    started = time.perf_counter()
    run_app(["seed", "--profiles", str(args.profiles)], env)
    seconds = time.perf_counter() - started
    conn = await connect_creating(args.database_url)
    try:
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return f"{args.profiles:,} profiles from `app.py seed`, seeded in this run ({seconds:.0f} s)"


async def sample_profiles(url: str) -> list[int]:
    """1,000 random visible seeded profiles: the same list for every server (and every run)."""
    conn = await connect_creating(url)
    try:
        rows = await conn.fetch(
            "SELECT p.id FROM profiles p JOIN users u ON u.id = p.user_id "
            "WHERE p.is_public AND p.is_active AND NOT u.suspended AND u.email LIKE $1 "
            "ORDER BY p.id",
            SEEDED_EMAILS,
        )
    finally:
        await conn.close()
    ids = [r["id"] for r in rows]
    return random.Random(7).sample(ids, min(PROFILE_IDS, len(ids)))


# ---------------------------------------------------------------------------------------------
# the users who sync


async def gql(client: httpx.AsyncClient, query: str, variables: dict) -> dict:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"GraphQL call failed ({response.status_code}): {body}")
    payload = next(iter(body["data"].values()))
    if payload.get("userErrors"):
        raise RuntimeError(f"refused: {payload['userErrors']}")
    return payload


async def sync_tokens(server: Server, url: str) -> list[str]:
    """Registers the sync users that are missing (once per database), then signs every one in:
    one access token each."""
    conn = await connect_creating(url)
    try:
        rows = await conn.fetch("SELECT email FROM users WHERE email LIKE 'bench-sync-%'")
    finally:
        await conn.close()
    existing = {r["email"] for r in rows}
    emails = [SYNC_EMAIL.format(i) for i in range(SYNC_USERS)]
    tokens: dict[str, str] = {}
    limits = httpx.Limits(max_connections=8)
    async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as client:

        async def one(i: int, email: str) -> None:
            account = {"email": email, "password": PASSWORD}
            if email in existing:
                payload = await gql(client, SIGN_IN, {"input": account})
            else:
                # Registered as creators with a small audience: low rizz scores keep them out
                # of the first discovery pages the other paths read.
                new = {**account, "role": "CREATOR", "displayName": f"Bench Sync {i}"}
                payload = await gql(client, REGISTER, {"input": new})
            tokens[email] = payload["accessToken"]

        queue = list(enumerate(emails))

        async def worker() -> None:
            while queue:
                i, email = queue.pop()
                await one(i, email)

        await asyncio.gather(*(worker() for _ in range(8)))
    return [tokens[e] for e in emails]


# ---------------------------------------------------------------------------------------------
# what each server is sent


def load_documents() -> dict[str, tuple[str, str]]:
    """``{name: (documentId, text)}`` of schema/documents/, hashed as the server hashes them."""
    found = {}
    for path in sorted((ROOT / "schema" / "documents").glob("*.graphql")):
        text = path.read_bytes().decode("utf-8")
        found[path.stem] = ("sha256:" + hashlib.sha256(text.encode()).hexdigest(), text)
    return found


def global_id(pk: int) -> str:
    return base64.urlsafe_b64encode(f"Profile:{pk}".encode()).decode()


def post(path: str, body: dict, headers: dict | None = None) -> dict:
    return {"method": "POST", "path": path, "headers": headers or {}, "body": json.dumps(body)}


def variables_of(path: str, pk: int | None = None) -> dict:
    if path == "profile":
        return {"id": global_id(pk or 0)}
    if path == "discovery":
        return {"first": 20, "orderBy": {"field": "RIZZ_SCORE", "direction": "DESC"}}
    return {"first": 20, "filter": {"search": SEARCH_TEXT}}


def requests_for(
    server: str,
    path: str,
    documents: dict[str, tuple[str, str]],
    profile_ids: list[int],
    tokens: list[str],
) -> list[dict]:
    """The requests of one path for one server, in the order they are sent (then again)."""
    if path == "sync":
        doc_id, _ = documents["SocialSync"]
        rng = random.Random(11)
        return [
            post(
                "/graphql",
                {
                    "documentId": doc_id,
                    "variables": {
                        "input": {
                            "platform": rng.choice(("TIKTOK", "INSTAGRAM", "YOUTUBE")),
                            "followers": rng.randint(100, 5000),
                            "engagement": round(rng.uniform(0.5, 9.5), 2),
                        }
                    },
                },
                {"Authorization": f"Bearer {token}"},
            )
            for _ in range(5)
            for token in tokens
        ]
    pks: list[int | None] = list(profile_ids) if path == "profile" else [None]
    if server == "postgraphile":
        if path == "profile":
            return [
                post("/graphql", {"query": PG_PROFILE, "variables": {"id": str(pk)}}) for pk in pks
            ]
        return [post("/graphql", {"query": PG_DISCOVERY, "variables": {"first": 20}})]
    doc_id, text = documents[DOCUMENTS[path]]
    if server == "untrusted":
        one_line = " ".join(text.split())
        return [
            post("/graphql", {"query": one_line, "variables": variables_of(path, pk)}) for pk in pks
        ]
    route = BASELINE_ROUTES[path] if server == "baseline" else "/graphql"
    return [post(route, {"documentId": doc_id, "variables": variables_of(path, pk)}) for pk in pks]


# ---------------------------------------------------------------------------------------------
# checks before timing anything


def without_cursors(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_cursors(v) for k, v in value.items() if k not in ("cursor", "endCursor")}
    if isinstance(value, list):
        return [without_cursors(v) for v in value]
    return value


async def send(client: httpx.AsyncClient, server: Server, spec: dict) -> tuple[int, Any]:
    response = await client.request(
        spec["method"],
        server.url + spec["path"],
        content=spec["body"],
        headers={"content-type": "application/json", **spec["headers"]},
    )
    try:
        return response.status_code, orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return response.status_code, response.text[:300]


def answer_problem(status: int, body: Any) -> str | None:
    if status != 200:
        return f"HTTP {status}: {str(body)[:300]}"
    if not isinstance(body, dict) or body.get("errors") or "data" not in body:
        return f"errors: {str(body)[:300]}"
    return None


async def check_answers(
    processes: dict[str, Server],
    servers: list[str],
    paths: list[str],
    load: dict[tuple[str, str], list[dict]],
    notes: list[str],
) -> dict[tuple[str, str], str]:
    """Which (server, path) pairs must not be timed, and why: an answer with errors, or data
    that differs from the Strawberry path's (the reference every other answer is held to)."""
    failed: dict[tuple[str, str], str] = {}
    async with httpx.AsyncClient(timeout=30) as client:
        for path in paths:
            here = [s for s in servers if s in APPLIES[path]]
            if path == "sync":
                for s in here:
                    status, body = await send(client, processes[PROCESS[s]], load[(s, path)][0])
                    problem = answer_problem(status, body)
                    if problem is None and SYNC_REFUSED in orjson.dumps(body).decode():
                        problem = f"refused: {str(body)[:300]}"
                    if problem:
                        failed[(s, path)] = problem
                continue
            # The Strawberry path is the reference; without it, the first creatorgraph there is.
            reference = next(
                (s for s in ("strawberry", "untrusted", "compiled", "cached") if s in here), ""
            )
            sample = range(0, len(load[(here[0], path)]), max(1, len(load[(here[0], path)]) // 20))
            for i in sample:
                answers: dict[str, Any] = {}
                for s in here:
                    if (s, path) in failed:
                        continue
                    status, body = await send(client, processes[PROCESS[s]], load[(s, path)][i])
                    problem = answer_problem(status, body)
                    if problem:
                        failed[(s, path)] = problem
                    else:
                        answers[s] = body["data"]
                expected = answers.get(reference)
                if expected is None:
                    continue
                if path == "profile" and expected.get("profile") is None:
                    failed[(reference, path)] = "a seeded profile is not visible"
                for s, data in answers.items():
                    if s in (reference, "postgraphile") or data == expected:
                        continue
                    if without_cursors(data) == without_cursors(expected):
                        note = f"{SERVERS[s]}: {path} cursors differ from the Strawberry path's"
                        if note not in notes:
                            notes.append(note)
                        continue
                    failed[(s, path)] = (
                        f"answers differ from the Strawberry path: {orjson.dumps(data)[:300]!r} "
                        f"instead of {orjson.dumps(expected)[:300]!r}"
                    )
                if "postgraphile" in answers and (
                    problem := same_as_postgraphile(path, expected, answers["postgraphile"])
                ):
                    failed[("postgraphile", path)] = problem
    return failed


def same_as_postgraphile(path: str, ours: dict, theirs: dict) -> str | None:
    """PostGraphile answers in its own shape: the same rows is what can be held to."""
    if path == "profile":
        a, b = ours["profile"], theirs["profileById"]
        if b is None or (a["displayName"], a["rizzScore"]) != (b["displayName"], b["rizzScore"]):
            return f"PostGraphile reads another row: {b} for {a['id']}"
        return None
    ids = [
        int(base64.urlsafe_b64decode(e["node"]["id"] + "==").decode().split(":")[1])
        for e in ours["profiles"]["edges"]
    ]
    theirs_ids = [int(e["node"]["id"]) for e in theirs["allProfiles"]["edges"]]
    if ids != theirs_ids:
        return f"PostGraphile's page has other rows: {theirs_ids} against {ids}"
    return None


async def fill_cache(server: Server, specs: list[dict]) -> None:
    """Sends every distinct request once, so the cached server's runs measure hits."""
    queue = list(specs)
    limits = httpx.Limits(max_connections=16)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:

        async def worker() -> None:
            while queue:
                await send(client, server, queue.pop())

        await asyncio.gather(*(worker() for _ in range(16)))


# ---------------------------------------------------------------------------------------------
# the servers


def creatorgraph_env(url: str, data_dir: Path) -> dict[str, str]:
    """Production-like: production mode, JSON logs at INFO (one access line per request, no
    debug), no job worker competing for the core; rate limits and the cost budget out of reach
    so the load is measured, not refused."""
    return {
        "DATABASE_URL": url,
        "JWT_SECRET": JWT_SECRET,
        "CREATORGRAPH_ENV": "production",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "JOBS_WORKER": "off",
        "METRICS_TOKEN": "bench-metrics-token-" + "x" * 20,
        "PASSWORD_HASH_MEMORY_KIB": "1024",
        "ACCESS_TOKEN_SECONDS": "7200",
        "CREATORGRAPH_DATA_DIR": str(data_dir),
        "HOST": "127.0.0.1",
        **UNLIMITED,
    }


def ensure_postgraphile() -> str | None:
    """Installs postgraphile@4 into ~/.cache/creatorgraph-bench/ when it is not there; returns
    why it cannot run, or None."""
    if POSTGRAPHILE_CLI.exists():
        return None
    if shutil.which("npm") is None or shutil.which("node") is None:
        return "node and npm are not installed"
    NODE_DIR.mkdir(parents=True, exist_ok=True)
    manifest = NODE_DIR / "package.json"
    if not manifest.exists():
        manifest.write_text('{"name": "creatorgraph-bench-peers", "private": true}\n')
    print(f"installing postgraphile@4 into {NODE_DIR} ...", flush=True)
    done = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "postgraphile@4"],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0 or not POSTGRAPHILE_CLI.exists():
        return f"npm install postgraphile@4 failed: {done.stderr.strip()[-300:]}"
    return None


def postgraphile_version() -> str:
    try:
        package = NODE_DIR / "node_modules" / "postgraphile" / "package.json"
        return json.loads(package.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return "?"


async def start_servers(
    wanted: list[str], url: str, tmp: Path, cpu: int | None, notes: list[str]
) -> dict[str, Server]:
    processes: dict[str, Server] = {}
    py = sys.executable
    env = creatorgraph_env(url, tmp / "data")
    for name in dict.fromkeys(PROCESS[s] for s in wanted):
        if name in CREATORGRAPH_ENV:
            argv = [py, "app.py", "serve"]
            server = launch(name, argv, {**env, **CREATORGRAPH_ENV[name]}, cpu, tmp, ROOT)
            processes[name] = server
            await wait_healthy(server)
        elif name == "baseline":
            argv = [py, str(BENCH / "baseline_app.py")]
            baseline_env = {"DATABASE_URL": url, "BASELINE_CURSOR_HAS_DIRECTION": "1"}
            server = launch(name, argv, baseline_env, cpu, tmp, BENCH)
            processes[name] = server
            await wait_healthy(server)
        elif name == "postgraphile":
            why = ensure_postgraphile()
            if why:
                notes.append(f"⚠ PostGraphile not measured: {why}")
                continue
            argv = [
                "node",
                str(POSTGRAPHILE_CLI),
                "--connection",
                url,
                "--schema",
                "public",
                "--host",
                "127.0.0.1",
                "--port",
                "{port}",
                "--disable-default-mutations",
                "--dynamic-json",
                "--disable-query-log",
            ]
            server = launch(name, argv, {"NODE_ENV": "production"}, cpu, tmp, NODE_DIR)
            processes[name] = server
            await wait_healthy(server, graphql_probe=True)
    return processes


# ---------------------------------------------------------------------------------------------
# measuring and reporting


@dataclass
class Outcome:
    figures: dict[tuple[str, str], Figures] = field(default_factory=dict)
    failed: dict[tuple[str, str], str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    core_line: str = ""
    disturbed: list[str] = field(default_factory=list)
    pinning: str = "PostgreSQL not pinned (--postgres-cpu any)"


def round_ratio(outcome: Outcome, path: str, server: str, against: str) -> float | None:
    """The median over rounds of server req/s ÷ the other's req/s in the same round."""
    a, b = outcome.figures.get((path, server)), outcome.figures.get((path, against))
    if a is None or b is None or a.failed or b.failed:
        return None
    ratios = [x / y for x, y in zip(a.runs, b.runs, strict=False) if y]
    return statistics.median(ratios) if ratios else None


def ratio_cell(value: float | None, server: str, against: str) -> str:
    if server == against:
        return "1"
    return "—" if value is None else f"{value:.2f}×"


def vs(outcome: Outcome, path: str, server: str, against: str) -> str:
    return ratio_cell(round_ratio(outcome, path, server, against), server, against)


def table(outcome: Outcome, servers: list[str], paths: list[str]) -> list[str]:
    rows = [
        "| path | server | req/s | p50 | p99 | × baseline | × PostGraphile | X-Cache hits "
        "| CPU/request (server + PostgreSQL) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for path in paths:
        first = True
        for server in servers:
            if server not in APPLIES[path]:
                continue
            title = PATHS[path] if first else ""
            first = False
            name = SERVERS[server]
            why = outcome.failed.get((server, path))
            f = outcome.figures.get((path, server))
            if why is not None or f is None:
                rows.append(f"| {title} | {name} | **failed**: {why or 'not run'} | | | | | | |")
                continue
            if f.failed:
                rows.append(
                    f"| {title} | {name} | **failed**: {f.errors} errors ({f.non_200} not 200) "
                    f"in {f.requests:,} answers | | | | | | |"
                )
                continue
            cacheable = server == "cached" and path != "sync"
            hits = f"{f.hit_share:.1%}" if cacheable or f.hits else "—"
            rows.append(
                f"| {title} | {name} | {f.rps:,.0f} | {f.p50_ms:.2f} ms | {f.p99_ms:.2f} ms "
                f"| {vs(outcome, path, server, 'baseline')} "
                f"| {vs(outcome, path, server, 'postgraphile')} "
                f"| {hits} | {f.cpu_ms_per_request():.2f} + {f.cpu_ms_per_request('db'):.2f} ms |"
            )
    return rows


def target_lines(outcome: Outcome) -> list[str]:
    lines = []
    for path, server, measure, against, bound in TARGETS:
        f = outcome.figures.get((path, server))
        if f is None and (server, path) not in outcome.failed:
            continue
        label = f"{PATHS[path]}, {SERVERS[server]}"
        if f is None or f.failed or (server, path) in outcome.failed:
            lines.append(f"{label}: target not measured (the run failed)")
            continue
        if measure == "p99":
            met = "met" if f.p99_ms < bound else "**not met**"
            lines.append(f"{label}: p99 {f.p99_ms:.1f} ms, target < {bound:g} ms — {met}")
            continue
        value = round_ratio(outcome, path, server, against or "")
        if value is None:
            lines.append(f"{label}: ≥ {bound:g}× {SERVERS[against or '']} — not measured")
            continue
        met = "met" if value >= bound else "**not met**"
        lines.append(f"{label}: {value:.2f}× {SERVERS[against or '']}, target ≥ {bound:g}× — {met}")
    return lines


async def measure(
    driver: Driver,
    processes: dict[str, Server],
    servers: list[str],
    paths: list[str],
    load: dict[tuple[str, str], list[dict]],
    outcome: Outcome,
    args: argparse.Namespace,
    server_cpu: int | None,
) -> None:
    """Each path: every server in turn, round after round, so drift hits them alike."""
    for path in paths:
        here = [s for s in servers if s in APPLIES[path] and (s, path) not in outcome.failed]
        for _ in range(args.rounds):
            for server in here:
                f = outcome.figures.setdefault((path, server), Figures())
                spec: dict[str, Any] = {"requests": load[(server, path)]}
                if path == "sync":
                    spec["error_markers"] = [SYNC_REFUSED]
                r = await driver.run(
                    processes[PROCESS[server]],
                    spec,
                    f"{path}:{server}",
                    args.seconds / args.rounds,
                    f,
                    server_cpu,
                )
                print(
                    f"  {path:<9} {server:<12} {r['rps']:>8,.0f} req/s  "
                    f"p50 {r['p50_ms']:7.2f} ms  p99 {r['p99_ms']:7.2f} ms  "
                    f"server CPU {r['cpu_ms']:6.2f} ms/req  hits {r['hits']:>6}  "
                    f"client CPU {r['client_cpu']:4.0%}  others {r.get('others', 0):4.0%}  "
                    f"errors {r['errors']} (not 200: {r['non_200']})",
                    flush=True,
                )
    await driver.pooled(outcome.figures)


def code_identity() -> str:
    try:
        head = git("rev-parse", "--short", "HEAD")
        changed = git("status", "--porcelain").splitlines()
        return f"{head}" + (f" with {len(changed)} uncommitted changes" if changed else ", clean")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (no git)"


def builds_settings() -> list[str]:
    """The settings this run relies on that the served code does not know (older code)."""
    text = (ROOT / "settings.py").read_text()
    return [name for name in ("RESPONSE_CACHE", "COMPILED_READS") if f'"{name}"' not in text]


SECTION_INTRO = f"""{SECTION}

Written by `bench/peers.py` (how to run and read it: bench/README.md). Each run appends its own
`###` entry. PostgreSQL with `app.py seed` data; every server pinned to CPU 0, the load generator
to CPU 1, 32 keep-alive connections, closed loop. **× baseline** and **× PostGraphile** are
medians over the rounds of req/s ÷ the other server's req/s in the same round. A server whose
answers differ from the Strawberry path's, or a run with errors or non-200 answers, is reported
as failed, not as a figure. Targets (issue 9): profile by id, compiled ≥ 1.0× PostGraphile, cache
hits ≥ 2.5× PostGraphile, p99 < 20 ms; discovery page, compiled ≥ 1.0× PostGraphile, p99 < 40 ms;
relevance search p99 < 60 ms; untrusted documents (Strawberry) ≥ 0.35× the baseline on profile by
id.
"""


def append_results(entry: str) -> None:
    """Appends the entry at the end of our section (creating the section at the end of the file
    when missing); every other section stays as it is."""
    current = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    start = current.find(SECTION + "\n")
    if start < 0:
        new = current.rstrip("\n") + "\n\n" + SECTION_INTRO + "\n" + entry
    else:
        nxt = current.find("\n## ", start + len(SECTION))
        end = len(current) if nxt < 0 else nxt + 1
        ours = current[:end].rstrip("\n") + "\n\n" + entry
        new = ours + ("\n" + current[end:] if nxt >= 0 else "")
    replace_file(RESULTS, new)


async def run(args: argparse.Namespace) -> int:
    available = cpus()
    server_cpu, client_cpu = (available[0], available[1]) if len(available) >= 2 else (None, None)
    outcome = Outcome()
    if client_cpu is None:
        outcome.notes.append("⚠ fewer than 2 CPUs: nothing pinned; the ratios mean less")
    loadavg = read_loadavg()
    started = time.perf_counter()
    servers = [s for s in SERVERS if s in args.servers]
    paths = [p for p in PATHS if p in args.paths]
    for name in builds_settings():
        outcome.notes.append(
            f"⚠ the served code has no {name} setting: the servers started with it run "
            "without that layer (their rows then measure the same path as their neighbours)"
        )
    tmp = Path(tempfile.mkdtemp(prefix="creatorgraph-peers-"))
    env = creatorgraph_env(args.database_url, tmp / "data")
    data_line = await prepare_database(args, env)
    if client_cpu is not None:
        os.sched_setaffinity(0, {client_cpu})  # this driver shares the load generator's core
    processes: dict[str, Server] = {}
    backends = PostgresBackends(args.database_url)
    loadgen = None
    pinned = contextlib.ExitStack()
    try:
        if args.postgres_cpu == "client":
            outcome.pinning = pinned.enter_context(postgres_on_cpu(client_cpu))
        processes = await start_servers(servers, args.database_url, tmp, server_cpu, outcome.notes)
        servers = [s for s in servers if PROCESS[s] in processes]
        documents = load_documents()
        profile_ids = await sample_profiles(args.database_url)
        tokens: list[str] = []
        if "sync" in paths:
            creatorgraph = next(p for n, p in processes.items() if n in CREATORGRAPH_ENV)
            tokens = await sync_tokens(creatorgraph, args.database_url)
        load = {
            (s, p): requests_for(s, p, documents, profile_ids, tokens)
            for p in paths
            for s in servers
            if s in APPLIES[p]
        }
        outcome.failed = await check_answers(processes, servers, paths, load, outcome.notes)
        for (s, p), why in outcome.failed.items():
            print(f"  ✗ {p} on {s}: {why}", flush=True)
        if "cached" in servers:
            for p in paths:
                if p != "sync" and ("cached", p) in load:
                    await fill_cache(processes[PROCESS["cached"]], load[("cached", p)])
        await backends.open()
        await backends.analyze()
        loadgen = await start_loadgen(sys.executable, client_cpu)
        driver = Driver(loadgen, backends)
        print(
            f"measuring {args.seconds:g} s per path and server in {args.rounds} rounds, "
            f"{CONNECTIONS} connections ...",
            flush=True,
        )
        await measure(driver, processes, servers, paths, load, outcome, args, server_cpu)
        outcome.core_line = driver.core.line(server_cpu, postgres=True)
        outcome.disturbed = driver.disturbed
    except BaseException:
        for server in processes.values():
            print(f"--- the end of the {server.name} server's log ---", file=sys.stderr)
            print(server.log_tail(), file=sys.stderr)
        raise
    finally:
        pinned.close()
        await stop_loadgen(loadgen)
        await backends.close()
        for server in processes.values():
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    entry = report(args, outcome, servers, paths, data_line, loadavg, backends.version, started)
    print()
    print(entry)
    if not args.no_write:
        append_results(entry)
        print(f"appended to “{SECTION[3:]}” in bench/{RESULTS.name}")
    return 0


def report(
    args: argparse.Namespace,
    outcome: Outcome,
    servers: list[str],
    paths: list[str],
    data_line: str,
    loadavg: str,
    db_version: str,
    started: float,
) -> str:
    notes = list(outcome.notes)
    for (path, server), f in outcome.figures.items():
        if f.client_cpu > 0.9:
            notes.append(
                f"⚠ {path} on {server}: the load generator used {f.client_cpu:.0%} of its core, "
                "so that figure may be client-bound (the server's limit is at least that)"
            )
        if server == "cached" and path != "sync" and not f.failed and f.hit_share < 0.99:
            notes.append(f"⚠ {path} on the cache: only {f.hit_share:.1%} of answers were hits")
    if outcome.core_line:
        notes.append(outcome.core_line)
    if outcome.disturbed:
        notes.append(
            "⚠ other processes took over 15% of the servers' core during "
            + ", ".join(outcome.disturbed)
            + "; compare those rounds with the others"
        )
    notes.append(
        "rounds (req/s): "
        + "; ".join(
            f"{path} {server} " + "/".join(f"{x:,.0f}" for x in f.runs)
            for (path, server), f in outcome.figures.items()
        )
    )
    command = shlex.join([os.path.relpath(sys.executable, ROOT), *sys.argv])
    lines = [
        f"### {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        "",
        f"- machine: {machine_line()}; load average at the start: {loadavg}",
        f"- database: PostgreSQL {db_version}, {data_line}",
        f"- PostGraphile: {postgraphile_version()} (`--disable-default-mutations --dynamic-json "
        "--disable-query-log`, default inflection, NODE_ENV=production)"
        if "postgraphile" in servers
        else "- PostGraphile: not run",
        f"- pinning: servers on CPU 0, the load generator on CPU 1; {outcome.pinning}",
        f"- load: {CONNECTIONS} connections; {args.seconds:g} s measured per path and server in "
        f"{args.rounds} rounds (+1 s warm-up each); "
        f"whole run {time.perf_counter() - started:.0f} s",
        f"- code: {code_identity()}",
        f"- command: `{command}`",
        "",
        *table(outcome, servers, paths),
        "",
        *[f"- {line}" for line in target_lines(outcome)],
        *[f"- {n}" for n in notes],
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description="creatorgraph against the hand-written baseline and PostGraphile v4."
    )
    parser.add_argument(
        "--database-url",
        default=DEFAULT_URL,
        help=f"postgres://… on loopback (default {DEFAULT_URL}); created when missing, its "
        "public schema DROPPED and seeded again unless it holds exactly --profiles profiles",
    )
    parser.add_argument("--profiles", type=int, default=100_000, help="default 100000")
    parser.add_argument(
        "--seconds",
        type=float,
        default=12.0,
        help="measured seconds per path and server, split over the rounds (default 12)",
    )
    parser.add_argument("--rounds", type=int, default=2, help="rounds (default 2)")
    parser.add_argument(
        "--servers",
        default=",".join(SERVERS),
        help=f"comma-separated, of: {', '.join(SERVERS)} (default all)",
    )
    parser.add_argument(
        "--paths", default=",".join(PATHS), help=f"comma-separated, of: {', '.join(PATHS)}"
    )
    parser.add_argument(
        "--postgres-cpu",
        choices=("client", "any"),
        default="client",
        help="where PostgreSQL's processes run while measuring: on the load generator's core "
        "(default, as a database on a host of its own), or wherever the kernel puts them",
    )
    parser.add_argument("--reseed", action="store_true", help="seed again even when seeded")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md")
    args = parser.parse_args()
    args.servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    args.paths = [p.strip() for p in args.paths.split(",") if p.strip()]
    unknown = sorted(set(args.servers) - set(SERVERS)) + sorted(set(args.paths) - set(PATHS))
    if unknown:
        parser.error(f"unknown server or path: {', '.join(unknown)}")
    if args.profiles < 1 or args.rounds < 1 or args.seconds <= 0:
        parser.error("--profiles, --rounds and --seconds take positive numbers")
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url must be a postgres:// URL")
    if not is_loopback(args.database_url):
        parser.error("this benchmark only touches loopback databases")
    with contextlib.suppress(KeyboardInterrupt):
        raise SystemExit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
