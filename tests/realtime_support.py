"""Operations and small steps shared by the realtime tests, all through the public API."""

from __future__ import annotations

from typing import Any

from models import User
from schema.node import decode_id
from tests.conftest import Account, GraphQLClient

ERRORS = "userErrors { field message code }"

SEND = f"""
mutation Send($input: ChatMessageSendInput!) {{
  chatMessageSend(input: $input) {{
    message {{ id body sender {{ id displayName }} createdAt editedAt deletedAt }}
    conversation {{ id }}
    {ERRORS}
  }}
}}"""

EDIT = f"""
mutation Edit($input: ChatMessageEditInput!) {{
  chatMessageEdit(input: $input) {{ message {{ id body editedAt }} {ERRORS} }}
}}"""

DELETE = f"""
mutation Delete($input: ChatMessageDeleteInput!) {{
  chatMessageDelete(input: $input) {{ message {{ id body deletedAt }} {ERRORS} }}
}}"""

MARK_READ = f"""
mutation Read($input: ChatConversationMarkReadInput!) {{
  chatConversationMarkRead(input: $input) {{ conversation {{ id unreadCount }} readAt {ERRORS} }}
}}"""

TYPING = f"""
mutation Typing($input: ChatTypingSetInput!) {{
  chatTypingSet(input: $input) {{ conversation {{ id }} {ERRORS} }}
}}"""

CHAT_EVENTS = """
subscription Chat($conversation: ID!) {
  chatEvents(conversation: $conversation) {
    __typename
    ... on ChatMessageSent { message { id body sender { id displayName } } }
    ... on ChatMessageEdited { message { id body editedAt } }
    ... on ChatMessageDeleted { message { id body deletedAt } }
    ... on ChatTypingChanged { user { id } isTyping }
    ... on ChatConversationRead { user { id } readAt }
  }
}"""

NOTIFICATION_EVENTS = """
subscription { notificationEvents { id type title body createdAt readAt subjectId } }"""

REQUEST_SEND = f"""
mutation Ask($input: CollabRequestSendInput!) {{
  collabRequestSend(input: $input) {{
    collabRequest {{ id status message sender {{ id }} recipient {{ id }} }} {ERRORS}
  }}
}}"""

REQUEST_ACCEPT = f"""
mutation Accept($input: CollabRequestAcceptInput!) {{
  collabRequestAccept(input: $input) {{
    collabRequest {{ id status respondedAt }} conversation {{ id }} {ERRORS}
  }}
}}"""

REQUEST_DECLINE = f"""
mutation Decline($input: CollabRequestDeclineInput!) {{
  collabRequestDecline(input: $input) {{ collabRequest {{ id status }} {ERRORS} }}
}}"""

REQUEST_CANCEL = f"""
mutation Cancel($input: CollabRequestCancelInput!) {{
  collabRequestCancel(input: $input) {{ collabRequest {{ id status }} {ERRORS} }}
}}"""


async def send(
    gql: GraphQLClient,
    sender: Account,
    body: str,
    *,
    to: Account | None = None,
    conversation: str | None = None,
) -> dict[str, Any]:
    """The chatMessageSend payload (userErrors included, not asserted)."""
    data: dict[str, Any] = {"body": body}
    if to is not None:
        data["recipient"] = to.user_id
    if conversation is not None:
        data["conversation"] = conversation
    result = await gql.data(SEND, {"input": data}, token=sender.access_token)
    return result["chatMessageSend"]


async def sent(
    gql: GraphQLClient,
    sender: Account,
    body: str,
    *,
    to: Account | None = None,
    conversation: str | None = None,
) -> dict[str, Any]:
    """Sends and insists it worked; returns the payload."""
    payload = await send(gql, sender, body, to=to, conversation=conversation)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


async def mutate(
    gql: GraphQLClient, account: Account, document: str, field: str, data: dict[str, Any]
) -> dict[str, Any]:
    result = await gql.data(document, {"input": data}, token=account.access_token)
    return result[field]


async def ask(
    gql: GraphQLClient, sender: Account, recipient: Account, message: str | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {"recipient": recipient.user_id}
    if message is not None:
        data["message"] = message
    return await mutate(gql, sender, REQUEST_SEND, "collabRequestSend", data)


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]


def pk(global_id: str) -> int:
    decoded = decode_id(global_id)
    assert decoded is not None
    return decoded[1]


async def suspend(account: Account) -> None:
    # No API suspends users yet; set the state directly (as tests/test_accounts.py does).
    await User.filter(id=pk(account.user_id)).update(suspended=True)
