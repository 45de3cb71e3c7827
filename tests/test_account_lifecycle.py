"""Deleting your account (or having it deleted) and exporting it: a wrong password deletes
nothing, deletion ends every session, frees the email and leaves the messages others received
with a deleted sender; the export holds your data and no secrets."""

from __future__ import annotations

from typing import Any

import orjson

from models import EmailCode, IdempotencyKey, MailMessage, RefreshToken, User
from resolvers.avatar_urls import AVATARS
from tests import image_samples as samples
from tests.admin_support import ADMIN_DELETE, admin
from tests.conftest import Account, GraphQLClient, RunningServer, register
from tests.graphql_ws import GraphQLWebSocket
from tests.realtime_support import NOTIFICATION_EVENTS, ask, pk, sent
from tests.test_avatars import upload

DELETE = """mutation($input: AccountDeleteInput!) {
  accountDelete(input: $input) { deleted userErrors { field message code } } }"""
EXPORT = "mutation { accountExport { document userErrors { code } } }"
VIEWER = "{ viewer { id } }"
CONVERSATION = """query($id: ID!) { conversation(id: $id) {
  participants { user { id displayName avatarUrl isDeleted profile { id } } }
  messages(first: 10) { edges { node { body sender { id displayName isDeleted profile { id } } } } }
} }"""


async def delete(gql: GraphQLClient, account: Account, password: str) -> dict[str, Any]:
    result = await gql.data(DELETE, {"input": {"password": password}}, token=account.access_token)
    return result["accountDelete"]


async def test_a_wrong_password_deletes_nothing(gql: GraphQLClient):
    user = await register(gql)
    refused = await delete(gql, user, "not my password")
    assert refused == {
        "deleted": False,
        "userErrors": [
            {
                "field": ["password"],
                "message": "The password is incorrect.",
                "code": "INVALID_CREDENTIALS",
            }
        ],
    }
    assert (await gql.data(VIEWER, token=user.access_token))["viewer"]["id"] == user.user_id


async def test_password_attempts_at_deletion_are_rate_limited(
    gql: GraphQLClient, server: RunningServer
):
    user = await register(gql)
    limiter = server.services.sign_in_limiter
    # Use up the user's allowance as a guesser would, then the right password is refused too.
    while await limiter.hit(f"user:{pk(user.user_id)}") is None:
        pass
    limited = await delete(gql, user, user.password)
    assert [e["code"] for e in limited["userErrors"]] == ["RATE_LIMITED"]
    assert (await gql.data(VIEWER, token=user.access_token))["viewer"]["id"] == user.user_id


async def test_deleting_ends_every_session_and_frees_the_email(
    gql: GraphQLClient, server: RunningServer
):
    user = await register(gql)
    async with await GraphQLWebSocket.open(server.url, user.access_token) as socket:
        await socket.subscribe(NOTIFICATION_EVENTS)
        await socket.ping()
        assert await delete(gql, user, user.password) == {"deleted": True, "userErrors": []}
        assert await socket.closed(within=2) == (4403, "Account deleted")
    refused = await gql.post(VIEWER, token=user.access_token)
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    refresh = await gql.data(
        "mutation($input: TokenRefreshInput!) { tokenRefresh(input: $input) "
        "{ userErrors { code } } }",
        {"input": {"refreshToken": user.refresh_token}},
    )
    assert refresh["tokenRefresh"]["userErrors"] == [{"code": "INVALID_TOKEN"}]
    sign_in = await gql.data(
        "mutation($input: TokenCreateInput!) { tokenCreate(input: $input) "
        "{ userErrors { code } } }",
        {"input": {"email": user.email, "password": user.password}},
    )
    assert sign_in["tokenCreate"]["userErrors"] == [{"code": "INVALID_CREDENTIALS"}]
    assert not await RefreshToken.exists(user_id=pk(user.user_id))
    shell = await User.get(id=pk(user.user_id))
    assert shell.password_hash == "" and user.email not in shell.email
    again = await register(gql, email=user.email)  # the address is free again
    assert again.user_id != user.user_id


