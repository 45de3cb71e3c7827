"""Admin: only admins reach it, admins cannot lock themselves out, a suspension takes effect at
once (tokens, sockets, discovery), and every action lands in the activity log."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import httpx

from models import Role, User
from tests.admin_support import (
    ACTIVITY,
    ADMIN_DELETE,
    SUSPEND,
    UNSUSPEND,
    admin,
    codes,
    suspend,
)
from tests.conftest import Account, GraphQLClient, RunningServer, register, server_environment
from tests.graphql_ws import GraphQLWebSocket
from tests.realtime_support import NOTIFICATION_EVENTS

ROOT = Path(__file__).resolve().parent.parent
VIEWER = "{ viewer { id email } }"
STATS = """{ adminStats { usersByRole { role count } verifiedUsers suspendedUsers activeLastDay
  activeLast7Days syncsLast7Days failingAccounts collabRequestsByStatus { status count }
  messages messagesLast7Days } }"""
USERS = """query Users($filter: AdminUserFilter, $first: Int, $after: String) {
  adminUsers(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id email role suspended profile { displayName isPublic } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
USER = "query One($id: ID!) { adminUser(id: $id) { id email suspended lastSeenAt } }"


def no_data(result: dict) -> bool:
    """Null data, or (for a nullable field) the field null."""
    return result["data"] is None or all(v is None for v in result["data"].values())


def every_admin_operation(target: Account) -> list[tuple[str, dict]]:
    return [
        (STATS, {}),
        (USERS, {}),
        (USER, {"id": target.user_id}),
        (ACTIVITY, {}),
        (SUSPEND, {"input": {"user": target.user_id, "reason": "spam"}}),
        (UNSUSPEND, {"input": {"user": target.user_id}}),
        (ADMIN_DELETE, {"input": {"user": target.user_id}}),
    ]


async def test_a_non_admin_gets_forbidden_and_no_data_from_every_admin_operation(
    gql: GraphQLClient,
):
    creator = await register(gql)
    brand = await register(gql, role="BRAND")
    for caller in (creator.access_token, brand.access_token, None):
        for target in (creator, brand):
            for document, variables in every_admin_operation(target):
                result = await gql.post(document, variables, token=caller)
                assert no_data(result), (document, result)
                assert [e["extensions"]["code"] for e in result["errors"]] == ["FORBIDDEN"]
    # A made-up ID answers exactly the same: nothing is looked up for them.
    unknown = Account("x", "x", "VXNlcjo5OTk5OTk5", "x", "x", "x")
    for document, variables in every_admin_operation(unknown):
        result = await gql.post(document, variables, token=creator.access_token)
        assert no_data(result)
        assert [e["extensions"]["code"] for e in result["errors"]] == ["FORBIDDEN"]
    # Nothing happened to anyone.
    assert (await gql.data(VIEWER, token=brand.access_token))["viewer"]["email"] == brand.email


async def createadmin(env: dict[str, str], email: str) -> tuple[int | None, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "app.py",
        "createadmin",
        email,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    return process.returncode, out.decode(), err.decode()


async def test_createadmin_promotes_an_existing_account_and_names_a_missing_one(
    gql: GraphQLClient, server: RunningServer
):
    account = await register(gql)
    env = {**os.environ, **server_environment(), "DATABASE_URL": server.settings.database_url}
    code, out, _ = await createadmin(env, account.email.upper())
    assert code == 0
    assert f"{account.email} is an admin." in out
    assert "errors" not in await gql.post(STATS, token=account.access_token)
    code, _, err = await createadmin(env, "nobody-here@example.com")
    assert code == 1
    assert "No account has the email 'nobody-here@example.com'" in err


async def test_an_admin_cannot_suspend_or_delete_themself(gql: GraphQLClient):
    boss = await admin(gql)
    assert codes(await suspend(gql, boss, boss)) == ["NOT_ALLOWED"]
    deleted = await gql.data(
        ADMIN_DELETE, {"input": {"user": boss.user_id}}, token=boss.access_token
    )
    assert codes(deleted["adminUserDelete"]) == ["NOT_ALLOWED"]
    assert (await gql.data(VIEWER, token=boss.access_token))["viewer"]["id"] == boss.user_id


async def test_the_last_admin_cannot_delete_their_account(gql: GraphQLClient):
    boss = await admin(gql)
    # Other tests' admins are set aside for this test's duration, so boss is the last one.
    await User.filter(role=Role.ADMIN).exclude(email=boss.email).update(suspended=True)
    try:
        result = await gql.data(
            "mutation($input: AccountDeleteInput!) { accountDelete(input: $input) "
            "{ deleted userErrors { code } } }",
            {"input": {"password": boss.password}},
            token=boss.access_token,
        )
        assert result["accountDelete"] == {
            "deleted": False,
            "userErrors": [{"code": "NOT_ALLOWED"}],
        }
    finally:
        await User.filter(role=Role.ADMIN).exclude(email=boss.email).update(suspended=False)


async def test_admins_get_not_found_for_unknown_ids(gql: GraphQLClient):
    boss = await admin(gql)
    for bogus in (
        "VXNlcjo5OTk5OTk5",
        "nonsense",
        boss.profile_id,
    ):  # missing, garbage, a Profile ID
        for document, field, extra in (
            (SUSPEND, "adminUserSuspend", {"reason": "spam"}),
            (UNSUSPEND, "adminUserUnsuspend", {}),
            (ADMIN_DELETE, "adminUserDelete", {}),
        ):
            payload = (
                await gql.data(
                    document, {"input": {"user": bogus, **extra}}, token=boss.access_token
                )
            )[field]
            assert codes(payload) == ["NOT_FOUND"], (bogus, field, payload)
        one = await gql.data(USER, {"id": bogus}, token=boss.access_token)
        assert one["adminUser"] is None


async def test_suspension_refuses_the_access_token_on_the_next_request(gql: GraphQLClient):
    boss = await admin(gql)
    user = await register(gql)
    assert (await gql.data(VIEWER, token=user.access_token))["viewer"]["id"] == user.user_id
    payload = await suspend(gql, boss, user, "posting scams")
    assert payload == {
        "user": {"id": user.user_id, "suspended": True, "suspensionReason": "posting scams"},
        "userErrors": [],
    }
    refused = await gql.post(VIEWER, token=user.access_token)
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    again = await gql.data(
        "mutation($input: TokenRefreshInput!) { tokenRefresh(input: $input) "
        "{ accessToken userErrors { code } } }",
        {"input": {"refreshToken": user.refresh_token}},
    )
    assert again["tokenRefresh"] == {
        "accessToken": None,
        "userErrors": [{"code": "ACCOUNT_SUSPENDED"}],
    }
    # Lifted: the same tokens work again.
    lifted = await gql.data(UNSUSPEND, {"input": {"user": user.user_id}}, token=boss.access_token)
    assert lifted["adminUserUnsuspend"] == {
        "user": {"id": user.user_id, "suspended": False},
        "userErrors": [],
    }
    assert (await gql.data(VIEWER, token=user.access_token))["viewer"]["id"] == user.user_id


async def test_suspension_closes_the_users_open_websocket_with_4403(
    gql: GraphQLClient, server: RunningServer
):
    boss = await admin(gql)
    user = await register(gql)
    bystander = await register(gql)
    async with (
        await GraphQLWebSocket.open(server.url, user.access_token) as socket,
        await GraphQLWebSocket.open(server.url, bystander.access_token) as other,
    ):
        await socket.subscribe(NOTIFICATION_EVENTS)
        notes = await other.subscribe(NOTIFICATION_EVENTS)
        await socket.ping()
        assert (await suspend(gql, boss, user))["userErrors"] == []
        assert await socket.closed(within=2) == (4403, "Account suspended")
        assert await other.nothing_for(notes, 0.3)  # another user's socket stays open
        await other.ping()


async def test_a_suspended_profile_leaves_discovery_and_profile_reads(gql: GraphQLClient):
    boss = await admin(gql)
    name = "Findable " + boss.email[:8]
    user = await register(gql, display_name=name)
    viewer = await register(gql)
    search = "query($f: ProfileFilter) { profiles(filter: $f, first: 5) { edges { node { id } } } }"
    node = "query($id: ID!) { node(id: $id) { id } }"

    async def found() -> tuple[list[str], object]:
        listed = await gql.data(search, {"f": {"search": name}}, token=viewer.access_token)
        seen = await gql.data(node, {"id": user.profile_id}, token=viewer.access_token)
        return [e["node"]["id"] for e in listed["profiles"]["edges"]], seen["node"]

    assert await found() == ([user.profile_id], {"id": user.profile_id})
    await suspend(gql, boss, user)
    assert await found() == ([], None)


async def test_admin_lists_finds_and_counts_users(gql: GraphQLClient):
    boss = await admin(gql)
    tag = boss.email.split("@")[0][-8:]
    users = [await register(gql, display_name=f"Listed {tag} {i}") for i in range(3)]
    await suspend(gql, boss, users[1])
    seen: list[str] = []
    after = None
    while True:
        page = (
            await gql.data(
                USERS,
                {"filter": {"search": f"listed {tag}"}, "first": 2, "after": after},
                token=boss.access_token,
            )
        )["adminUsers"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [u.user_id for u in reversed(users)]  # newest first, each once
    suspended = await gql.data(
        USERS, {"filter": {"search": tag, "suspended": True}}, token=boss.access_token
    )
    assert [e["node"]["id"] for e in suspended["adminUsers"]["edges"]] == [users[1].user_id]
    by_email = await gql.data(
        USERS, {"filter": {"search": users[0].email.upper()}}, token=boss.access_token
    )
    assert [e["node"]["email"] for e in by_email["adminUsers"]["edges"]] == [users[0].email]
    brands = await gql.data(
        USERS, {"filter": {"role": "BRAND", "search": tag}}, token=boss.access_token
    )
    assert brands["adminUsers"]["edges"] == []

    stats = (await gql.data(STATS, token=boss.access_token))["adminStats"]
    roles = {r["role"]: r["count"] for r in stats["usersByRole"]}
    assert set(roles) == {"CREATOR", "BRAND", "ADMIN"} and roles["ADMIN"] >= 1
    assert roles["CREATOR"] >= 3
    assert stats["suspendedUsers"] >= 1
    assert stats["activeLastDay"] >= 4  # registering signs in
    assert stats["activeLast7Days"] >= stats["activeLastDay"]
    one = await gql.data(USER, {"id": users[0].user_id}, token=boss.access_token)
    assert one["adminUser"]["email"] == users[0].email
    assert one["adminUser"]["lastSeenAt"] is not None


async def test_the_activity_log_records_actions_and_security_events_with_the_client_address(
    gql: GraphQLClient, http: httpx.AsyncClient
):
    boss = await admin(gql)
    user = await register(gql)
    sign_in = (
        "mutation($input: TokenCreateInput!) { tokenCreate(input: $input) { userErrors { code } } }"
    )

    async def from_address(address: str, query: str, variables: dict, token: str | None = None):
        headers = {"X-Forwarded-For": address}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = await http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        assert "errors" not in response.json(), response.json()

    await from_address(
        "203.0.113.7", sign_in, {"input": {"email": user.email, "password": "nope nope"}}
    )
    await from_address(
        "203.0.113.8", sign_in, {"input": {"email": user.email, "password": user.password}}
    )
    await from_address(
        "198.51.100.9",
        SUSPEND,
        {"input": {"user": user.user_id, "reason": "abuse"}},
        boss.access_token,
    )
    log = (await gql.data(ACTIVITY, {"first": 20}, token=boss.access_token))["adminActivityLog"]
    about_user = [e["node"] for e in log["edges"] if e["node"]["targetId"] == user.user_id]
    assert [(e["action"], e["clientAddress"]) for e in about_user[:3]] == [
        ("USER_SUSPENDED", "198.51.100.9"),
        ("SIGN_IN", "203.0.113.8"),
        ("SIGN_IN_FAILED", "203.0.113.7"),
    ]
    suspended, signed_in, failed = about_user[:3]
    assert suspended["actorId"] == boss.user_id and suspended["actor"] == {"id": boss.user_id}
    assert '"reason":"abuse"' in suspended["detail"]
    assert signed_in["actorId"] == user.user_id
    assert failed["actorId"] is None and failed["target"]["email"] == user.email
    assert all(e["createdAt"] for e in about_user)
