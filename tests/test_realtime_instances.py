"""Two instances behind one PostgreSQL and one Redis: a subscriber on the first hears, within a
second, what is done through the second."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import (
    GraphQLClient,
    RunningServer,
    register,
)
from tests.graphql_ws import GraphQLWebSocket
from tests.realtime_support import (
    CHAT_EVENTS,
    EDIT,
    NOTIFICATION_EVENTS,
    TYPING,
    ask,
    mutate,
    sent,
)
from tests.server_process import ServerProcess, needs_postgres_and_redis, two_instances

pytestmark = needs_postgres_and_redis


@pytest.fixture(scope="module")
async def instances(server: RunningServer) -> AsyncIterator[list[ServerProcess]]:
    """Two `app.py serve` processes on the session server's database (already migrated)."""
    async with two_instances() as pair:
        yield pair


@pytest.fixture
async def clients(instances: list[ServerProcess]) -> AsyncIterator[list[GraphQLClient]]:
    async with (
        httpx.AsyncClient(base_url=instances[0].url, timeout=30) as one,
        httpx.AsyncClient(base_url=instances[1].url, timeout=30) as two,
    ):
        yield [GraphQLClient(one), GraphQLClient(two)]


async def test_a_subscriber_on_one_instance_hears_a_message_sent_through_another(
    instances: list[ServerProcess], clients: list[GraphQLClient]
):
    second = clients[1]
    ann = await register(second, display_name="Ann")
    bob = await register(second, display_name="Bob")
    conversation = (await sent(second, ann, "hello", to=bob))["conversation"]["id"]
    async with await GraphQLWebSocket.open(instances[0].url, bob.access_token) as bob_ws:
        chat = await bob_ws.subscribe(CHAT_EVENTS, {"conversation": conversation})
        notes = await bob_ws.subscribe(NOTIFICATION_EVENTS)
        started = time.monotonic()
        message = await sent(second, ann, "across instances", conversation=conversation)
        event = (await bob_ws.next(chat, within=1))["data"]["chatEvents"]
        assert time.monotonic() - started < 1.0
        assert event["message"]["id"] == message["message"]["id"]
        assert event["message"]["body"] == "across instances"
        note = (await bob_ws.next(notes, within=1))["data"]["notificationEvents"]
        assert note["type"] == "MESSAGE_RECEIVED"


async def test_two_people_on_different_instances_work_together_live(
    instances: list[ServerProcess], clients: list[GraphQLClient]
):
    first, second = clients
    ann = await register(first, display_name="Ann")
    bob = await register(second, display_name="Bob")
    async with (
        await GraphQLWebSocket.open(instances[0].url, ann.access_token) as ann_ws,
        await GraphQLWebSocket.open(instances[1].url, bob.access_token) as bob_ws,
    ):
        ann_notes = await ann_ws.subscribe(NOTIFICATION_EVENTS)
        bob_notes = await bob_ws.subscribe(NOTIFICATION_EVENTS)
        request = (await ask(first, ann, bob, "collab?"))["collabRequest"]["id"]
        received = (await bob_ws.next(bob_notes, within=1))["data"]["notificationEvents"]
        assert received["type"] == "COLLAB_REQUEST_RECEIVED"
        accepted = await mutate(
            second,
            bob,
            "mutation($input: CollabRequestAcceptInput!) { collabRequestAccept(input: $input) "
            "{ conversation { id } userErrors { code } } }",
            "collabRequestAccept",
            {"request": request},
        )
        conversation = accepted["conversation"]["id"]
        note = (await ann_ws.next(ann_notes, within=1))["data"]["notificationEvents"]
        assert note["type"] == "COLLAB_REQUEST_ACCEPTED"

        ann_chat = await ann_ws.subscribe(CHAT_EVENTS, {"conversation": conversation})
        await mutate(
            second, bob, TYPING, "chatTypingSet", {"conversation": conversation, "isTyping": True}
        )
        typing = (await ann_ws.next(ann_chat, within=1))["data"]["chatEvents"]
        assert typing["__typename"] == "ChatTypingChanged" and typing["isTyping"] is True
        message = (await sent(second, bob, "draft", conversation=conversation))["message"]["id"]
        assert (await ann_ws.next(ann_chat, within=1))["data"]["chatEvents"]["message"][
            "body"
        ] == "draft"
        await mutate(second, bob, EDIT, "chatMessageEdit", {"message": message, "body": "final"})
        edited = (await ann_ws.next(ann_chat, within=1))["data"]["chatEvents"]
        assert edited == {
            "__typename": "ChatMessageEdited",
            "message": {
                "id": message,
                "body": "final",
                "editedAt": edited["message"]["editedAt"],
            },
        }
