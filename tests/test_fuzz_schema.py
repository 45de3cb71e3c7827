"""Generated attacks: schemathesis writes queries and mutations from the schema and sends them to a
real server, anonymously and signed in. Whatever a client sends, the answer is never a 5xx and
never a masked error ("Unexpected error.", ``INTERNAL_SERVER_ERROR``): a client's mistake gets a
coded refusal, and a refusal by a limit is fine.

The schema is read from the checked-in SDL (``test_schema_and_migrations`` keeps it equal to the
server's): schemathesis's own introspection query is deeper than the structural limit allows.
Generation is derandomized and bounded per operation, so CI runs the same cases every time.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.graphql import nodes
from schemathesis.specs.graphql.scalars import CUSTOM_SCALARS

from schema.node import encode_id
from tests.conftest import GraphQLClient, register, server_environment, uses_postgres
from tests.fakes import FakeProviders
from tests.server_process import served

ROOT = Path(__file__).resolve().parent.parent
# Per operation and run: 33 operations x (POSITIVE + NEGATIVE) x 2 runs (anonymous, signed in).
POSITIVE_EXAMPLES = 36
NEGATIVE_EXAMPLES = 6
MASKED = ("INTERNAL_SERVER_ERROR", "Unexpected error.")

# The type names in global IDs, the kinds of the lists' cursors, the profile list's sort keys.
TYPE_NAMES = (
    "User",
    "Profile",
    "SocialAccount",
    "Conversation",
    "Message",
    "CollabRequest",
    "Notification",
    "StatsSnapshot",
)
CURSOR_KINDS = ("Conversation", "Message", "CollabRequest", "Notification", "StatsSnapshot")
# NUL and other controls, overrides, isolates, zero-width characters, a BOM, among plain letters.
ODD_CHARACTERS = st.sampled_from(
    "\x00\x07\x1b\x7f\x85\u202e\u2066\u200b\u200d\ufeff\U0001f468 aZ|:"
)
PROFILE_ORDER = ("RIZZ_SCORE", "TOTAL_FOLLOWERS", "AVG_ENGAGEMENT", "UPDATED_AT")

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.sampled_from(["2026-01-01T00:00:00+00:00", "0001-01-01T00:00:00", "ASC", "DESC"]),
    lambda inner: st.lists(inner, max_size=3),
    max_leaves=5,
)


def forged_cursor(parts: list[Any]) -> str:
    """A cursor in the server's wire format (base64url of a JSON array) holding anything at all:
    ``json`` writes integers of any size, which the server's own encoder refuses to."""
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


def cursors() -> st.SearchStrategy[str]:
    """Cursors of every list's kind holding numbers at and past the edges a column or a clock
    can hold, the profile list's four-part cursors, and arrays of anything."""
    edges = st.sampled_from([0, -1, 2**31, 2**53, 2**62, 2**63 - 1, 2**63, 2**64, -(2**63), 10**20])
    part = edges | st.integers() | JSON_VALUES
    # Conversations are ordered by (activity, id), the other lists by id alone.
    listed = st.sampled_from(CURSOR_KINDS).flatmap(
        lambda kind: st.lists(part, min_size=1, max_size=2).map(lambda rest: [kind, *rest])
    )
    ordered = st.builds(
        lambda f, d, v, i: [f, d, v, i],
        st.sampled_from(PROFILE_ORDER),
        st.sampled_from(["ASC", "DESC"]),
        part,
        part,
    )
    return st.one_of(listed, listed, ordered, st.lists(JSON_VALUES, max_size=3)).map(forged_cursor)


def global_ids(known: list[str]) -> st.SearchStrategy[str]:
    """The IDs of real rows, the same rows named as another type, and IDs of no row at all."""
    pks = [int(base64.urlsafe_b64decode(i + "=" * (-len(i) % 4)).split(b":")[1]) for i in known]
    retyped = st.builds(encode_id, st.sampled_from(TYPE_NAMES), st.sampled_from(pks or [1]))
    odd_pk = st.integers() | st.text(max_size=20)
    forged = st.builds(
        lambda t, pk: base64.urlsafe_b64encode(f"{t}:{pk}".encode()).decode(),
        st.sampled_from(TYPE_NAMES) | st.text(max_size=10),
        odd_pk,
    )
    real = st.sampled_from(known) if known else st.nothing()
    return real | retyped | forged | st.text(max_size=40)


def date_times() -> st.SearchStrategy[str]:
    valid = st.datetimes(timezones=st.timezones() | st.none()).map(lambda d: d.isoformat())
    odd = st.sampled_from(
        [
            "",
            "now",
            "2026-02-30T00:00:00Z",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59-23:59",
            "10000-01-01T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01",
            "-2026-01-01T00:00:00Z",
        ]
    )
    return valid | odd | st.text(max_size=30)


@dataclass
class Tally:
    """What one run sent and what came back."""

    sent: Counter[str] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def check(self, label: str, body: str, response: Any) -> None:
        self.sent[label] += 1
        text = response.text
        masked = any(marker in text for marker in MASKED)
        if response.status_code >= 500 or masked or not text.startswith("{"):
            self.failures.append(f"{label} → {response.status_code}\n{body}\n{text[:600]}")
            return
        for error in response.json().get("errors") or []:
            self.codes[(error.get("extensions") or {}).get("code", "-")] += 1