async def test_a_deleted_sender_shows_as_a_deleted_user_in_the_recipients_conversation(
    gql: GraphQLClient,
):
    ann = await register(gql, display_name="Ann")
    bob = await register(gql, display_name="Bob")
    conversation = (await sent(gql, ann, "hello bob", to=bob))["conversation"]["id"]
    await sent(gql, bob, "hi ann", conversation=conversation)
    await ask(gql, ann, bob, "collab?")
    assert (await delete(gql, ann, ann.password))["deleted"] is True

    seen = (await gql.data(CONVERSATION, {"id": conversation}, token=bob.access_token))[
        "conversation"
    ]
    deleted = {
        "id": ann.user_id,
        "displayName": "Deleted user",
        "isDeleted": True,
        "profile": None,
    }
    assert [e["node"] for e in seen["messages"]["edges"]] == [
        {
            "body": "hi ann",
            "sender": {
                "id": bob.user_id,
                "displayName": "Bob",
                "isDeleted": False,
                "profile": {"id": bob.profile_id},
            },
        },
        {"body": "hello bob", "sender": deleted},
    ]
    assert {**deleted, "avatarUrl": None} in [p["user"] for p in seen["participants"]]
    # Ann's request and the notification about it are gone from Bob's view.
    requests = await gql.data(
        "{ collabRequests(direction: RECEIVED) { edges { node { id } } } }", token=bob.access_token
    )
    assert requests["collabRequests"]["edges"] == []
    notes = await gql.data(
        "{ notifications(first: 10) { edges { node { type } } } }", token=bob.access_token
    )
    assert "COLLAB_REQUEST_RECEIVED" not in [
        e["node"]["type"] for e in notes["notifications"]["edges"]
    ]
    # Nothing more reaches the deleted account.
    refused = await gql.data(
        "mutation($input: ChatMessageSendInput!) { chatMessageSend(input: $input) "
        "{ userErrors { code } } }",
        {"input": {"conversation": conversation, "body": "are you there?"}},
        token=bob.access_token,
    )
    assert refused["chatMessageSend"]["userErrors"] != []


async def test_an_admin_deletes_an_account_through_the_same_path(gql: GraphQLClient):
    boss = await admin(gql)
    user = await register(gql)
    result = await gql.data(
        ADMIN_DELETE, {"input": {"user": user.user_id}}, token=boss.access_token
    )
    assert result["adminUserDelete"] == {"deletedUserId": user.user_id, "userErrors": []}
    refused = await gql.post(VIEWER, token=user.access_token)
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    again = await gql.data(ADMIN_DELETE, {"input": {"user": user.user_id}}, token=boss.access_token)
    assert [e["code"] for e in again["adminUserDelete"]["userErrors"]] == ["NOT_FOUND"]


async def test_the_export_holds_the_viewers_data_and_no_secrets(gql: GraphQLClient):
    ann = await register(gql, display_name="Ann Export")
    bob = await register(gql, display_name="Bob")
    await gql.data(
        "mutation($input: SocialSyncInput!) { socialSync(input: $input) { userErrors { code } } }",
        {"input": {"platform": "TIKTOK", "followers": 1234}},
        token=ann.access_token,
    )
    conversation = (await sent(gql, ann, "export me", to=bob))["conversation"]["id"]
    await sent(gql, bob, "a reply", conversation=conversation)
    await ask(gql, bob, ann, "work together?")
    result = (await gql.data(EXPORT, token=ann.access_token))["accountExport"]
    assert result["userErrors"] == []
    text = result["document"]
    document = orjson.loads(text)
    assert document["account"]["email"] == ann.email
    assert document["profile"]["display_name"] == "Ann Export"
    [account] = document["profile"]["socialAccounts"]
    assert account["platform"] == "TIKTOK" and account["followers"] == 1234
    assert [s["followers"] for s in account["snapshots"]] == [1234]
    [chat] = document["conversations"]
    assert [m["body"] for m in chat["messages"]] == ["export me", "a reply"]
    assert {p["name"] for p in chat["participants"]} == {"Ann Export", "Bob"}
    [request] = document["collabRequests"]
    assert request["message"] == "work together?" and request["senderName"] == "Bob"
    assert {n["type"] for n in document["notifications"]} >= {"COLLAB_REQUEST_RECEIVED"}
    user = await User.get(id=pk(ann.user_id))
    tokens = await RefreshToken.filter(user_id=user.id).values_list("jti_hash", flat=True)
    for secret in [user.password_hash, "password_hash", "jti_hash", *tokens]:
        assert secret not in text
    assert ann.password not in text


async def test_deleting_removes_codes_mail_stored_responses_and_uploaded_files(
    gql: GraphQLClient, server: RunningServer
):
    """Someone who asked to be forgotten leaves nothing personal behind: not the verification
    code or the mail that carried it, not the responses kept for their retries, not their
    avatar files (removed after the commit)."""
    account = await register(gql)  # registration stores a code and queues its mail
    user = await User.get(email=account.email)
    uploaded = await upload(gql.http, account, samples.png())
    assert uploaded.status_code == 200, uploaded.text
    folder = server.settings.media.media_dir / AVATARS / str(user.id)
    assert any(folder.rglob("*.webp"))
    replayed = await gql.http.post(
        "/graphql",
        json={"query": 'mutation { profileUpdate(input: {bio: "kept"}) { userErrors { code } } }'},
        headers={"Authorization": f"Bearer {account.access_token}", "Idempotency-Key": "k-1"},
    )
    assert replayed.status_code == 200
    assert await EmailCode.filter(user_id=user.id).exists()
    assert await MailMessage.filter(recipient=account.email).exists()
    assert await IdempotencyKey.filter(scope=f"user:{user.id}").exists()

    assert (await delete(gql, account, account.password))["userErrors"] == []

    assert not await EmailCode.filter(user_id=user.id).exists()
    assert not await MailMessage.filter(recipient=account.email).exists()
    assert not await IdempotencyKey.filter(scope=f"user:{user.id}").exists()
    assert not folder.exists()
