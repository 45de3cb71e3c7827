"""Chat: live messages, edits, deletions, typing and read receipts; lists; bad input; privacy."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from resolvers.cursors import pack_cursor
from tests.conftest import Account, GraphQLClient, RunningServer, register
from tests.graphql_ws import GraphQLWebSocket
from tests.realtime_support import (
    CHAT_EVENTS,
    DELETE,
    EDIT,
    MARK_READ,
    NOTIFICATION_EVENTS,
    SEND,
    TYPING,
    codes,
    mutate,
    send,
    sent,
    suspend,
)

CONVERSATIONS = """
query Conversations($first: Int, $after: String) {
  conversations(first: $first, after: $after) {
    edges { cursor node { id unreadCount lastActivityAt lastMessage { id body }
                          participants { user { id displayName } lastReadAt } } }
    pageInfo { hasNextPage endCursor }
  }
}"""

CONVERSATION = """
query Conversation($id: ID!, $first: Int, $after: String) {
  conversation(id: $id) {
    id unreadCount
    messages(first: $first, after: $after) {
      edges { cursor node { id body sender { id } deletedAt } }
      pageInfo { hasNextPage hasPreviousPage endCursor }
    }
  }
}"""


async def send_raw(http: httpx.AsyncClient, sender: Account, body: str, to: Account) -> dict:
    """chatMessageSend with the JSON escaped by hand, so even a lone surrogate can be sent."""
    document = {"query": SEND, "variables": {"input": {"recipient": to.user_id, "body": body}}}
    response = await http.post(
        "/graphql",
        content=json.dumps(document),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {sender.access_token}",
        },
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]["chatMessageSend"]


async def pair(gql: GraphQLClient) -> tuple[Account, Account]:
    return await register(gql, display_name="Ann"), await register(gql, display_name="Bob")


async def test_two_people_chat_live_with_edits_deletions_typing_and_receipts(
    gql: GraphQLClient, server: RunningServer
):
    ann, bob = await pair(gql)
    first = await sent(gql, ann, "Hi Bob!", to=bob)
    conversation = first["conversation"]["id"]
    async with (
        await GraphQLWebSocket.open(server.url, ann.access_token) as ann_ws,
        await GraphQLWebSocket.open(server.url, bob.access_token) as bob_ws,
    ):
        ann_op = await ann_ws.subscribe(CHAT_EVENTS, {"conversation": conversation})
        bob_op = await bob_ws.subscribe(CHAT_EVENTS, {"conversation": conversation})

        await mutate(
            gql, bob, TYPING, "chatTypingSet", {"conversation": conversation, "isTyping": True}
        )
        typing = (await ann_ws.next(ann_op))["data"]["chatEvents"]
        assert typing == {
            "__typename": "ChatTypingChanged",
            "user": {"id": bob.user_id},
            "isTyping": True,
        }

        reply = await sent(gql, bob, "Hey Ann", conversation=conversation)
        for ws, op in ((ann_ws, ann_op), (bob_ws, bob_op)):
            event = (await ws.next(op))["data"]["chatEvents"]
            assert event["__typename"] == "ChatMessageSent"
            assert event["message"] == {
                "id": reply["message"]["id"],
                "body": "Hey Ann",
                "sender": {"id": bob.user_id, "displayName": "Bob"},
            }

        message_id = reply["message"]["id"]
        edited = await mutate(
            gql, bob, EDIT, "chatMessageEdit", {"message": message_id, "body": "Hey Ann!"}
        )
        assert edited["userErrors"] == [] and edited["message"]["editedAt"]
        for ws, op in ((ann_ws, ann_op), (bob_ws, bob_op)):
            event = (await ws.next(op))["data"]["chatEvents"]
            assert event["__typename"] == "ChatMessageEdited"
            assert event["message"]["body"] == "Hey Ann!"

        read = await mutate(
            gql, ann, MARK_READ, "chatConversationMarkRead", {"conversation": conversation}
        )
        assert read["userErrors"] == [] and read["readAt"]
        assert read["conversation"]["unreadCount"] == 0
        for ws, op in ((bob_ws, bob_op), (ann_ws, ann_op)):  # Ann's other devices hear it too
            event = (await ws.next(op))["data"]["chatEvents"]
            assert event == {
                "__typename": "ChatConversationRead",
                "user": {"id": ann.user_id},
                "readAt": read["readAt"],
            }

        deleted = await mutate(gql, bob, DELETE, "chatMessageDelete", {"message": message_id})
        assert deleted["message"]["body"] is None and deleted["message"]["deletedAt"]
        event = (await ann_ws.next(ann_op))["data"]["chatEvents"]
        assert event["__typename"] == "ChatMessageDeleted"
        assert event["message"] == {
            "id": message_id,
            "body": None,
            "deletedAt": deleted["message"]["deletedAt"],
        }
        assert (await bob_ws.next(bob_op))["data"]["chatEvents"]["__typename"] == (
            "ChatMessageDeleted"
        )
        # Bob's own typing was not echoed back to him; everything else reached both.
        assert await bob_ws.nothing_for(bob_op, 0.2)
        assert await ann_ws.nothing_for(ann_op, 0.05)


async def test_the_recipient_is_notified_of_a_message_live(
    gql: GraphQLClient, server: RunningServer
):
    ann, bob = await pair(gql)
    async with await GraphQLWebSocket.open(server.url, bob.access_token) as ws:
        op = await ws.subscribe(NOTIFICATION_EVENTS)
        payload = await sent(gql, ann, "ping", to=bob)
        note = (await ws.next(op))["data"]["notificationEvents"]
    assert note["type"] == "MESSAGE_RECEIVED"
    assert note["title"] == "New message" and note["body"] == "Ann sent you a message."
    assert note["subjectId"] == payload["conversation"]["id"] and note["readAt"] is None


async def test_sending_to_a_person_finds_or_creates_one_conversation(gql: GraphQLClient):
    ann, bob = await pair(gql)
    first = await sent(gql, ann, "one", to=bob)
    second = await sent(gql, bob, "two", to=ann)
    third = await sent(gql, ann, "three", conversation=first["conversation"]["id"])
    assert first["conversation"] == second["conversation"] == third["conversation"]
    assert first["message"]["sender"] == {"id": ann.user_id, "displayName": "Ann"}


async def test_first_messages_racing_create_a_single_conversation(gql: GraphQLClient):
    ann, bob = await pair(gql)
    payloads = await asyncio.gather(
        *[send(gql, ann if i % 2 else bob, f"m{i}", to=bob if i % 2 else ann) for i in range(8)]
    )
    assert all(p["userErrors"] == [] for p in payloads)
    assert len({p["conversation"]["id"] for p in payloads}) == 1
    listed = (await gql.data(CONVERSATIONS, token=ann.access_token))["conversations"]["edges"]
    assert len(listed) == 1


async def test_html_is_kept_as_text_and_bodies_are_trimmed(gql: GraphQLClient):
    ann, bob = await pair(gql)
    body = "<script>alert('x')</script> &amp; <b>bold</b>\nsecond line"
    payload = await sent(gql, ann, f"  {body}  ", to=bob)
    assert payload["message"]["body"] == body


async def test_empty_long_and_unprintable_bodies_are_refused_and_change_nothing(
    gql: GraphQLClient, http: httpx.AsyncClient
):
    ann, bob = await pair(gql)
    for body, code in [
        ("", "REQUIRED"),
        ("   \n\t ", "REQUIRED"),
        ("x" * 4001, "TOO_LONG"),
        ("nul\x00byte", "INVALID"),
        ("bell\x07", "INVALID"),
    ]:
        payload = await send_raw(http, ann, body, bob)
        assert payload["message"] is None and payload["conversation"] is None
        assert payload["userErrors"][0]["field"] == ["body"]
        assert codes(payload) == [code], (body, payload)
    # A lone surrogate is not JSON any parser here accepts: refused before anything runs.
    with pytest.raises(AssertionError, match="400"):
        await send_raw(http, ann, "lone \ud800 surrogate", bob)
    listed = (await gql.data(CONVERSATIONS, token=ann.access_token))["conversations"]["edges"]
    assert listed == []  # no conversation was created by a refused message
    assert (await send(gql, ann, "é" * 4000, to=bob))["userErrors"] == []


async def test_messages_to_yourself_missing_or_suspended_people_are_refused(gql: GraphQLClient):
    ann, bob = await pair(gql)
    assert codes(await send(gql, ann, "me", to=ann)) == ["INVALID"]
    missing = await gql.data(
        "mutation($i: ChatMessageSendInput!) { chatMessageSend(input: $i) { "
        "userErrors { field code } } }",
        {"i": {"recipient": "VXNlcjo5OTk5OTk5", "body": "hi"}},  # User:9999999
        token=ann.access_token,
    )
    assert missing["chatMessageSend"]["userErrors"] == [
        {"field": ["recipient"], "code": "NOT_FOUND"}
    ]
    assert codes(await send(gql, ann, "x", to=None)) == ["REQUIRED"]
    conversation = (await sent(gql, ann, "before", to=bob))["conversation"]["id"]
    both = await gql.data(
        "mutation($i: ChatMessageSendInput!) { chatMessageSend(input: $i) { "
        "userErrors { code } } }",
        {"i": {"recipient": bob.user_id, "conversation": conversation, "body": "x"}},
        token=ann.access_token,
    )
    assert both["chatMessageSend"]["userErrors"] == [{"code": "INVALID"}]
    await suspend(bob)
    refused = await send(gql, ann, "after", to=bob)
    assert refused["userErrors"][0]["code"] == "NOT_FOUND"  # like a user that does not exist
    in_conversation = await send(gql, ann, "after", conversation=conversation)
    assert codes(in_conversation) == ["INVALID_STATE"]


async def test_only_the_sender_edits_or_deletes_and_outsiders_see_nothing(gql: GraphQLClient):
    ann, bob = await pair(gql)
    eve = await register(gql, display_name="Eve")
    message = (await sent(gql, ann, "mine", to=bob))["message"]["id"]
    for account, code in ((bob, "NOT_ALLOWED"), (eve, "NOT_FOUND")):
        edit = await mutate(
            gql, account, EDIT, "chatMessageEdit", {"message": message, "body": "hijack"}
        )
        delete = await mutate(gql, account, DELETE, "chatMessageDelete", {"message": message})
        assert codes(edit) == [code] and codes(delete) == [code]
        assert edit["message"] is None and delete["message"] is None
    # An ID of another type, or garbage, answers like an unknown message.
    for bad in (ann.user_id, "not-an-id"):
        edit = await mutate(gql, ann, EDIT, "chatMessageEdit", {"message": bad, "body": "x"})
        assert codes(edit) == ["NOT_FOUND"]
    node = await gql.data(
        "query($id: ID!) { node(id: $id) { id } }", {"id": message}, token=eve.access_token
    )
    assert node["node"] is None
    node = await gql.data(
        "query($id: ID!) { node(id: $id) { ... on Message { body } } }",
        {"id": message},
        token=bob.access_token,
    )
    assert node["node"] == {"body": "mine"}


async def test_a_deleted_message_cannot_be_edited_and_deleting_again_is_harmless(
    gql: GraphQLClient,
):
    ann, bob = await pair(gql)
    message = (await sent(gql, ann, "oops", to=bob))["message"]["id"]
    first = await mutate(gql, ann, DELETE, "chatMessageDelete", {"message": message})
    again = await mutate(gql, ann, DELETE, "chatMessageDelete", {"message": message})
    assert again["userErrors"] == [] and again["message"] == first["message"]
    edit = await mutate(gql, ann, EDIT, "chatMessageEdit", {"message": message, "body": "x"})
    assert codes(edit) == ["INVALID_STATE"]


async def test_outsiders_cannot_read_mark_type_in_or_subscribe_to_a_conversation(
    gql: GraphQLClient, server: RunningServer
):
    ann, bob = await pair(gql)
    eve = await register(gql, display_name="Eve")
    conversation = (await sent(gql, ann, "private", to=bob))["conversation"]["id"]
    missing = "Q29udmVyc2F0aW9uOjk5OTk5OTk="  # Conversation:9999999
    for target in (conversation, missing):
        found = await gql.data(CONVERSATION, {"id": target}, token=eve.access_token)
        assert found["conversation"] is None
        read = await mutate(
            gql, eve, MARK_READ, "chatConversationMarkRead", {"conversation": target}
        )
        typing = await mutate(
            gql, eve, TYPING, "chatTypingSet", {"conversation": target, "isTyping": True}
        )
        post = await send(gql, eve, "let me in", conversation=target)
        assert codes(read) == codes(typing) == codes(post) == ["NOT_FOUND"]
        assert read["userErrors"] == typing["userErrors"] == post["userErrors"]
    async with await GraphQLWebSocket.open(server.url, eve.access_token) as ws:
        answers = []
        for target in (conversation, missing):
            op = await ws.subscribe(CHAT_EVENTS, {"conversation": target})
            message = await ws.message(op)
            assert message["type"] == "error"
            answers.append(message["payload"])
        assert answers[0] == answers[1]
        assert answers[0][0]["extensions"]["code"] == "NOT_FOUND"


async def test_conversations_list_most_recent_first_with_last_message_and_unread_count(
    gql: GraphQLClient,
):
    ann, bob = await pair(gql)
    cat = await register(gql, display_name="Cat")
    with_bob = (await sent(gql, bob, "from bob", to=ann))["conversation"]["id"]
    with_cat = (await sent(gql, cat, "from cat 1", to=ann))["conversation"]["id"]
    await sent(gql, cat, "from cat 2", conversation=with_cat)
    await sent(gql, ann, "ann to cat", conversation=with_cat)
    await sent(gql, bob, "bob again", conversation=with_bob)
    page = (await gql.data(CONVERSATIONS, {"first": 1}, token=ann.access_token))["conversations"]
    top = page["edges"][0]["node"]
    assert top["id"] == with_bob and top["lastMessage"]["body"] == "bob again"
    assert top["unreadCount"] == 2
    assert {p["user"]["displayName"] for p in top["participants"]} == {"Ann", "Bob"}
    assert page["pageInfo"]["hasNextPage"]
    rest = await gql.data(
        CONVERSATIONS, {"first": 10, "after": page["pageInfo"]["endCursor"]}, token=ann.access_token
    )
    second = rest["conversations"]["edges"]
    assert [e["node"]["id"] for e in second] == [with_cat]
    # Ann's own reply marks what came before it read.
    assert second[0]["node"]["unreadCount"] == 0
    assert not rest["conversations"]["pageInfo"]["hasNextPage"]


@pytest.mark.parametrize("micros", [2**62, -(2**62), 2**63 - 1])
async def test_a_conversations_cursor_past_any_date_is_refused_as_bad_input(
    gql: GraphQLClient, micros: int
):
    """Found by tests/test_fuzz_schema.py: a forged cursor whose time no clock can hold."""
    ann, _ = await pair(gql)
    cursor = pack_cursor(["Conversation", micros, 1])
    result = await gql.post(CONVERSATIONS, {"after": cursor}, token=ann.access_token)
    [error] = result["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["userErrors"][0]["field"] == ["after"]


async def test_messages_page_newest_first_and_deleted_ones_are_tombstones(gql: GraphQLClient):
    ann, bob = await pair(gql)
    conversation = (await sent(gql, ann, "m0", to=bob))["conversation"]["id"]
    ids = [
        (await sent(gql, ann, f"m{i}", conversation=conversation))["message"]["id"]
        for i in range(1, 5)
    ]
    await mutate(gql, ann, DELETE, "chatMessageDelete", {"message": ids[1]})
    first = (
        await gql.data(CONVERSATION, {"id": conversation, "first": 3}, token=bob.access_token)
    )["conversation"]
    assert first["unreadCount"] == 4  # five sent, one deleted
    bodies = [e["node"]["body"] for e in first["messages"]["edges"]]
    assert bodies == ["m4", "m3", None]
    after = first["messages"]["pageInfo"]["endCursor"]
    second = (
        await gql.data(
            CONVERSATION, {"id": conversation, "first": 3, "after": after}, token=bob.access_token
        )
    )["conversation"]["messages"]
    assert [e["node"]["body"] for e in second["edges"]] == ["m1", "m0"]
    assert second["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "endCursor": second["edges"][-1]["cursor"],
    }
    result = await gql.post(
        CONVERSATION, {"id": conversation, "first": 101}, token=bob.access_token
    )
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    result = await gql.post(
        CONVERSATION, {"id": conversation, "after": "bogus"}, token=bob.access_token
    )
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_read_receipts_only_move_forward_and_clear_message_notifications(
    gql: GraphQLClient,
):
    ann, bob = await pair(gql)
    first = await sent(gql, ann, "one", to=bob)
    conversation = first["conversation"]["id"]
    await sent(gql, ann, "two", conversation=conversation)
    unread = "{ viewer { unreadNotificationCount } }"
    assert (await gql.data(unread, token=bob.access_token))["viewer"][
        "unreadNotificationCount"
    ] == 2
    latest = await mutate(
        gql, bob, MARK_READ, "chatConversationMarkRead", {"conversation": conversation}
    )
    assert latest["conversation"]["unreadCount"] == 0
    assert (await gql.data(unread, token=bob.access_token))["viewer"][
        "unreadNotificationCount"
    ] == 0
    back = await mutate(
        gql,
        bob,
        MARK_READ,
        "chatConversationMarkRead",
        {"conversation": conversation, "message": first["message"]["id"]},
    )
    assert back["readAt"] == latest["readAt"] and back["conversation"]["unreadCount"] == 0
    other = (await sent(gql, ann, "elsewhere", to=await register(gql)))["message"]["id"]
    wrong = await mutate(
        gql,
        bob,
        MARK_READ,
        "chatConversationMarkRead",
        {"conversation": conversation, "message": other},
    )
    assert codes(wrong) == ["NOT_FOUND"]


async def test_chat_mutations_require_sign_in(gql: GraphQLClient):
    result = await gql.post(
        'mutation { chatTypingSet(input: {conversation: "x", isTyping: true}) { '
        "userErrors { code } } }"
    )
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    result = await gql.post("{ conversations { edges { cursor } } }")
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
