"""The response cache in front of Strawberry (issue 9, item 2): trusted queries answered from
memory, scoped per viewer when the document can differ per viewer, and invalidated exactly by
the changes every write announces after commit."""

from __future__ import annotations

import asyncio
import os
import random
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse

import httpx
import orjson
import pytest
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from starlette.types import Message, Receive, Scope, Send

from adapters.metrics import Metrics
from adapters.redis_circuit import RedisCircuit
from adapters.tag_generations import MemoryTagGenerations, RedisTagGenerations
from schema.node import decode_id, encode_id
from tests import image_samples as samples
from tests.admin_support import UNSUSPEND, admin, suspend
from tests.conftest import (
    Account,
    GraphQLClient,
    RunningServer,
    register,
    server_environment,
    uses_postgres,
    uses_redis,
)
from tests.mail_support import code_in, smtp_for
from tests.realtime_support import sent
from tests.server_process import served
from tests.tcp_relay import TcpRelay
from tests.test_avatars import upload
from web.response_cache import ResponseCache, ResponseCacheMiddleware
from web.response_store import ResponseStore
from web.trusted_documents import DOCUMENTS_DIR, STATE_KEY, TrustedRequest, document_id

PROFILE = document_id((DOCUMENTS_DIR / "ProfileById.graphql").read_text())
VIEWER = document_id((DOCUMENTS_DIR / "ViewerProfile.graphql").read_text())
DISCOVERY = document_id((DOCUMENTS_DIR / "DiscoveryPage.graphql").read_text())
SYNC = document_id((DOCUMENTS_DIR / "SocialSync.graphql").read_text())

PROFILE_UPDATE = """
mutation U($input: ProfileUpdateInput!) {
  profileUpdate(input: $input) { profile { id isPublic displayName } userErrors { code } }
}"""


