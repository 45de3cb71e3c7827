"""Collaboration requests: the live request → accept flow, and every refusal."""

from __future__ import annotations

import asyncio

from tests.conftest import GraphQLClient, RunningServer, register
from tests.graphql_ws import GraphQLWebSocket
from tests.realtime_support import (
    NOTIFICATION_EVENTS,
    REQUEST_ACCEPT,
    REQUEST_CANCEL,
    REQUEST_DECLINE,
    ask,
    codes,
    mutate,
    sent,
    suspend,
)

REQUESTS = """
query Requests($direction: CollabRequestDirection!, $status: CollabRequestStatus,
               $first: Int, $after: String) {
  collabRequests(direction: $direction, status: $status, first: $first, after: $after) {
    edges { node { id status message sender { id } recipient { id displayName } } }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def requests(gql, account, direction, status=None, first=None, after=None):
    variables = {"direction": direction, "status": status, "first": first, "after": after}
    data = await gql.data(REQUESTS, variables, token=account.access_token)
    return data["collabRequests"]


async def test_request_accept_and_chat_with_live_notifications(
    gql: GraphQLClient, server: RunningServer
):
    ann = await register(gql, display_name="Ann", role="BRAND")
    bob = await register(gql, display_name="Bob")
    async with (
        await GraphQLWebSocket.open(server.url, ann.access_token) as ann_ws,
        await GraphQLWebSocket.open(server.url, bob.access_token) as bob_ws,
    ):
        ann_op = await ann_ws.subscribe(NOTIFICATION_EVENTS)
        bob_op = await bob_ws.subscribe(NOTIFICATION_EVENTS)

        asked = await ask(gql, ann, bob, "Loved your <i>travel</i> reels — collab?")
        assert asked["userErrors"] == []
        request = asked["collabRequest"]
        assert request["status"] == "PENDING"
        assert request["message"] == "Loved your <i>travel</i> reels — collab?"
        assert request["sender"] == {"id": ann.user_id}

        note = (await bob_ws.next(bob_op))["data"]["notificationEvents"]
        assert note["type"] == "COLLAB_REQUEST_RECEIVED"
        assert note["body"] == "Ann wants to collaborate with you."
        assert note["subjectId"] == request["id"]

        accepted = await mutate(
            gql, bob, REQUEST_ACCEPT, "collabRequestAccept", {"request": request["id"]}
        )
        assert accepted["userErrors"] == []
        assert accepted["collabRequest"]["status"] == "ACCEPTED"
        assert accepted["collabRequest"]["respondedAt"]
        note = (await ann_ws.next(ann_op))["data"]["notificationEvents"]
        assert note["type"] == "COLLAB_REQUEST_ACCEPTED"
        assert note["body"] == "Bob accepted your collaboration request."

        # The conversation is ready: a message to it reaches Ann's notifications.
        conversation = accepted["conversation"]["id"]
        message = await sent(gql, bob, "Let's plan it", conversation=conversation)
        assert message["conversation"]["id"] == conversation
        note = (await ann_ws.next(ann_op))["data"]["notificationEvents"]
        assert note["type"] == "MESSAGE_RECEIVED" and note["subjectId"] == conversation
        # Nobody heard someone else's notifications.
        assert await bob_ws.nothing_for(bob_op, 0.1)

    received = await requests(gql, bob, "RECEIVED")
    assert [e["node"]["status"] for e in received["edges"]] == ["ACCEPTED"]
    sent_list = await requests(gql, ann, "SENT", status="ACCEPTED")
    assert sent_list["edges"][0]["node"]["recipient"] == {"id": bob.user_id, "displayName": "Bob"}
    assert (await requests(gql, ann, "RECEIVED"))["edges"] == []


async def test_a_second_pending_request_between_two_people_is_refused(gql: GraphQLClient):
    ann, bob = await register(gql), await register(gql)
    first = await ask(gql, ann, bob)
    assert first["userErrors"] == []
    assert codes(await ask(gql, ann, bob)) == ["DUPLICATE"]
    assert codes(await ask(gql, bob, ann)) == ["DUPLICATE"]  # either way
    await mutate(
        gql, bob, REQUEST_DECLINE, "collabRequestDecline", {"request": first["collabRequest"]["id"]}
    )
    assert (await ask(gql, ann, bob))["userErrors"] == []  # no longer pending: may ask again


async def test_racing_requests_leave_exactly_one_pending(gql: GraphQLClient):
    ann, bob = await register(gql), await register(gql)
    results = await asyncio.gather(
        *[ask(gql, ann, bob) for _ in range(4)], *[ask(gql, bob, ann) for _ in range(4)]
    )
    assert sum(1 for r in results if r["userErrors"] == []) == 1
    assert all(codes(r) == ["DUPLICATE"] for r in results if r["userErrors"])
    pending = [
        edge
        for account in (ann, bob)
        for edge in (await requests(gql, account, "RECEIVED", status="PENDING"))["edges"]
    ]
    assert len(pending) == 1


async def test_requests_to_yourself_missing_or_suspended_users_are_refused(gql: GraphQLClient):
    ann, bob = await register(gql), await register(gql)
    assert codes(await ask(gql, ann, ann)) == ["INVALID"]
    missing = await mutate(
        gql,
        ann,
        "mutation($input: CollabRequestSendInput!) { collabRequestSend(input: $input) { "
        "collabRequest { id } userErrors { field code } } }",
        "collabRequestSend",
        {"recipient": "VXNlcjo5OTk5OTk5"},
    )
    assert missing == {
        "collabRequest": None,
        "userErrors": [{"field": ["recipient"], "code": "NOT_FOUND"}],
    }
    too_long = await ask(gql, ann, bob, "x" * 1001)
    assert codes(too_long) == ["TOO_LONG"] and too_long["collabRequest"] is None
    await suspend(bob)
    suspended = await ask(gql, ann, bob)
    assert suspended["userErrors"][0]["code"] == "NOT_FOUND"


async def test_only_the_person_asked_accepts_or_declines_and_others_see_nothing(
    gql: GraphQLClient,
):
    ann, bob, eve = await register(gql), await register(gql), await register(gql)
    request = (await ask(gql, ann, bob))["collabRequest"]["id"]
    for document, field in (
        (REQUEST_ACCEPT, "collabRequestAccept"),
        (REQUEST_DECLINE, "collabRequestDecline"),
    ):
        assert codes(await mutate(gql, ann, document, field, {"request": request})) == [
            "NOT_ALLOWED"
        ]
        outsider = await mutate(gql, eve, document, field, {"request": request})
        unknown = await mutate(gql, eve, document, field, {"request": "Q29sbGFiUmVxdWVzdDo5OTk5"})
        assert codes(outsider) == ["NOT_FOUND"] and outsider == unknown
    assert codes(
        await mutate(gql, eve, REQUEST_CANCEL, "collabRequestCancel", {"request": request})
    ) == ["NOT_FOUND"]
    assert codes(
        await mutate(gql, bob, REQUEST_CANCEL, "collabRequestCancel", {"request": request})
    ) == ["NOT_ALLOWED"]
    node = "query($id: ID!) { node(id: $id) { id ... on CollabRequest { status } } }"
    assert (await gql.data(node, {"id": request}, token=eve.access_token))["node"] is None
    assert (await gql.data(node, {"id": request}, token=bob.access_token))["node"] == {
        "id": request,
        "status": "PENDING",
    }


async def test_a_cancelled_request_can_no_longer_be_answered(gql: GraphQLClient):
    ann, bob = await register(gql), await register(gql)
    request = (await ask(gql, ann, bob))["collabRequest"]["id"]
    cancelled = await mutate(gql, ann, REQUEST_CANCEL, "collabRequestCancel", {"request": request})
    assert cancelled["collabRequest"]["status"] == "CANCELLED"
    late = await mutate(gql, bob, REQUEST_ACCEPT, "collabRequestAccept", {"request": request})
    assert codes(late) == ["INVALID_STATE"] and late["conversation"] is None
    again = await mutate(gql, ann, REQUEST_CANCEL, "collabRequestCancel", {"request": request})
    assert codes(again) == ["INVALID_STATE"]
    conversations = await gql.data("{ conversations { edges { cursor } } }", token=bob.access_token)
    assert conversations["conversations"]["edges"] == []  # the refused accept opened nothing


async def test_request_lists_page_newest_first_and_filter_by_status(gql: GraphQLClient):
    me = await register(gql)
    others = [await register(gql) for _ in range(3)]
    ids = [(await ask(gql, other, me))["collabRequest"]["id"] for other in others]
    await mutate(gql, me, REQUEST_DECLINE, "collabRequestDecline", {"request": ids[0]})
    page = await requests(gql, me, "RECEIVED", first=2)
    assert [e["node"]["id"] for e in page["edges"]] == [ids[2], ids[1]]
    assert page["pageInfo"]["hasNextPage"]
    rest = await requests(gql, me, "RECEIVED", first=2, after=page["pageInfo"]["endCursor"])
    assert [e["node"]["id"] for e in rest["edges"]] == [ids[0]]
    pending = await requests(gql, me, "RECEIVED", status="PENDING")
    assert [e["node"]["id"] for e in pending["edges"]] == [ids[2], ids[1]]
    result = await gql.post(REQUESTS, {"direction": "SENT", "first": 0}, token=me.access_token)
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
