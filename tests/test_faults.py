"""Faults under load: PostgreSQL and Redis connections cut and restored through TCP relays while
writes keep coming. Every write the server reported as done is stored once; every write it
reported as failed is not; nothing is an internal error; and writes work again afterwards.

The server under test is a child process whose DATABASE_URL and REDIS_URL point at relays in
front of the shared servers (tests/tcp_relay.py), so the faults never touch what other tests use.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import pytest

from tests.conftest import (
    Account,
    GraphQLClient,
    register,
    server_environment,
    uses_postgres,
    uses_redis,
)
from tests.realtime_support import SEND
from tests.server_process import ServerProcess, served
from tests.tcp_relay import TcpRelay

pytestmark = pytest.mark.skipif(
    not (uses_postgres() and uses_redis()),
    reason="the fault suite cuts PostgreSQL and Redis: needs DATABASE_URL and REDIS_URL",
)

SYNC = """
mutation Sync($input: SocialSyncInput!) {
  socialSync(input: $input) {
    profile { id stats { totalFollowers } }
    stats { followers }
    userErrors { code }
  }
}"""

WORKERS = 8
LOAD_SECONDS = 9.0


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/", 1)[0])


def via(relay: TcpRelay, url: str) -> str:
    return url.replace(f":{relay.target_port}/", f":{relay.port}/")


@dataclass
class Relays:
    database: TcpRelay
    redis: TcpRelay


@contextlib.asynccontextmanager
async def server_behind_relays() -> AsyncIterator[tuple[ServerProcess, Relays]]:
    database_url, redis_url = os.environ["DATABASE_URL"], os.environ["REDIS_URL"]
    relays = Relays(TcpRelay(port_of(database_url)), TcpRelay(port_of(redis_url)))
    await relays.database.start()
    await relays.redis.start()
    env = server_environment(
        DATABASE_URL=via(relays.database, database_url),
        REDIS_URL=via(relays.redis, redis_url),
        SHUTDOWN_GRACE_SECONDS="2",
        REDIS_RETRY_SECONDS="1",
    )
    try:
        async with served(env) as server:
            yield server, relays
    finally:
        await relays.database.stop()
        await relays.redis.stop()


@dataclass
class Outcomes:
    """What the server said about each write, keyed by the write's unique value."""

    synced: dict[int, str] = field(default_factory=dict)  # followers → "ok" | "failed" | …
    sent: dict[str, str] = field(default_factory=dict)  # body → "ok" | "failed" | "unknown"
    codes: dict[str, int] = field(default_factory=dict)

    def count(self, code: str) -> None:
        self.codes[code] = self.codes.get(code, 0) + 1


def verdict(result: dict[str, Any], name: str, outcomes: Outcomes) -> str:
    """What the server said: "ok" when the payload came back without userErrors (a nested
    field the outage kept from resolving does not undo the write), "failed" when the mutation
    itself errored, "unknown" when it said it could not tell whether its commit happened."""
    extensions = [error.get("extensions") or {} for error in result.get("errors") or []]
    for extension in extensions:
        outcomes.count(extension.get("code", "NO CODE"))
    payload = (result.get("data") or {}).get(name)
    if payload is not None:
        assert payload["userErrors"] == [], payload
        return "ok"
    assert extensions, result
    return "unknown" if any(e.get("outcome") == "UNKNOWN" for e in extensions) else "failed"


async def write_load(
    http: httpx.AsyncClient, pairs: list[tuple[Account, Account]], outcomes: Outcomes, until: float
) -> None:
    # Unique to this run: a random block far above what other tests sync.
    values = itertools.count(1_500_000_001 + uuid.uuid4().int % 400_000 * 1000)

    async def worker(n: int) -> None:
        sender, recipient = pairs[n % len(pairs)]
        gql = GraphQLClient(http)
        while time.monotonic() < until:
            if n % 2:
                followers = next(values)
                result = await gql.post(
                    SYNC,
                    {"input": {"platform": "TIKTOK", "followers": followers}},
                    token=sender.access_token,
                )
                outcomes.synced[followers] = verdict(result, "socialSync", outcomes)
            else:
                body = f"fault-{uuid.uuid4().hex}"
                result = await gql.post(
                    SEND,
                    {"input": {"recipient": recipient.user_id, "body": body}},
                    token=sender.access_token,
                )
                outcomes.sent[body] = verdict(result, "chatMessageSend", outcomes)
            await asyncio.sleep(0.01)

    await asyncio.gather(*(worker(n) for n in range(WORKERS)))


async def stored(synced: list[int], sent: list[str]) -> tuple[dict[int, int], dict[str, int]]:
    """How many rows hold each unique value, read straight from PostgreSQL (not the relay)."""
    url = os.environ["DATABASE_URL"]
    conn = await asyncpg.connect("postgresql://" + url.split("://", 1)[1])
    try:
        snapshots = await conn.fetch(
            "SELECT followers, COUNT(*) AS n FROM stats_snapshots"
            " WHERE followers = ANY($1::bigint[]) GROUP BY followers",
            synced,
        )
        messages = await conn.fetch(
            "SELECT body, COUNT(*) AS n FROM messages WHERE body = ANY($1::text[]) GROUP BY body",
            sent,
        )
    finally:
        await conn.close()
    return {r["followers"]: r["n"] for r in snapshots}, {r["body"]: r["n"] for r in messages}