async def read(
    http: httpx.AsyncClient,
    doc: str,
    variables: dict[str, Any] | None = None,
    token: str | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {"documentId": doc}
    if variables is not None:
        body["variables"] = variables
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.post("/graphql", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response


async def synced(http: httpx.AsyncClient, account: Account, followers: int) -> dict[str, Any]:
    response = await read(
        http,
        SYNC,
        {"input": {"platform": "TIKTOK", "followers": followers, "engagement": 3.5}},
        token=account.access_token,
    )
    payload = response.json()["data"]["socialSync"]
    assert payload["userErrors"] == [], payload
    return payload


def totals(response: httpx.Response) -> int:
    return response.json()["data"]["profile"]["stats"]["totalFollowers"]


async def test_a_second_read_is_served_from_the_cache_without_extensions(
    http: httpx.AsyncClient, account: Account
):
    first = await read(http, PROFILE, {"id": account.profile_id})
    second = await read(http, PROFILE, {"id": account.profile_id})
    assert first.headers["x-cache"] == "MISS"
    assert second.headers["x-cache"] == "HIT"
    assert second.json() == {"data": first.json()["data"]}
    assert second.headers["content-type"] == "application/json"


async def test_variables_in_another_key_order_and_get_share_one_entry(
    http: httpx.AsyncClient, account: Account
):
    variables = {"filter": {"minFollowers": 0, "role": "CREATOR"}, "first": 3}
    reordered = {"first": 3, "filter": {"role": "CREATOR", "minFollowers": 0}}
    assert (await read(http, DISCOVERY, variables)).headers["x-cache"] == "MISS"
    assert (await read(http, DISCOVERY, reordered)).headers["x-cache"] == "HIT"
    query = urlencode({"documentId": DISCOVERY, "variables": orjson.dumps(reordered).decode()})
    got = await http.get(f"/graphql?{query}")
    assert got.status_code == 200
    assert got.headers["x-cache"] == "HIT"


async def test_a_sync_shows_on_the_next_read(http: httpx.AsyncClient, account: Account):
    await synced(http, account, 1000)
    await read(http, PROFILE, {"id": account.profile_id})
    assert (await read(http, PROFILE, {"id": account.profile_id})).headers["x-cache"] == "HIT"
    await synced(http, account, 2500)
    after = await read(http, PROFILE, {"id": account.profile_id})
    assert after.headers["x-cache"] == "MISS"
    assert totals(after) == 2500


async def test_a_discovery_page_learns_of_a_profile_it_did_not_hold(
    http: httpx.AsyncClient, gql: GraphQLClient
):
    # A follower count no other test's profile has: the suite shares one database.
    exact = random.randrange(100_000_000, 2_000_000_000)
    variables = {"filter": {"minFollowers": exact, "maxFollowers": exact}, "first": 5}
    before = await read(http, DISCOVERY, variables)
    assert before.json()["data"]["profiles"]["edges"] == []
    assert (await read(http, DISCOVERY, variables)).headers["x-cache"] == "HIT"
    newcomer = await register(gql)
    await synced(http, newcomer, exact)
    after = await read(http, DISCOVERY, variables)
    assert [e["node"]["id"] for e in after.json()["data"]["profiles"]["edges"]] == [
        newcomer.profile_id
    ]


async def test_mutations_untrusted_text_and_bad_tokens_pass_through(
    http: httpx.AsyncClient, gql: GraphQLClient, account: Account
):
    sync = await read(
        http, SYNC, {"input": {"platform": "TIKTOK", "followers": 5}}, token=account.access_token
    )
    assert "x-cache" not in sync.headers
    text = (DOCUMENTS_DIR / "ProfileById.graphql").read_text() + "\n# not the trusted bytes"
    adhoc = await http.post("/graphql", json={"query": text, "variables": {"id": "x"}})
    assert "x-cache" not in adhoc.headers
    await read(http, VIEWER, token=account.access_token)
    for bad in ("not-a-jwt", account.refresh_token, account.access_token + "x"):
        refused = await read(http, VIEWER, token=bad)
        assert "x-cache" not in refused.headers
        assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    wrong_scheme = await http.post(
        "/graphql",
        json={"documentId": VIEWER},
        headers={"Authorization": f"Token {account.access_token}"},
    )
    assert "x-cache" not in wrong_scheme.headers
    assert "errors" in wrong_scheme.json()


async def test_viewer_answers_never_leak_in_any_order(http: httpx.AsyncClient, gql: GraphQLClient):
    ann, bob = await register(gql), await register(gql)
    assert (await read(http, VIEWER)).json()["data"] == {"viewer": None}
    orders = [(None, ann), (ann, bob), (bob, None), (None, bob), (bob, ann), (ann, None)]
    for first, second in orders:
        for who in (first, second, first, second):
            got = await read(http, VIEWER, token=who.access_token if who else None)
            viewer = got.json()["data"]["viewer"]
            assert (viewer and viewer["email"]) == (who.email if who else None)


async def test_a_private_profile_is_cached_for_its_owner_only(
    http: httpx.AsyncClient, gql: GraphQLClient
):
    owner, other = await register(gql), await register(gql)
    hidden = await gql.data(
        PROFILE_UPDATE, {"input": {"isPublic": False}}, token=owner.access_token
    )
    assert hidden["profileUpdate"]["profile"]["isPublic"] is False
    variables = {"id": owner.profile_id}
    for _ in range(2):
        mine = await read(http, PROFILE, variables, token=owner.access_token)
        assert mine.json()["data"]["profile"]["id"] == owner.profile_id
        assert (await read(http, PROFILE, variables)).json()["data"] == {"profile": None}
        theirs = await read(http, PROFILE, variables, token=other.access_token)
        assert theirs.json()["data"] == {"profile": None}
    await gql.data(PROFILE_UPDATE, {"input": {"isPublic": True}}, token=owner.access_token)
    shown = await read(http, PROFILE, variables)
    assert shown.json()["data"]["profile"]["id"] == owner.profile_id


async def test_a_suspended_viewer_is_refused_after_a_cached_read(
    http: httpx.AsyncClient, gql: GraphQLClient
):
    boss = await admin(gql)
    user = await register(gql)
    await read(http, VIEWER, token=user.access_token)
    assert (await read(http, VIEWER, token=user.access_token)).headers["x-cache"] == "HIT"
    await read(http, PROFILE, {"id": user.profile_id})
    await suspend(gql, boss, user)
    refused = await read(http, VIEWER, token=user.access_token)
    assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    gone = await read(http, PROFILE, {"id": user.profile_id})
    assert gone.json()["data"] == {"profile": None}
    restored = await gql.post(UNSUSPEND, {"input": {"user": user.user_id}}, token=boss.access_token)
    assert "errors" not in restored
    again = await read(http, VIEWER, token=user.access_token)
    assert again.json()["data"]["viewer"]["email"] == user.email


async def test_a_hundred_readers_of_one_key_run_one_request_and_a_racing_sync_wins(
    http: httpx.AsyncClient, server: RunningServer, gql: GraphQLClient
):
    account = await register(gql)
    await synced(http, account, 100)
    variables = {"id": account.profile_id}
    misses = server.services.metrics.cache_requests.labels("response", "miss")
    before = misses._value.get()
    answers = await asyncio.gather(*(read(http, PROFILE, variables) for _ in range(100)))
    assert misses._value.get() - before == 1
    assert {r.headers["x-cache"] for r in answers[1:]} <= {"HIT"}
    assert {totals(r) for r in answers} == {100}
    variables_b = {"id": account.profile_id, "_": 1}  # a fresh key: every reader misses at once
    readers = [read(http, PROFILE, variables_b) for _ in range(100)]
    results = await asyncio.gather(synced(http, account, 4321), *readers)
    assert {totals(r) for r in results[1:]} <= {100, 4321}
    assert totals(await read(http, PROFILE, variables_b)) == 4321
    assert totals(await read(http, PROFILE, variables)) == 4321


async def test_answers_with_errors_are_never_stored(http: httpx.AsyncClient):
    for _ in range(2):
        got = await read(http, PROFILE, {})  # $id is required
        assert "errors" in got.json()
        assert got.headers.get("x-cache") == "MISS"


async def test_metrics_count_hits_misses_and_invalidations(
    http: httpx.AsyncClient, gql: GraphQLClient
):
    account = await register(gql)
    await read(http, PROFILE, {"id": account.profile_id})
    await read(http, PROFILE, {"id": account.profile_id})
    await synced(http, account, 10)
    text = (await http.get("/metrics")).text
    assert 'creatorgraph_cache_requests_total{cache="response",result="hit"}' in text
    assert 'creatorgraph_cache_requests_total{cache="response",result="miss"}' in text
    lines = [
        line
        for line in text.splitlines()
        if line.startswith("creatorgraph_response_cache_invalidations_total ")
    ]
    assert lines and float(lines[0].split()[1]) >= 1


def test_the_store_never_holds_more_than_its_byte_budget():
    store = ResponseStore(max_bytes=10_000, ttl_seconds=60)
    for n in range(1_000):
        key = orjson.dumps(["doc", n])
        body = b'{"data":' + b"x" * (n % 700) + b"}"
        store.put(key, body, (f"Profile:{n}", "Discovery"), (0, 0), "e")
        assert store.bytes <= 10_000
        assert store.bytes == sum(
            len(k) + len(e.body) + sum(len(t) for t in e.tags) for k, e in store._entries.items()
        )
    assert len(store) < 1_000
    assert store.get(orjson.dumps(["doc", 999])) is not None  # the most recent stays
    assert store.get(orjson.dumps(["doc", 0])) is None  # the oldest went first
    assert not store.put(b"huge", b"y" * 10_001, (), (), "e")  # bigger than the budget: not kept
    # The tag index holds only the tags of entries present.
    assert set(store._by_tag) == {t for e in store._entries.values() for t in e.tags}


def test_entries_expire_after_the_safety_ttl():
    now = [1000.0]
    store = ResponseStore(max_bytes=10_000, ttl_seconds=300, clock=lambda: now[0])
    store.put(b"k", b"{}", ("Profile:1",), (0,), "e")
    now[0] += 299
    assert store.get(b"k") is not None
    now[0] += 1
    assert store.get(b"k") is None
    assert store.bytes == 0 and not store._by_tag


async def test_forgotten_memory_generations_only_ever_read_higher():
    generations = MemoryTagGenerations(max_tags=3)
    await generations.bump(["a"])
    _, (stored,) = await generations.current(["a"])
    await generations.bump(["b", "c", "d"])  # "a" is forgotten
    _, (now,) = await generations.current(["a"])
    assert now >= stored and now != 0
    snapshot = await generations.snapshot()
    await generations.bump(["z"])
    _, (z,) = await generations.current(["z"])
    assert z > snapshot.counter


async def test_response_cache_off_answers_without_the_header(account: Account):
    env = server_environment(RESPONSE_CACHE="off")
    if not uses_postgres():
        env["DATABASE_URL"] = f"sqlite://{Path(tempfile.mkdtemp()) / 'off.sqlite3'}"
    async with served(env) as server, httpx.AsyncClient(base_url=server.url) as http:
        await read(http, VIEWER)
        second = await read(http, VIEWER)
        assert "x-cache" not in second.headers
        assert second.json()["data"] == {"viewer": None}


@pytest.mark.parametrize("doc", [PROFILE, DISCOVERY, VIEWER])
async def test_every_trusted_query_is_cacheable(
    http: httpx.AsyncClient, doc: str, account: Account
):
    variables = {"id": account.profile_id} if doc == PROFILE else None
    await read(http, doc, variables, token=account.access_token)
    again = await read(http, doc, variables, token=account.access_token)
    assert again.headers["x-cache"] == "HIT"


# Every kind of write that changes what a cached document shows: write, then the next read
# shows it (the stats tail, visibility and suspension are covered above).

MARK_ALL_READ = "mutation { notificationMarkAllRead { count unreadCount } }"
VERIFY_EMAIL = """mutation ($input: AccountEmailVerifyInput!) {
  accountEmailVerify(input: $input) { user { emailVerified } userErrors { code } } }"""
DELETE_ACCOUNT = """mutation($input: AccountDeleteInput!) {
  accountDelete(input: $input) { deleted userErrors { code } } }"""


async def viewer_of(http: httpx.AsyncClient, account: Account) -> dict[str, Any]:
    """The viewer's answer, read twice so the second is a cache hit."""
    await read(http, VIEWER, token=account.access_token)
    second = await read(http, VIEWER, token=account.access_token)
    assert second.headers["x-cache"] == "HIT"
    return second.json()["data"]["viewer"]


async def test_notifications_created_and_read_show_in_the_unread_count(
    http: httpx.AsyncClient, gql: GraphQLClient
):
    ann, bob = await register(gql), await register(gql)
    assert (await viewer_of(http, bob))["unreadNotificationCount"] == 0
    await sent(gql, ann, "hello", to=bob)
    after = (await read(http, VIEWER, token=bob.access_token)).json()["data"]["viewer"]
    assert after["unreadNotificationCount"] == 1
    assert (await viewer_of(http, bob))["unreadNotificationCount"] == 1
    await gql.data(MARK_ALL_READ, token=bob.access_token)
    read_all = (await read(http, VIEWER, token=bob.access_token)).json()["data"]["viewer"]
    assert read_all["unreadNotificationCount"] == 0


async def test_email_verification_shows_on_the_next_read(
    http: httpx.AsyncClient, gql: GraphQLClient, server: RunningServer
):
    with smtp_for(server) as smtp:
        account = await register(gql)
        assert (await viewer_of(http, account))["emailVerified"] is False
        code = code_in(await smtp.wait_for(account.email))
    done = await gql.data(VERIFY_EMAIL, {"input": {"code": code}}, token=account.access_token)
    assert done["accountEmailVerify"]["userErrors"] == []
    after = (await read(http, VIEWER, token=account.access_token)).json()["data"]["viewer"]
    assert after["emailVerified"] is True


async def test_an_avatar_upload_shows_on_the_next_read(http: httpx.AsyncClient, gql: GraphQLClient):
    account = await register(gql)
    variables = {"id": account.profile_id}
    await read(http, PROFILE, variables)
    cached = await read(http, PROFILE, variables)
    assert cached.json()["data"]["profile"]["avatarUrl"] is None
    uploaded = await upload(http, account, samples.png(64, 64))
    assert uploaded.status_code == 200, uploaded.text
    after = await read(http, PROFILE, variables)
    assert after.json()["data"]["profile"]["avatarUrl"] == uploaded.json()["avatarUrl"]


async def test_a_deleted_account_is_gone_from_every_cached_answer(
    http: httpx.AsyncClient, gql: GraphQLClient
):
    account = await register(gql)
    variables = {"id": account.profile_id}
    await viewer_of(http, account)
    await read(http, PROFILE, variables)
    assert (await read(http, PROFILE, variables)).headers["x-cache"] == "HIT"
    deleted = await gql.data(
        DELETE_ACCOUNT, {"input": {"password": account.password}}, token=account.access_token
    )
    assert deleted["accountDelete"]["deleted"] is True
    assert (await read(http, PROFILE, variables)).json()["data"] == {"profile": None}
    refused = await read(http, VIEWER, token=account.access_token)
    assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_hit_counts_as_a_profile_view_except_for_its_owner(
    http: httpx.AsyncClient, gql: GraphQLClient, server: RunningServer
):
    owner, other = await register(gql), await register(gql)
    pk = int(decode_id(owner.profile_id, "Profile")[1])  # type: ignore[index]
    views = server.services.profile_views

    def pending() -> int:
        return views.pending.get(pk, 0)

    views.taken_at = time.monotonic()  # no flush is due (one would take the counts) for a minute
    before = pending()
    for token in (None, None, None, other.access_token, other.access_token):
        await read(http, PROFILE, {"id": owner.profile_id}, token=token)
    assert pending() - before == 5
    for _ in range(3):
        mine = await read(http, PROFILE, {"id": owner.profile_id}, token=owner.access_token)
    assert mine.headers["x-cache"] == "HIT"
    assert pending() - before == 5


@pytest.mark.skipif(not uses_redis(), reason="needs REDIS_URL")
async def test_a_bump_that_cannot_reach_redis_drops_every_entry_once_redis_is_back():
    """The change could be in any instance's entries: the epoch they were stored under is
    replaced as soon as Redis answers again."""
    url = urlparse(os.environ["REDIS_URL"])
    relay = TcpRelay(url.port or 6379, url.hostname or "127.0.0.1")
    await relay.start()
    client = Redis(
        port=relay.port,
        db=int(url.path.strip("/") or 0),
        socket_timeout=0.5,
        socket_connect_timeout=0.5,
        retry=Retry(NoBackoff(), 1),
    )
    generations = RedisTagGenerations(
        client, RedisCircuit(0.05), tag_seconds=60, prefix=f"test:{uuid.uuid4()}:"
    )
    try:
        stored = await generations.current(["Profile:1"])
        assert stored is not None
        await relay.cut()
        await generations.bump(["Profile:1"])  # the change committed; Redis did not hear it
        assert await generations.current(["Profile:1"]) is None  # nothing served meanwhile
        await relay.restore()
        assert generations._renewal is not None
        await asyncio.wait_for(generations._renewal, timeout=10)
        await asyncio.sleep(0.06)  # the circuit's retry delay
        after = await generations.current(["Profile:1"])
        assert after is not None and after[0] != stored[0]
    finally:
        await relay.stop()
        await client.aclose()


async def test_a_fill_racing_a_change_is_not_stored(server: RunningServer):
    """Strawberry's part is played by a small ASGI app that answers a profile while a change
    of that profile is announced: the answer may predate the change, so it must not be kept."""
    services = server.services
    pk = 10_000_000 + int(time.monotonic_ns() % 1_000_000)
    profile_id = encode_id("Profile", pk)
    text = (DOCUMENTS_DIR / "ProfileById.graphql").read_text()
    racing = True

    async def strawberry(scope: Scope, receive: Receive, send: Send) -> None:
        if racing:
            await services.tag_generations.bump([f"Profile:{pk}"])
        body = orjson.dumps({"data": {"profile": {"id": profile_id}}})
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    cache = ResponseCache(ResponseStore(1_000_000, 60), Metrics())
    middleware = ResponseCacheMiddleware(strawberry, cache=cache)

    async def call() -> str:
        trusted = TrustedRequest(PROFILE, text, None, {"id": profile_id}, "POST")
        scope = {
            "type": "http",
            "method": "POST",
            "path": "/graphql",
            "headers": [],
            "state": {"services": services, STATE_KEY: trusted},
        }
        started: list[Message] = []

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                started.append(message)

        async def receive() -> Message:
            return {"type": "http.request", "body": b""}

        await middleware(scope, receive, send)
        return dict(started[0]["headers"])[b"x-cache"].decode()

    assert [await call(), await call()] == ["MISS", "MISS"]
    assert len(cache.store) == 0
    racing = False
    assert [await call(), await call()] == ["MISS", "HIT"]
    # A change whose message never reaches this instance (no broker here): the hit checks the
    # generations, so the next read is a miss all the same.
    await services.tag_generations.bump([f"Profile:{pk}"])
    assert [await call(), await call()] == ["MISS", "HIT"]


async def test_a_profile_read_before_it_existed_shows_once_it_is_registered(
    http: httpx.AsyncClient, gql: GraphQLClient
):
    last = await register(gql)
    type_name, pk = decode_id(last.profile_id) or ("", 0)
    next_id = encode_id(type_name, pk + 1)  # the next registration's profile
    await read(http, PROFILE, {"id": next_id})
    early = await read(http, PROFILE, {"id": next_id})
    assert early.headers["x-cache"] == "HIT"
    assert early.json()["data"] == {"profile": None}
    newcomer = await register(gql)
    assert newcomer.profile_id == next_id
    assert (await read(http, PROFILE, {"id": next_id})).json()["data"]["profile"]["id"] == next_id


async def test_an_announcement_frees_the_entries_it_names_without_a_read(
    http: httpx.AsyncClient, gql: GraphQLClient, server: RunningServer
):
    cache: ResponseCache = server.app.state.response_cache
    account = await register(gql)
    await read(http, PROFILE, {"id": account.profile_id})
    # Stored once the fill is done, which may be just after its answer went out.
    assert (await read(http, PROFILE, {"id": account.profile_id})).headers["x-cache"] == "HIT"
    tag = f"Profile:{decode_id(account.profile_id, 'Profile')[1]}"  # type: ignore[index]
    assert tag in cache.store._by_tag
    await synced(http, account, 77)
    for _ in range(1000):  # the listener hears it through the broker (Redis: a moment later)
        if tag not in cache.store._by_tag:
            break
        await asyncio.sleep(0.01)
    assert tag not in cache.store._by_tag
