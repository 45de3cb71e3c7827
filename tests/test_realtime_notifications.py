"""Notifications (lists, read state, deletion, sync results) and live profile stats."""

from __future__ import annotations

import pytest

from models import SyncSource
from resolvers.errors import OperationError
from resolvers.sync import SYSTEM, SyncItem, apply_sync
from tests.conftest import Account, GraphQLClient, RunningServer, register
from tests.graphql_ws import GraphQLWebSocket
from tests.realtime_support import NOTIFICATION_EVENTS, ask, codes, mutate, pk

NOTIFICATIONS = """
query Notifications($unreadOnly: Boolean, $first: Int, $after: String) {
  viewer { unreadNotificationCount }
  notifications(unreadOnly: $unreadOnly, first: $first, after: $after) {
    edges { cursor node { id type title body readAt } }
    pageInfo { hasNextPage endCursor }
  }
}"""

MARK = """
mutation Mark($input: NotificationMarkReadInput!) {
  notificationMarkRead(input: $input) {
    notifications { id readAt } unreadCount userErrors { field message code }
  }
}"""

MARK_ALL = """
mutation MarkAll($input: NotificationMarkAllReadInput) {
  notificationMarkAllRead(input: $input) { count unreadCount userErrors { code } }
}"""

DELETE = """
mutation Delete($input: NotificationDeleteInput!) {
  notificationDelete(input: $input) { deletedNotificationId userErrors { field code } }
}"""

STATS_EVENTS = """
subscription Stats($profile: ID) {
  profileStatsEvents(profile: $profile) {
    totalFollowers avgEngagement platformBreakdown { tiktok { followers } }
  }
}"""

SYNC = """
mutation Sync($input: SocialSyncInput!) { socialSync(input: $input) { userErrors { code } } }"""


async def inbox(gql: GraphQLClient, account: Account, **variables) -> dict:
    return await gql.data(NOTIFICATIONS, variables, token=account.access_token)


async def with_requests(gql: GraphQLClient, count: int) -> tuple[Account, list[str]]:
    """An account that received ``count`` collaboration requests; their notification IDs,
    newest first."""
    me = await register(gql)
    for _ in range(count):
        assert (await ask(gql, await register(gql), me))["userErrors"] == []
    edges = (await inbox(gql, me, first=100))["notifications"]["edges"]
    return me, [e["node"]["id"] for e in edges]


async def test_notifications_page_newest_first_and_count_unread(gql: GraphQLClient):
    me, ids = await with_requests(gql, 3)
    first = await inbox(gql, me, first=2)
    assert first["viewer"]["unreadNotificationCount"] == 3
    page = first["notifications"]
    assert [e["node"]["id"] for e in page["edges"]] == ids[:2]
    assert page["edges"][0]["node"]["type"] == "COLLAB_REQUEST_RECEIVED"
    rest = await inbox(gql, me, first=2, after=page["pageInfo"]["endCursor"])
    assert [e["node"]["id"] for e in rest["notifications"]["edges"]] == ids[2:]
    assert not rest["notifications"]["pageInfo"]["hasNextPage"]


async def test_marking_read_counts_down_and_unread_only_hides_them(gql: GraphQLClient):
    me, ids = await with_requests(gql, 3)
    marked = await mutate(gql, me, MARK, "notificationMarkRead", {"notifications": [ids[0]]})
    assert marked["userErrors"] == [] and marked["unreadCount"] == 2
    assert marked["notifications"][0]["readAt"]
    unread = await inbox(gql, me, unreadOnly=True)
    assert [e["node"]["id"] for e in unread["notifications"]["edges"]] == ids[1:]
    everything = await mutate(gql, me, MARK_ALL, "notificationMarkAllRead", {})
    assert everything == {"count": 2, "unreadCount": 0, "userErrors": []}
    assert (await inbox(gql, me))["viewer"]["unreadNotificationCount"] == 0


async def test_mark_all_read_up_to_a_time_leaves_newer_ones(gql: GraphQLClient):
    me, _ids = await with_requests(gql, 1)
    shown = (await inbox(gql, me))["notifications"]["edges"][0]["node"]
    await ask(gql, await register(gql), me)  # arrives after the list was shown
    created = await gql.data(
        "query($id: ID!) { node(id: $id) { ... on Notification { createdAt } } }",
        {"id": shown["id"]},
        token=me.access_token,
    )
    result = await mutate(
        gql, me, MARK_ALL, "notificationMarkAllRead", {"before": created["node"]["createdAt"]}
    )
    assert result["count"] == 1 and result["unreadCount"] == 1


