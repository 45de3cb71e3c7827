"""Apollo Client with its PersistedQueryLink (hash first, GET for hashed queries) runs queries
against the server (issue 9, "Done when"): the real @apollo/client from npm, in node, against
``app.py serve``.

tests/js/apollo_persisted.cjs runs the operations and prints what it got and every HTTP exchange
its fetch made; this test checks both, and the server's side: its access log (one line per
request: method, status, operation) and its persisted-query counters on /metrics.

The npm packages (tests/js/package-lock.json) are installed with ``npm ci`` into
``~/.cache/creatorgraph/js-<hash of the lock>``, never into the checkout. Without node and npm
the test skips locally and fails under CI (``CI`` set; .ci/run installs them).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Account, GraphQLClient, register, server_environment, uses_postgres
from tests.server_process import ServerProcess, served
from tests.test_metrics import scrape
from tests.test_persisted_documents import outcomes
from web.trusted_documents import DOCUMENTS_DIR

JS_DIR = Path(__file__).resolve().parent / "js"
CACHE_ROOT = Path.home() / ".cache" / "creatorgraph"
SCRIPT = JS_DIR / "apollo_persisted.cjs"


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: .ci/run installs node and npm)")
    pytest.skip(reason)


def node_modules() -> Path:
    """The npm packages of tests/js, installed once per lock into the user's cache."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        _missing("node and npm are needed to run Apollo Client")
    files = [JS_DIR / "package.json", JS_DIR / "package-lock.json"]
    key = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()[:16]
    target = CACHE_ROOT / f"js-{key}"
    if (target / "node_modules" / ".package-lock.json").exists():
        return target / "node_modules"
    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    # Installed beside, then renamed into place: a run that dies half-way leaves nothing that
    # looks installed, and two runs at once each finish with a whole tree.
    staging = Path(tempfile.mkdtemp(prefix=f"js-{key}-", dir=CACHE_ROOT))
    for f in files:
        shutil.copy(f, staging / f.name)
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=staging,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        _missing(f"npm ci failed (is the npm registry reachable?): {result.stderr[-2000:]}")
    with contextlib.suppress(OSError):  # another run renamed its copy first: use that one
        staging.rename(target)
    shutil.rmtree(staging, ignore_errors=True)
    return target / "node_modules"


@dataclass
class ApolloRun:
    results: dict[str, Any]
    requests: list[dict[str, Any]]
    access: list[dict[str, Any]]
    counted: dict[tuple[str, str], float]
    account: Account
    unique: str

    def exchanges(self, step: str) -> list[tuple[str, bool, bool, int, str | None]]:
        """(method, hash sent, text sent, status, error code) of each request of one step."""
        return [
            (r["method"], r["hash"] is not None, r["query"], r["status"], r["code"])
            for r in self.requests
            if r["step"] == step
        ]


async def access_lines(log: Path, start: int, count: int) -> list[dict[str, Any]]:
    """The server's access lines for /graphql written after byte ``start`` of its log, once
    ``count`` are there (a line is written just after its answer went out)."""
    lines: list[dict[str, Any]] = []
    async with asyncio.timeout(10):
        while len(lines) < count:
            await asyncio.sleep(0.05)
            with log.open("rb") as f:
                f.seek(start)
                lines = [
                    line
                    for line in (json.loads(raw) for raw in f if raw.startswith(b"{"))
                    if line.get("logger") == "creatorgraph.access"
                    and line.get("path") == "/graphql"
                ]
    return lines


@pytest.fixture(scope="module")
def js_modules() -> Path:
    return node_modules()


@pytest.fixture(scope="module")
async def apollo_server() -> AsyncIterator[ServerProcess]:
    """A server of its own (its log is read): JSON log lines, a fresh SQLite file unless the
    run is on PostgreSQL."""
    env = server_environment(LOG_FORMAT="json", LOG_LEVEL="INFO")
    if not uses_postgres():
        env["DATABASE_URL"] = f"sqlite://{Path(tempfile.mkdtemp()) / 'apollo.sqlite3'}"
    async with served(env) as process:
        yield process