async def test_writes_tell_the_truth_while_postgres_and_redis_are_cut_and_restored():
    async with (
        server_behind_relays() as (server, relays),
        httpx.AsyncClient(base_url=server.url, timeout=20) as http,
    ):
        gql = GraphQLClient(http)
        people = [await register(gql) for _ in range(WORKERS)]
        pairs = [(people[i], people[(i + 1) % WORKERS]) for i in range(WORKERS)]
        outcomes = Outcomes()
        start = time.monotonic()
        load = asyncio.create_task(write_load(http, pairs, outcomes, start + LOAD_SECONDS))

        async def at(seconds: float) -> None:
            await asyncio.sleep(max(0.0, start + seconds - time.monotonic()))

        await at(1.5)
        await relays.database.cut()
        await at(3.0)
        await relays.database.restore()
        await at(4.5)
        await relays.redis.cut()
        await at(6.0)
        await relays.database.cut()
        await at(7.0)
        await relays.database.restore()
        await relays.redis.restore()
        await load

        # Recovery: writes succeed again once both are back.
        recovered = Outcomes()
        async with asyncio.timeout(15):
            while recovered.synced.get(1) != "ok":
                result = await gql.post(
                    SYNC,
                    {"input": {"platform": "YOUTUBE", "followers": 1}},
                    token=people[0].access_token,
                )
                recovered.synced[1] = verdict(result, "socialSync", recovered)
                await asyncio.sleep(0.2)
        ready = (await http.get("/health/ready")).json()
        assert ready["checks"]["database"] == "ok"

        snapshots, messages = await stored(list(outcomes.synced), list(outcomes.sent))
        wrong = {
            **{
                f"sync {v}": (said, snapshots.get(v, 0))
                for v, said in outcomes.synced.items()
                if said != "unknown" and snapshots.get(v, 0) != (1 if said == "ok" else 0)
            },
            **{
                f"message {v}": (said, messages.get(v, 0))
                for v, said in outcomes.sent.items()
                if said != "unknown" and messages.get(v, 0) != (1 if said == "ok" else 0)
            },
        }
        answers = list(outcomes.synced.values()) + list(outcomes.sent.values())
        assert wrong == {}, f"{len(wrong)} writes misreported; codes seen {outcomes.codes}"
        assert "INTERNAL_SERVER_ERROR" not in outcomes.codes, outcomes.codes
        assert set(outcomes.codes) <= {"SERVICE_UNAVAILABLE"}, outcomes.codes
        assert answers.count("ok") > 50 and answers.count("failed") > 0, outcomes.codes
        assert answers.count("unknown") == 0, outcomes.codes  # outages shorter than the check


async def test_a_lost_database_answers_service_unavailable_and_rest_503():
    async with (
        server_behind_relays() as (server, relays),
        httpx.AsyncClient(base_url=server.url, timeout=20) as http,
    ):
        gql = GraphQLClient(http)
        account = await register(gql)
        await relays.database.cut()
        result = await gql.post(
            SYNC, {"input": {"platform": "TIKTOK", "followers": 5}}, token=account.access_token
        )
        (error,) = result["errors"]
        assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        assert error["extensions"]["retryAfter"] >= 1
        rest = await http.post(
            "/api/v1/profiles/social-sync/tiktok",
            json={"followers": 5},
            headers={"Authorization": f"Bearer {account.access_token}"},
        )
        assert rest.status_code == 503 and int(rest.headers["Retry-After"]) >= 1
        ready = await http.get("/health/ready")
        assert ready.status_code == 503 and ready.json()["checks"]["database"] == "unavailable"
        assert (await http.get("/health/live")).status_code == 200


async def sync_with_a_lost_answer(*sequence: bytes) -> tuple[dict[str, Any], int, dict]:
    """One socialSync whose database connection loses the answer to the last of ``sequence``
    (tests/tcp_relay.py), the relay restored half a second later; then what the server said,
    how many snapshots hold the value, and what the next request says."""
    async with (
        server_behind_relays() as (server, relays),
        httpx.AsyncClient(base_url=server.url, timeout=20) as http,
    ):
        gql = GraphQLClient(http)
        account = await register(gql)
        followers = 1_900_000_001 + uuid.uuid4().int % 99_000_000
        relays.database.lose_answer_to(b'INSERT INTO "stats_snapshots"', *sequence)
        call = asyncio.create_task(
            gql.post(
                SYNC,
                {"input": {"platform": "TIKTOK", "followers": followers}},
                token=account.access_token,
            )
        )
        await asyncio.wait_for(relays.database.triggered.wait(), 10)
        await asyncio.sleep(0.5)
        await relays.database.restore()
        result = await call
        after = await gql.post(
            SYNC, {"input": {"platform": "YOUTUBE", "followers": 3}}, token=account.access_token
        )
        snapshots, _ = await stored([followers], [])
    return result, snapshots.get(followers, 0), after


async def test_a_commit_whose_answer_was_lost_is_reported_as_done():
    """The COMMIT reached PostgreSQL, its answer did not come back: the server asks the
    database what became of the transaction instead of reporting a stored write as failed."""
    result, stored_rows, after = await sync_with_a_lost_answer(b"COMMIT")
    assert "errors" not in result, result
    assert result["data"]["socialSync"]["userErrors"] == []
    assert stored_rows == 1
    assert "errors" not in after, after