async def test_someone_elses_notification_ids_answer_like_unknown_ones(gql: GraphQLClient):
    me, mine = await with_requests(gql, 1)
    other, theirs = await with_requests(gql, 1)
    unknown = "Tm90aWZpY2F0aW9uOjk5OTk5OTk="  # Notification:9999999
    for bad in (theirs[0], unknown, "garbage"):
        refused = await mutate(
            gql, me, MARK, "notificationMarkRead", {"notifications": [mine[0], bad]}
        )
        assert refused["notifications"] is None
        assert refused["userErrors"] == [
            {
                "field": ["notifications", "1"],
                "message": "No notification with this ID.",
                "code": "NOT_FOUND",
            }
        ]
        deleted = await mutate(gql, me, DELETE, "notificationDelete", {"notification": bad})
        assert deleted == {
            "deletedNotificationId": None,
            "userErrors": [{"field": ["notification"], "code": "NOT_FOUND"}],
        }
    # Nothing changed for either of us: no partial writes.
    assert (await inbox(gql, me))["viewer"]["unreadNotificationCount"] == 1
    assert (await inbox(gql, other))["viewer"]["unreadNotificationCount"] == 1
    node = "query($id: ID!) { node(id: $id) { id } }"
    assert (await gql.data(node, {"id": theirs[0]}, token=me.access_token))["node"] is None
    assert codes(await mutate(gql, me, MARK, "notificationMarkRead", {"notifications": []})) == [
        "REQUIRED"
    ]


async def test_deleting_a_notification_removes_it(gql: GraphQLClient):
    me, ids = await with_requests(gql, 2)
    deleted = await mutate(gql, me, DELETE, "notificationDelete", {"notification": ids[0]})
    assert deleted == {"deletedNotificationId": ids[0], "userErrors": []}
    left = (await inbox(gql, me))["notifications"]["edges"]
    assert [e["node"]["id"] for e in left] == ids[1:]


async def test_a_sync_nobody_asked_for_notifies_the_owner_live(
    gql: GraphQLClient, server: RunningServer, account: Account
):
    user_id = pk(account.user_id)
    async with await GraphQLWebSocket.open(server.url, account.access_token) as ws:
        op = await ws.subscribe(NOTIFICATION_EVENTS)
        await apply_sync(
            server.services,
            user_id,
            [SyncItem("TIKTOK", 1200, 3.5), SyncItem("YOUTUBE", 800)],
            source=SyncSource.PROVIDER,
            initiated_by=SYSTEM,
        )
        done = (await ws.next(op))["data"]["notificationEvents"]
        assert done["type"] == "SYNC_COMPLETED"
        assert done["body"] == "Your TikTok and YouTube stats were updated."
        with pytest.raises(OperationError):
            await apply_sync(
                server.services,
                user_id,
                [SyncItem("TIKTOK", -5)],
                source=SyncSource.PROVIDER,
                batch=False,
                initiated_by=SYSTEM,
            )
        failed = (await ws.next(op))["data"]["notificationEvents"]
        assert failed["type"] == "SYNC_FAILED"
        assert failed["body"].startswith("We could not update your stats: Followers must be")
        # The owner's own syncs (manual, or their own refreshes) notify nobody.
        assert (
            await gql.data(
                SYNC, {"input": {"platform": "TWITCH", "followers": 5}}, token=account.access_token
            )
        )["socialSync"]["userErrors"] == []
        await apply_sync(
            server.services,
            user_id,
            [SyncItem("TWITTER", 9)],
            source=SyncSource.PROVIDER,
            initiated_by=user_id,
        )
        assert await ws.nothing_for(op, 0.2)


async def test_profile_stats_arrive_live_for_your_own_and_public_profiles(
    gql: GraphQLClient, server: RunningServer
):
    owner = await register(gql)
    fan = await register(gql)
    async with (
        await GraphQLWebSocket.open(server.url, owner.access_token) as mine,
        await GraphQLWebSocket.open(server.url, fan.access_token) as theirs,
    ):
        own_op = await mine.subscribe(STATS_EVENTS)  # default: the viewer's own profile
        fan_op = await theirs.subscribe(STATS_EVENTS, {"profile": owner.profile_id})
        await gql.data(
            SYNC,
            {"input": {"platform": "TIKTOK", "followers": 4321, "engagement": 2}},
            token=owner.access_token,
        )
        for ws, op in ((mine, own_op), (theirs, fan_op)):
            stats = (await ws.next(op))["data"]["profileStatsEvents"]
            assert stats == {
                "totalFollowers": 4321,
                "avgEngagement": 2.0,
                "platformBreakdown": {"tiktok": {"followers": 4321}},
            }


async def test_private_profiles_cannot_be_watched_and_stop_being_watched(
    gql: GraphQLClient, server: RunningServer
):
    owner = await register(gql)
    fan = await register(gql)
    hide = "mutation { profileUpdate(input: {isPublic: false}) { userErrors { code } } }"
    async with await GraphQLWebSocket.open(server.url, fan.access_token) as ws:
        op = await ws.subscribe(STATS_EVENTS, {"profile": owner.profile_id})
        assert (await gql.data(hide, token=owner.access_token))["profileUpdate"]["userErrors"] == []
        await gql.data(
            SYNC, {"input": {"platform": "TIKTOK", "followers": 1}}, token=owner.access_token
        )
        assert await ws.nothing_for(op, 0.3)  # it turned private: nothing more to see
        refused = await ws.subscribe(STATS_EVENTS, {"profile": owner.profile_id})
        message = await ws.message(refused)
        assert message["type"] == "error"
        assert message["payload"][0]["extensions"]["code"] == "NOT_FOUND"
