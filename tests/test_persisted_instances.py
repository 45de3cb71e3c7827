"""Apollo's automatic persisted queries across instances: behind one PostgreSQL and one Redis, a
document registered through one instance answers a hash-only request on another, which never
saw its text (web/apq_store.py shares the entries through Redis)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import Account, RunningServer
from tests.server_process import ServerProcess, needs_postgres_and_redis, two_instances
from tests.test_metrics import scrape
from tests.test_persisted_documents import NOT_FOUND, fresh_query, outcomes, persisted

pytestmark = needs_postgres_and_redis


@pytest.fixture(scope="module")
async def instances(server: RunningServer) -> AsyncIterator[list[ServerProcess]]:
    """Two `app.py serve` processes on the session server's database (already migrated)."""
    async with two_instances() as pair:
        yield pair


async def test_a_hash_registered_on_one_instance_is_known_on_another(
    instances: list[ServerProcess], account: Account
):
    query = fresh_query()
    variables = {"id": account.profile_id}
    async with (
        httpx.AsyncClient(base_url=instances[0].url, timeout=30) as one,
        httpx.AsyncClient(base_url=instances[1].url, timeout=30) as two,
    ):
        hash_only = {"variables": variables, "extensions": persisted(query)}
        assert (await two.post("/graphql", json=hash_only)).json() == NOT_FOUND
        registered = await one.post(
            "/graphql",
            json={"query": query, "variables": variables, "extensions": persisted(query)},
        )
        expected = {"profile": {"id": account.profile_id, "displayName": "Test User"}}
        assert registered.json()["data"] == expected
        before = await scrape(two)
        by_hash = await two.get(
            "/graphql",
            params={"variables": json.dumps(variables), "extensions": json.dumps(persisted(query))},
        )
        assert by_hash.status_code == 200
        assert by_hash.json()["data"] == expected
        assert outcomes(before, await scrape(two)) == {("apq", "hit"): 1}