def fuzz(url: str, token: str | None) -> Tally:
    """Every query and mutation of the schema, generated valid and invalid, sent to ``url``."""
    schema = schemathesis.graphql.from_path(ROOT / "schema.graphql")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    tally = Tally()
    for result in schema.get_all_operations():
        operation = result.ok()
        send_cases(operation, GenerationMode.POSITIVE, POSITIVE_EXAMPLES, url, headers, tally)
        send_cases(operation, GenerationMode.NEGATIVE, NEGATIVE_EXAMPLES, url, headers, tally)
    return tally


def send_cases(
    operation: Any,
    mode: GenerationMode,
    examples: int,
    url: str,
    headers: dict[str, str],
    tally: Tally,
) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def send(case: Any) -> None:
        response = case.call(base_url=f"{url}/graphql", headers=headers, timeout=30)
        tally.check(operation.label, case.body, response)

    send()


@contextlib.contextmanager
def scalar_strategies(known_ids: list[str]) -> Iterator[None]:
    """Values aimed at what the server parses itself: global IDs (real, retyped, forged), cursors
    and strings of odd characters among ordinary strings, DateTimes valid and not, and page sizes
    mostly in range. Custom strategies take precedence over the built-in ones, and the registry
    is schemathesis's global, so it is restored afterwards."""
    strategies = {
        "ID": global_ids(known_ids).map(nodes.String),
        "String": (st.text() | st.text(alphabet=ODD_CHARACTERS) | cursors()).map(nodes.String),
        "DateTime": date_times().map(nodes.String),
        # Mostly a page size the server accepts, so what follows `first` is read at all.
        "Int": (st.integers(1, 100) | st.integers(-(2**31), 2**31 - 1)).map(nodes.Int),
    }
    saved = dict(CUSTOM_SCALARS)
    for name, strategy in strategies.items():
        schemathesis.graphql.scalar(name, strategy)
    try:
        yield
    finally:
        CUSTOM_SCALARS.clear()
        CUSTOM_SCALARS.update(saved)


SEED = """
mutation Seed($recipient: ID!) {
  collabRequestSend(input: {recipient: $recipient, message: "Work with us?"}) {
    collabRequest { id }
    userErrors { code }
  }
  chatMessageSend(input: {recipient: $recipient, body: "Hello"}) {
    message { id }
    conversation { id }
    userErrors { code }
  }
}"""
SEEN = "{ viewer { id profile { id } } notifications { edges { node { id } } } }"


def ids_in(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "id" and isinstance(item, str):
                yield item
            else:
                yield from ids_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from ids_in(item)


@dataclass
class Target:
    url: str
    token: str
    ids: list[str]


@pytest.fixture(scope="module")
async def target(fake_providers: FakeProviders) -> AsyncIterator[Target]:
    """A server of its own with limits too generous to refuse the flood, and a few real rows
    (a collaboration request, a conversation, a message, a notification) for IDs to name."""
    env = server_environment(
        **fake_providers.environment(),
        SYNC_RATE_LIMIT="100000/minute",
        SIGN_IN_RATE_LIMIT="100000/minute",
        QUERY_COST_BUDGET="1000000000/minute",
    )
    if not uses_postgres():
        env["DATABASE_URL"] = f"sqlite://{Path(tempfile.mkdtemp()) / 'fuzz.sqlite3'}"
    async with served(env) as process:
        async with httpx.AsyncClient(base_url=process.url, timeout=30) as http:
            gql = GraphQLClient(http)
            creator = await register(gql, display_name="Fuzz Creator")
            brand = await register(gql, role="BRAND", display_name="Fuzz Brand")
            sent = await gql.data(SEED, {"recipient": creator.user_id}, token=brand.access_token)
            seen = await gql.data(SEEN, token=creator.access_token)
        ids = sorted({*ids_in(sent), *ids_in(seen), brand.user_id, brand.profile_id})
        yield Target(process.url, creator.access_token, ids)


async def test_generated_operations_never_meet_a_server_error(target: Target):
    started = time.monotonic()
    with scalar_strategies(target.ids):
        anonymous = await asyncio.to_thread(fuzz, target.url, None)
        signed_in = await asyncio.to_thread(fuzz, target.url, target.token)
    elapsed = time.monotonic() - started
    failures = anonymous.failures + signed_in.failures
    assert not failures, f"{len(failures)} server errors; the first ones:\n" + "\n\n".join(
        failures[:5]
    )
    operations = len(signed_in.sent)
    assert operations == len(anonymous.sent) >= 30  # every query and mutation of the schema
    total = sum(anonymous.sent.values()) + sum(signed_in.sent.values())
    assert total >= 1000, total
    print(
        f"fuzz: {sum(anonymous.sent.values())} anonymous + {sum(signed_in.sent.values())} "
        f"signed-in operations over {operations} fields in {elapsed:.1f} s; "
        f"error codes {dict(anonymous.codes + signed_in.codes)}"
    )
