"""/metrics: every family the operators watch, filled by real traffic, behind a token when one is
set, with label values that clients cannot multiply."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from prometheus_client.parser import text_string_to_metric_families

from adapters.broker import SubscriberDropped
from adapters.metrics import OTHER, UNNAMED, Metrics
from adapters.ratelimit import RateLimiter
from app import create_app
from live.hub import HubSubscriber, SubscriptionHub, TopicGroup
from settings import Settings
from tests.conftest import Account, GraphQLClient, RunningServer, server_environment
from tests.fakes import FakeProviders
from tests.graphql_ws import GraphQLWebSocket
from tests.realtime_support import NOTIFICATION_EVENTS

SYNC = """
mutation Sync($input: SocialSyncInput!) {
  socialSync(input: $input) { stats { followers } userErrors { code } }
}"""

LOOKUP = """
query Lookup($platform: Platform!, $handle: String!) {
  platformLookup(platform: $platform, handle: $handle) { profile { followers } userErrors { code } }
}"""


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found: dict, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


async def scrape(http: httpx.AsyncClient) -> dict:
    response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return samples(response.text)


async def test_metrics_count_operations_by_name_and_outcome(
    http: httpx.AsyncClient, gql: GraphQLClient, account: Account
):
    before = await scrape(http)
    await gql.data("query Probe { __typename }")
    sync = {"input": {"platform": "TIKTOK", "followers": -5}}
    refused = await gql.data(SYNC, sync, token=account.access_token)
    assert refused["socialSync"]["userErrors"]
    unauthenticated = await gql.post("query Who { viewer { id } }", token="not-a-token")
    assert unauthenticated["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    unknown = {"query": "query A { __typename }", "operationName": "Missing"}
    assert (await http.post("/graphql", json=unknown)).status_code == 400
    too_large = await http.post("/graphql", content=b"x" * 300_000)
    assert too_large.status_code == 413
    after = await scrape(http)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    operations = "creatorgraph_graphql_operations_total"
    assert grew(operations, operation="Probe", outcome="ok") == 1
    assert grew(operations, operation="Sync", outcome="user_error") == 1
    assert grew(operations, operation="Who", outcome="client_error") == 1
    assert grew(operations, operation="Missing", outcome="client_error") == 1
    assert grew(operations, operation=UNNAMED, outcome="refused") == 1
    histogram = "creatorgraph_graphql_operation_duration_seconds_count"
    assert grew(histogram, type="query") >= 2 and grew(histogram, type="mutation") >= 1
    assert grew("creatorgraph_graphql_query_cost_count") >= 2


async def test_metrics_count_provider_calls_cache_and_rate_limit_refusals(
    http: httpx.AsyncClient,
    gql: GraphQLClient,
    server: RunningServer,
    fake_providers: FakeProviders,
    account: Account,
):
    name = f"m{uuid.uuid4().hex[:8]}"
    fake_providers.tiktok.add(name, followers=1234, hearts=10, videos=2)
    before = await scrape(http)
    for _ in range(2):  # the second is answered from the cache
        found = await gql.data(LOOKUP, {"platform": "TIKTOK", "handle": name}, account.access_token)
        assert found["platformLookup"]["profile"]["followers"] == 1234
    services = server.services
    original = services.sync_limiter
    services.sync_limiter = RateLimiter(
        "1/minute", None, f"sync-metrics-{uuid.uuid4().hex[:6]}", metrics=services.metrics
    )
    try:
        sync = {"input": {"platform": "TWITCH", "followers": 5}}
        assert (await gql.data(SYNC, sync, account.access_token))["socialSync"]["userErrors"] == []
        limited = await gql.data(SYNC, sync, account.access_token)
        assert limited["socialSync"]["userErrors"][0]["code"] == "RATE_LIMITED"
        limiter = services.sync_limiter._namespace
    finally:
        services.sync_limiter = original
    after = await scrape(http)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    calls = "creatorgraph_provider_calls_total"
    assert grew(calls, platform="tiktok", provider="rapidapi", outcome="ok") == 1
    cache = "creatorgraph_cache_requests_total"
    assert grew(cache, cache="creatorgraph:platforms", result="miss") >= 1
    assert grew(cache, cache="creatorgraph:platforms", result="hit") >= 1
    assert grew("creatorgraph_rate_limit_refusals_total", limiter=limiter) == 1


async def test_metrics_gauge_websockets_and_subscriptions(
    http: httpx.AsyncClient, server: RunningServer, account: Account
):
    before = await scrape(http)
    ws = await GraphQLWebSocket.open(server.url, account.access_token)
    try:
        await ws.subscribe(NOTIFICATION_EVENTS)
        during = await scrape(http)
    finally:
        await ws.connection.close()
    assert (
        value(during, "creatorgraph_websocket_connections")
        - value(before, "creatorgraph_websocket_connections")
        == 1
    )
    assert (
        value(during, "creatorgraph_subscriptions") - value(before, "creatorgraph_subscriptions")
        == 1
    )
    response = await http.get("/metrics")
    assert "# TYPE creatorgraph_subscriber_drops_total counter" in response.text


class _LaggingBroker:
    """A broker that has already dropped its subscriber for falling behind."""

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[AsyncIterator[bytes]]:
        raise SubscriberDropped(topic)
        yield  # an async context manager's shape

    async def publish(self, topic: str, message: bytes) -> None:
        pass

    async def close(self) -> None:
        pass


class _Sink:
    def send_frame(self, frame: str) -> None:
        pass


async def test_subscribers_the_broker_drops_are_counted():
    metrics = Metrics()
    hub = SubscriptionHub(metrics=metrics)

    async def decode(raw: bytes) -> object:
        return raw

    key = ("topic", None, "q", b"{}", None)
    group = TopicGroup(hub, key, None, decode, None, None)  # type: ignore[arg-type]  # never runs
    subscribers = [HubSubscriber(str(n), _Sink()) for n in range(3)]
    for subscriber in subscribers:
        group.subscribers[subscriber] = None
    group.start(_LaggingBroker())
    assert group.task is not None
    await group.task
    assert all(s.ended.result()[0]["extensions"]["code"] == "LAGGED" for s in subscribers)
    found = samples(metrics.exposition().decode())
    assert value(found, "creatorgraph_subscriber_drops_total", reason="broker") == 3


def test_operation_names_cannot_multiply_series():
    metrics = Metrics(max_operation_names=100)
    for n in range(1000):
        metrics.observe_operation(f"Op{n}", "query", "ok", 0.01, 1)
    metrics.observe_operation("x" * 65, "query", "ok", 0.01, 1)
    metrics.observe_operation("Drop Table", "query", "ok", 0.01, 1)
    metrics.observe_operation(None, "unknown", "client_error", 0.01, None)
    found = samples(metrics.exposition().decode())
    names = {
        dict(labels)["operation"]
        for (name, labels) in found
        if name == "creatorgraph_graphql_operations_total"
    }
    assert len(names) == 102  # the first 100 names, "other" and "unnamed"
    assert {OTHER, UNNAMED, "Op0", "Op99"} <= names and "Op100" not in names
    assert (
        value(found, "creatorgraph_graphql_operations_total", operation=OTHER, outcome="ok") == 902
    )


def test_each_app_counts_in_its_own_registry():
    first, second = Metrics(), Metrics()
    first.refused("sync")
    assert b'limiter="sync"' in first.exposition()
    assert b'limiter="sync"' not in second.exposition()


async def _metrics_status(env: dict[str, str], authorization: str | None) -> int:
    app = create_app(Settings.from_env(server_environment(**env)))
    headers = {"Authorization": authorization} if authorization else {}
    transport = httpx.ASGITransport(app=app)  # no lifespan: /metrics needs none
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return (await client.get("/metrics", headers=headers)).status_code


async def test_metrics_token_is_required_when_set():
    token = "metrics-" + uuid.uuid4().hex
    assert await _metrics_status({"METRICS_TOKEN": token}, None) == 401
    assert await _metrics_status({"METRICS_TOKEN": token}, "Bearer wrong") == 401
    assert await _metrics_status({"METRICS_TOKEN": token}, token) == 401  # without "Bearer"
    assert await _metrics_status({"METRICS_TOKEN": token}, f"Bearer {token}") == 200


async def test_metrics_are_open_in_test_and_refused_in_production_without_a_token():
    assert await _metrics_status({}, None) == 200
    assert await _metrics_status({"CREATORGRAPH_ENV": "production"}, None) == 403
    production = {"CREATORGRAPH_ENV": "production", "METRICS_TOKEN": "t" * 32}
    assert await _metrics_status(production, "Bearer " + "t" * 32) == 200
