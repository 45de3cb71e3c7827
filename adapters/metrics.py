"""The process's Prometheus metrics: one typed object over a registry of its own.

The app creates one ``Metrics`` (app.py) and hands it to whatever counts — the schema's
operation observer through Services, the cache, the rate limiters, the platform lookup, the
subscription hub and the websocket transport — so nothing counts into a global registry, and
tests that start many apps in one process read each app's numbers apart. A component built
without one (as tests do) gets a private ``Metrics()`` that nobody reads.

Label values are bounded: operation names are chosen by clients, so only sane names (at most
64 characters of ``[A-Za-z0-9_]``) and only the first ``max_operation_names`` of them get a
series of their own; the rest share ``other``, and an operation without a name is ``unnamed``.
"""

from __future__ import annotations

import re
import threading

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

OPERATION_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")
OTHER = "other"
UNNAMED = "unnamed"

# Seconds, from a cached read (a few ms) to a slow provider sync; and query cost points, from a
# single object (1) to the default MAX_QUERY_COST (2000) and beyond.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
COST_BUCKETS = (1, 5, 10, 25, 50, 100, 250, 500, 1000, 2000, 5000)


class Metrics:
    def __init__(self, max_operation_names: int = 100) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.max_operation_names = max_operation_names
        self._names: set[str] = set()
        self._names_lock = threading.Lock()
        r = self.registry
        self.operations = Counter(
            "creatorgraph_graphql_operations",
            "GraphQL operations by operation name and outcome (ok, user_error, client_error, "
            "server_error, refused).",
            ["operation", "outcome"],
            registry=r,
        )
        self.operation_seconds = Histogram(
            "creatorgraph_graphql_operation_duration_seconds",
            "Time from parsing to result, by operation type.",
            ["type"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.query_cost = Histogram(
            "creatorgraph_graphql_query_cost",
            "Requested static cost of the operations that passed validation.",
            buckets=COST_BUCKETS,
            registry=r,
        )
        self.cache_requests = Counter(
            "creatorgraph_cache_requests",
            "Cache reads by cache and result: hit (answered from the cache) or miss (loaded).",
            ["cache", "result"],
            registry=r,
        )
        self.response_cache_invalidations = Counter(
            "creatorgraph_response_cache_invalidations",
            "Response cache entries dropped because a change announced one of their tags "
            '(hits and misses are creatorgraph_cache_requests with cache="response").',
            registry=r,
        )
        self.websocket_connections = Gauge(
            "creatorgraph_websocket_connections",
            "Open graphql-transport-ws connections.",
            registry=r,
        )
        self.subscriptions = Gauge(
            "creatorgraph_subscriptions",
            "Subscriptions listening to events.",
            registry=r,
        )
        self.subscriber_drops = Counter(
            "creatorgraph_subscriber_drops",
            "Subscribers dropped for falling behind: by the broker's queue or a socket's outbox.",
            ["reason"],
            registry=r,
        )
        self.provider_calls = Counter(
            "creatorgraph_provider_calls",
            "Calls to data providers by platform, provider and outcome (ok, error for a bug in "
            "an adapter, or the failure's kind: not_found, quota_exhausted, unavailable, ...).",
            ["platform", "provider", "outcome"],
            registry=r,
        )
        self.events_dropped = Counter(
            "creatorgraph_events_dropped",
            "Events committed but not published (the broker was unreachable): their subscribers "
            "catch up by refetching.",
            registry=r,
        )
        self.rate_limited = Counter(
            "creatorgraph_rate_limit_refusals",
            "Requests refused by a rate limiter or the query cost budget, by limiter.",
            ["limiter"],
            registry=r,
        )
        self.persisted_queries = Counter(
            "creatorgraph_persisted_queries",
            "Requests naming a persisted document, by kind (document: a trusted documentId or "
            "ad-hoc text under TRUSTED_DOCUMENTS_ONLY; apq: Apollo's persistedQuery) and result "
            "(hit, registered, not_found, mismatch, refused).",
            ["kind", "result"],
            registry=r,
        )

        self.compiled_reads = Counter(
            "creatorgraph_compiled_reads",
            "Requests for a compiled trusted document (web/compiled_reads.py), by document and "
            "result: served (answered by its SQL statement) or fallback (left to Strawberry).",
            ["document", "result"],
            registry=r,
        )

    def operation_label(self, name: str | None) -> str:
        """The label for a client-chosen operation name: bounded in form and in number."""
        if not name:
            return UNNAMED
        if not OPERATION_NAME.match(name):
            return OTHER
        if name in self._names:
            return name
        with self._names_lock:
            if name in self._names:
                return name
            if len(self._names) >= self.max_operation_names:
                return OTHER
            self._names.add(name)
        return name

    def observe_operation(
        self,
        name: str | None,
        operation_type: str,
        outcome: str,
        seconds: float,
        cost: int | None,
    ) -> None:
        self.operations.labels(self.operation_label(name), outcome).inc()
        self.operation_seconds.labels(operation_type).observe(seconds)
        if cost is not None:
            self.query_cost.observe(cost)

    def cache_lookup(self, cache: str, *, hit: bool) -> None:
        self.cache_requests.labels(cache, "hit" if hit else "miss").inc()

    def compiled_read(self, document: str, *, served: bool) -> None:
        self.compiled_reads.labels(document, "served" if served else "fallback").inc()

    def provider_call(self, platform: str, provider: str, outcome: str) -> None:
        self.provider_calls.labels(platform, provider, outcome).inc()

    def persisted_query(self, kind: str, result: str) -> None:
        self.persisted_queries.labels(kind, result).inc()

    def refused(self, limiter: str) -> None:
        self.rate_limited.labels(limiter).inc()

    def event_dropped(self) -> None:
        self.events_dropped.inc()

    def subscriber_dropped(self, reason: str, count: int = 1) -> None:
        self.subscriber_drops.labels(reason).inc(count)

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)
