"""Steps the admin and account-lifecycle tests share, through the public API (and the one
command-line operation, createadmin, called as the command calls it)."""

from __future__ import annotations

from typing import Any

from resolvers.admin import make_admin
from tests.conftest import Account, GraphQLClient, register

ERRORS = "userErrors { field message code }"

SUSPEND = f"""
mutation Suspend($input: AdminUserSuspendInput!) {{
  adminUserSuspend(input: $input) {{ user {{ id suspended suspensionReason }} {ERRORS} }}
}}"""

UNSUSPEND = f"""
mutation Unsuspend($input: AdminUserUnsuspendInput!) {{
  adminUserUnsuspend(input: $input) {{ user {{ id suspended }} {ERRORS} }}
}}"""

ADMIN_DELETE = f"""
mutation Delete($input: AdminUserDeleteInput!) {{
  adminUserDelete(input: $input) {{ deletedUserId {ERRORS} }}
}}"""

ACTIVITY = """
query Log($first: Int, $after: String) {
  adminActivityLog(first: $first, after: $after) {
    edges { cursor node { action actorId targetId clientAddress detail createdAt
                          actor { id } target { id email } } }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def admin(gql: GraphQLClient, **kwargs: Any) -> Account:
    """A new account, made an admin as `python app.py createadmin EMAIL` does."""
    account = await register(gql, **kwargs)
    await make_admin(account.email)
    return account


async def suspend(
    gql: GraphQLClient, by: Account, user: Account, reason: str = "spam", **headers: str
) -> dict[str, Any]:
    result = await gql.post(
        SUSPEND, {"input": {"user": user.user_id, "reason": reason}}, token=by.access_token
    )
    assert "errors" not in result, result["errors"]
    return result["data"]["adminUserSuspend"]


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]