@pytest.fixture(scope="module")
async def apollo(js_modules: Path, apollo_server: ServerProcess) -> ApolloRun:
    """Runs the script once (node installed, packages in place, before the server starts)."""
    async with httpx.AsyncClient(base_url=apollo_server.url, timeout=30) as http:
        account = await register(GraphQLClient(http), display_name="Apollo Fan")
        before = await scrape(http)
        log_start = apollo_server.log.stat().st_size
        unique = uuid.uuid4().hex
        process = await asyncio.create_subprocess_exec(
            shutil.which("node") or "node",
            str(SCRIPT),
            env={
                **os.environ,
                "NODE_PATH": str(js_modules),
                "SERVER_URL": apollo_server.url,
                "TOKEN": account.access_token,
                "PROFILE_ID": account.profile_id,
                "UNIQUE": unique,
                "TRUSTED_QUERY": str(DOCUMENTS_DIR / "ProfileById.graphql"),
                "TRUSTED_MUTATION": str(DOCUMENTS_DIR / "SocialSync.graphql"),
            },
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        async with asyncio.timeout(60):
            out, err = await process.communicate()
        assert process.returncode == 0, err.decode()
        printed = json.loads(out)
        counted = outcomes(before, await scrape(http))
    access = await access_lines(apollo_server.log, log_start, len(printed["requests"]))
    return ApolloRun(printed["results"], printed["requests"], access, counted, account, unique)


async def test_a_trusted_document_runs_by_hash_over_get_without_resending(apollo: ApolloRun):
    assert apollo.exchanges("trusted") == [("GET", True, False, 200, None)]
    result = apollo.results["trusted"]
    assert result["errors"] is None
    profile = result["data"]["profile"]
    assert (profile["id"], profile["displayName"]) == (apollo.account.profile_id, "Apollo Fan")
    assert profile["stats"]["platformBreakdown"] == {
        "tiktok": None,
        "instagram": None,
        "youtube": None,
    }


async def test_an_unknown_query_is_registered_once_then_sent_by_hash_alone(apollo: ApolloRun):
    assert apollo.exchanges("unknown_first") == [
        ("GET", True, False, 200, "PERSISTED_QUERY_NOT_FOUND"),
        ("POST", True, True, 200, None),
    ]
    assert apollo.exchanges("unknown_again") == [("GET", True, False, 200, None)]
    expected = {f"u{apollo.unique}": "Query"}
    assert apollo.results["unknown_first"] == {"data": expected, "errors": None}
    assert apollo.results["unknown_again"] == {"data": expected, "errors": None}


async def test_a_query_with_variables_and_mutations_run_through_the_link(apollo: ApolloRun):
    field = f"v{apollo.unique}"
    assert apollo.exchanges("variables") == [
        ("GET", True, False, 200, "PERSISTED_QUERY_NOT_FOUND"),
        ("POST", True, True, 200, None),
    ]
    before = apollo.results["variables"]["data"][field]
    assert before == {
        "id": apollo.account.profile_id,
        "displayName": "Apollo Fan",
        "stats": {"totalFollowers": 0},
    }
    # Mutations always go by POST; the trusted one needs no text, the new one registers.
    assert apollo.exchanges("trusted_mutation") == [("POST", True, False, 200, None)]
    sync = apollo.results["trusted_mutation"]["data"]["socialSync"]
    assert sync["userErrors"] == []
    assert sync["profile"]["stats"]["totalFollowers"] == 4321
    assert apollo.exchanges("mutation") == [
        ("POST", True, False, 200, "PERSISTED_QUERY_NOT_FOUND"),
        ("POST", True, True, 200, None),
    ]
    update = apollo.results["mutation"]["data"][f"m{apollo.unique}"]
    assert update == {
        "profile": {"id": apollo.account.profile_id, "bio": f"Apollo {apollo.unique}"},
        "userErrors": [],
    }
    assert apollo.exchanges("variables_after") == [("GET", True, False, 200, None)]
    after = apollo.results["variables_after"]["data"][field]
    assert after["stats"] == {"totalFollowers": 4321}


async def test_the_server_saw_hashed_gets_and_registered_each_new_document(apollo: ApolloRun):
    seen = [(line["method"], line["status"], line.get("operation")) for line in apollo.access]
    assert seen == [
        ("GET", 200, "ProfileById"),
        ("GET", 200, None),  # PersistedQueryNotFound: answered before any GraphQL ran
        ("POST", 200, "Unknown"),
        ("GET", 200, "Unknown"),
        ("GET", 200, None),
        ("POST", 200, "Creator"),
        ("POST", 200, "SocialSync"),
        ("POST", 200, None),
        ("POST", 200, "Rename"),
        ("GET", 200, "Creator"),
    ]
    assert apollo.counted == {
        ("apq", "hit"): 4,  # the trusted query and mutation, and two hash-only repeats
        ("apq", "not_found"): 3,
        ("apq", "registered"): 3,
    }
