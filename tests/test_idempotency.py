"""Idempotency-Key on writes, through the real server: a retried write runs once and answers
the first response's bytes again; misuse, concurrency and expiry answer as Stripe's keys do."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

import rest
import schema.chat.mutations as chat_mutations
import web.idempotency
from models import IdempotencyKey, Message, StatsSnapshot
from resolvers import idempotency
from resolvers.idempotency import delete_expired_keys
from schema.errors import PublicError
from schema.node import decode_id
from tests.conftest import REGISTER, Account, GraphQLClient, register, unique_email
from tests.realtime_support import SEND
from tests.test_sync import STATS, SYNC


def new_key() -> str:
    return f"key-{uuid.uuid4()}"


async def post(
    http: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    key: str | bytes | None = None,
) -> httpx.Response:
    headers: dict[str, Any] = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if key is not None:
        headers["Idempotency-Key"] = key
    return await http.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )


def message_to(recipient: Account, body: str) -> dict[str, Any]:
    return {"input": {"recipient": recipient.user_id, "body": body}}


async def messages_sent_by(account: Account) -> int:
    decoded = decode_id(account.user_id)
    assert decoded is not None
    return await Message.filter(sender_id=decoded[1]).count()


def error_code(response: httpx.Response) -> str:
    return response.json()["errors"][0]["extensions"]["code"]


async def test_retried_message_is_sent_once_and_answered_with_the_first_bytes(
    http: httpx.AsyncClient, gql: GraphQLClient
):
    ann, bob = await register(gql), await register(gql)
    key = new_key()
    first = await post(http, SEND, message_to(bob, "hello"), token=ann.access_token, key=key)
    retry = await post(http, SEND, message_to(bob, "hello"), token=ann.access_token, key=key)
    assert first.status_code == retry.status_code == 200
    assert first.json()["data"]["chatMessageSend"]["userErrors"] == []
    assert retry.content == first.content
    assert retry.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert retry.headers["content-type"] == first.headers["content-type"]
    assert retry.headers["x-request-id"] != first.headers["x-request-id"]
    assert await messages_sent_by(ann) == 1


async def test_retried_sync_stores_one_snapshot(http: httpx.AsyncClient, gql: GraphQLClient):
    ann = await register(gql)
    variables = {"input": {"platform": "TIKTOK", "followers": 1200, "engagement": 3.5}}
    key = new_key()
    for _ in range(3):
        response = await post(http, SYNC, variables, token=ann.access_token, key=key)
        assert response.status_code == 200 and "errors" not in response.json()
    profile = (await gql.data(STATS, token=ann.access_token))["viewer"]["profile"]
    history = profile["stats"]["platformBreakdown"]["tiktok"]["history"]["edges"]
    assert len(history) == 1


async def test_rest_sync_retried_with_a_key_stores_one_snapshot(
    http: httpx.AsyncClient, gql: GraphQLClient
):
    ann = await register(gql)
    headers = {"Authorization": f"Bearer {ann.access_token}", "Idempotency-Key": new_key()}
    path = "/api/v1/profiles/social-sync/youtube"
    first = await http.post(path, json={"followers": 500}, headers=headers)
    retry = await http.post(path, json={"followers": 500}, headers=headers)
    assert first.status_code == retry.status_code == 200
    assert retry.content == first.content and retry.headers["idempotent-replayed"] == "true"
    profile_id = decode_id(ann.profile_id)
    assert profile_id is not None
    assert await StatsSnapshot.filter(account__profile_id=profile_id[1]).count() == 1


async def test_same_key_with_another_request_is_refused_and_not_run(
    http: httpx.AsyncClient, gql: GraphQLClient
):
    ann, bob = await register(gql), await register(gql)
    key = new_key()
    await post(http, SEND, message_to(bob, "first"), token=ann.access_token, key=key)
    other = await post(http, SEND, message_to(bob, "second"), token=ann.access_token, key=key)
    assert other.status_code == 422
    assert error_code(other) == "IDEMPOTENCY_KEY_REUSED"
    assert await messages_sent_by(ann) == 1


async def test_json_spelling_does_not_make_another_request(
    http: httpx.AsyncClient, gql: GraphQLClient
):
    ann, bob = await register(gql), await register(gql)
    headers = {"Authorization": f"Bearer {ann.access_token}", "Idempotency-Key": new_key()}
    body = {"variables": message_to(bob, "hi"), "query": SEND}
    first = await http.post("/graphql", json=body, headers=headers)
    reordered = (
        b'{ "query": '
        + httpx.Response(200, json=SEND).content
        + b', "variables": '
        + httpx.Response(200, json=message_to(bob, "hi")).content
        + b" }"
    )
    retry = await http.post(
        "/graphql", content=reordered, headers={**headers, "Content-Type": "application/json"}
    )
    assert retry.status_code == 200 and retry.content == first.content
    assert await messages_sent_by(ann) == 1


async def test_concurrent_requests_with_one_key_run_once(
    http: httpx.AsyncClient, gql: GraphQLClient
):
    ann, bob = await register(gql), await register(gql)
    key = new_key()
    responses = await asyncio.gather(
        *(post(http, SEND, message_to(bob, "race"), token=ann.access_token, key=key) for _ in "ab")
    )
    by_status = {r.status_code: r for r in responses}
    if 409 in by_status:
        assert sorted(by_status) == [200, 409]
        assert error_code(by_status[409]) == "IDEMPOTENCY_KEY_IN_USE"
    else:  # the first finished before the second arrived: the second is its replay
        assert responses[0].status_code == responses[1].status_code == 200
        assert responses[0].content == responses[1].content
    assert await messages_sent_by(ann) == 1


async def test_a_key_in_flight_is_refused_as_in_use_then_replayed(
    http: httpx.AsyncClient, gql: GraphQLClient, monkeypatch: pytest.MonkeyPatch
):
    ann, bob = await register(gql), await register(gql)
    original = chat_mutations.send_message
    started = asyncio.Event()

    async def slow_send(*args: Any, **kwargs: Any) -> Any:
        started.set()
        await asyncio.sleep(0.5)
        return await original(*args, **kwargs)

    monkeypatch.setattr(chat_mutations, "send_message", slow_send)
    key = new_key()
    first = asyncio.create_task(
        post(http, SEND, message_to(bob, "slow"), token=ann.access_token, key=key)
    )
    await started.wait()
    busy = await post(http, SEND, message_to(bob, "slow"), token=ann.access_token, key=key)
    done = await first
    assert busy.status_code == 409 and error_code(busy) == "IDEMPOTENCY_KEY_IN_USE"
    assert busy.headers["retry-after"] == "1"
    retry = await post(http, SEND, message_to(bob, "slow"), token=ann.access_token, key=key)
    assert retry.content == done.content and retry.headers["idempotent-replayed"] == "true"
    assert await messages_sent_by(ann) == 1


async def test_a_claim_whose_holder_overran_the_lock_time_is_taken_over(
    http: httpx.AsyncClient, gql: GraphQLClient, monkeypatch: pytest.MonkeyPatch
):
    ann, bob = await register(gql), await register(gql)
    original = chat_mutations.send_message
    started, finish = asyncio.Event(), asyncio.Event()

    async def stuck_send(*args: Any, **kwargs: Any) -> Any:
        if not started.is_set():
            started.set()
            await finish.wait()  # the holder hangs, as a crashed instance never answers
        return await original(*args, **kwargs)

    monkeypatch.setattr(chat_mutations, "send_message", stuck_send)
    key = new_key()
    stuck = asyncio.create_task(
        post(http, SEND, message_to(bob, "stuck"), token=ann.access_token, key=key)
    )
    await started.wait()
    later = idempotency.utcnow() + timedelta(seconds=61)
    monkeypatch.setattr(idempotency, "utcnow", lambda: later)
    try:
        retry = await post(http, SEND, message_to(bob, "stuck"), token=ann.access_token, key=key)
    finally:
        finish.set()
        await stuck
    assert retry.status_code == 200 and "idempotent-replayed" not in retry.headers
    again = await post(http, SEND, message_to(bob, "stuck"), token=ann.access_token, key=key)
    assert again.content == retry.content  # the response kept is the one that took over


async def test_one_key_used_by_two_users_is_two_keys(http: httpx.AsyncClient, gql: GraphQLClient):
    ann, bob, cat = await register(gql), await register(gql), await register(gql)
    key = new_key()
    by_ann = await post(http, SEND, message_to(cat, "same"), token=ann.access_token, key=key)
    by_bob = await post(http, SEND, message_to(cat, "same"), token=bob.access_token, key=key)
    assert by_ann.status_code == by_bob.status_code == 200
    assert "idempotent-replayed" not in by_bob.headers
    assert by_bob.content != by_ann.content
    assert await messages_sent_by(ann) == 1 and await messages_sent_by(bob) == 1


async def test_an_expired_key_runs_the_request_again(
    http: httpx.AsyncClient, gql: GraphQLClient, monkeypatch: pytest.MonkeyPatch
):
    ann, bob = await register(gql), await register(gql)
    key = new_key()
    await post(http, SEND, message_to(bob, "again"), token=ann.access_token, key=key)
    a_day_later = idempotency.utcnow() + timedelta(hours=24, seconds=1)
    monkeypatch.setattr(idempotency, "utcnow", lambda: a_day_later)
    retry = await post(http, SEND, message_to(bob, "again"), token=ann.access_token, key=key)
    assert retry.status_code == 200 and "idempotent-replayed" not in retry.headers
    assert await messages_sent_by(ann) == 2


async def test_expired_keys_are_cleaned_up(
    http: httpx.AsyncClient, gql: GraphQLClient, monkeypatch: pytest.MonkeyPatch
):
    ann, bob = await register(gql), await register(gql)
    key = new_key()
    await post(http, SEND, message_to(bob, "old"), token=ann.access_token, key=key)
    await delete_expired_keys()
    assert await IdempotencyKey.filter(key=key).exists()  # a fresh key is kept
    a_day_later = idempotency.utcnow() + timedelta(hours=24, seconds=1)
    monkeypatch.setattr(idempotency, "utcnow", lambda: a_day_later)
    assert await delete_expired_keys() >= 1
    assert not await IdempotencyKey.filter(key=key).exists()


@pytest.mark.parametrize(
    "key", ["", "x" * 256, "caf\u00e9".encode(), b"tab\there"], ids=["empty", "long", "utf8", "tab"]
)
async def test_malformed_keys_are_refused_before_anything_runs(
    http: httpx.AsyncClient, gql: GraphQLClient, key: str | bytes
):
    ann, bob = await register(gql), await register(gql)
    response = await post(http, SEND, message_to(bob, "x"), token=ann.access_token, key=key)
    assert response.status_code == 400 and error_code(response) == "BAD_REQUEST"
    assert "Idempotency-Key" in response.json()["errors"][0]["message"]
    assert await messages_sent_by(ann) == 0


async def test_longest_allowed_key_works(http: httpx.AsyncClient, gql: GraphQLClient):
    ann, bob = await register(gql), await register(gql)
    key = "~ !" + "k" * 252
    for _ in range(2):
        response = await post(http, SEND, message_to(bob, "x"), token=ann.access_token, key=key)
        assert response.status_code == 200
    assert await messages_sent_by(ann) == 1


async def test_queries_ignore_the_key(http: httpx.AsyncClient, account: Account):
    query = "query Me { viewer { email } }"
    for key in (new_key(), new_key(), ""):
        response = await post(http, query, token=account.access_token, key=key)
        assert response.status_code == 200
        assert response.json()["data"] == {"viewer": {"email": account.email}}
        assert "idempotent-replayed" not in response.headers


async def test_a_document_holding_a_query_and_a_mutation_goes_by_operation_name(
    http: httpx.AsyncClient, gql: GraphQLClient
):
    ann, bob = await register(gql), await register(gql)
    document = SEND + "\nquery Me { viewer { email } }"
    key = new_key()
    for _ in range(2):  # the query runs each time, and never claims the key
        response = await http.post(
            "/graphql",
            json={"query": document, "operationName": "Me"},
            headers={"Authorization": f"Bearer {ann.access_token}", "Idempotency-Key": key},
        )
        assert response.json()["data"] == {"viewer": {"email": ann.email}}
        assert "idempotent-replayed" not in response.headers
    sent = await http.post(
        "/graphql",
        json={"query": document, "operationName": "Send", "variables": message_to(bob, "m")},
        headers={"Authorization": f"Bearer {ann.access_token}", "Idempotency-Key": key},
    )
    assert sent.status_code == 200 and sent.json()["data"]["chatMessageSend"]["message"]


async def test_a_refusal_before_execution_does_not_use_up_the_key(
    http: httpx.AsyncClient, gql: GraphQLClient
):
    ann, bob = await register(gql), await register(gql)
    key = new_key()
    invalid = 'mutation { chatMessageSend(input: {body: "x"}) { nope } }'
    refused = await post(http, invalid, token=ann.access_token, key=key)
    assert error_code(refused) == "GRAPHQL_VALIDATION_FAILED"
    fixed = await post(http, SEND, message_to(bob, "fixed"), token=ann.access_token, key=key)
    assert fixed.status_code == 200 and "idempotent-replayed" not in fixed.headers
    assert await messages_sent_by(ann) == 1


async def test_an_unavailable_answer_is_not_kept(
    http: httpx.AsyncClient, gql: GraphQLClient, monkeypatch: pytest.MonkeyPatch
):
    ann, bob = await register(gql), await register(gql)

    async def unavailable(*args: Any, **kwargs: Any) -> Any:
        raise PublicError("The database is unavailable.", "SERVICE_UNAVAILABLE")

    with monkeypatch.context() as patch:
        patch.setattr(chat_mutations, "send_message", unavailable)
        key = new_key()
        down = await post(http, SEND, message_to(bob, "later"), token=ann.access_token, key=key)
        assert error_code(down) == "SERVICE_UNAVAILABLE"
    retry = await post(http, SEND, message_to(bob, "later"), token=ann.access_token, key=key)
    assert retry.json()["data"]["chatMessageSend"]["message"]["body"] == "later"
    assert "idempotent-replayed" not in retry.headers
    assert await messages_sent_by(ann) == 1


async def test_a_request_that_fails_with_a_server_error_can_be_retried(
    http: httpx.AsyncClient, gql: GraphQLClient, monkeypatch: pytest.MonkeyPatch
):
    ann = await register(gql)
    headers = {"Authorization": f"Bearer {ann.access_token}", "Idempotency-Key": new_key()}
    path = "/api/v1/profiles/social-sync/twitch"

    async def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    with monkeypatch.context() as patch:
        patch.setattr(rest, "sync_manual", crash)
        failed = await http.post(path, json={"followers": 7}, headers=headers)
        assert failed.status_code == 500
    retry = await http.post(path, json={"followers": 7}, headers=headers)
    assert retry.status_code == 200 and "idempotent-replayed" not in retry.headers


async def test_a_key_that_cannot_be_checked_runs_nothing(
    http: httpx.AsyncClient, gql: GraphQLClient, monkeypatch: pytest.MonkeyPatch
):
    ann, bob = await register(gql), await register(gql)

    async def database_down(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionRefusedError("the database is down")

    monkeypatch.setattr(web.idempotency, "claim_key", database_down)
    response = await post(http, SEND, message_to(bob, "x"), token=ann.access_token, key=new_key())
    assert response.status_code == 503 and error_code(response) == "SERVICE_UNAVAILABLE"
    assert response.headers["retry-after"] == "1"
    assert await messages_sent_by(ann) == 0


async def test_anonymous_registration_is_replayed_without_keeping_tokens_readable(
    http: httpx.AsyncClient,
):
    variables = {
        "input": {
            "email": unique_email(),
            "password": "correct horse battery",
            "role": "CREATOR",
            "displayName": "Once",
        }
    }
    key = new_key()
    first = await post(http, REGISTER, variables, key=key)
    retry = await post(http, REGISTER, variables, key=key)
    payload = first.json()["data"]["accountRegister"]
    assert payload["userErrors"] == []
    assert retry.content == first.content and retry.headers["idempotent-replayed"] == "true"
    row = await IdempotencyKey.get(key=key)
    assert row.scope.startswith("anonymous:")
    stored = bytes(row.body or b"")
    assert payload["refreshToken"].encode() not in stored
    assert payload["accessToken"].encode() not in stored
