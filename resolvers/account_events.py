"""Telling live connections that an account was closed (suspended or deleted).

HTTP requests authenticate per request, so they see a suspension at once. A websocket
authenticates once, at connection_init; so closing an account publishes on the account's own
topic (``Account:<user id>``) through the broker, which reaches every instance with Redis, and
the transport (live/transport.py) closes that account's sockets with 4403 when it hears it.
"""

from __future__ import annotations

from enum import StrEnum

from models import User
from resolvers.services import Services


class AccountClosed(StrEnum):
    """Why an account's sockets are closed: the close reason their clients read."""

    SUSPENDED = "Account suspended"
    DELETED = "Account deleted"


def account_topic(user_id: int) -> str:
    return f"Account:{user_id}"


async def publish_account_closed(services: Services, user_id: int, why: AccountClosed) -> None:
    """After the commit that suspended or deleted the account."""
    await services.broker.publish(account_topic(user_id), why.value.encode())


async def wait_until_closed(services: Services, user_id: int) -> AccountClosed:
    """Returns when the account is closed. The user is read again once the topic is being
    listened to, so a suspension committed between the socket's authentication and this
    subscription is not missed."""
    async with services.broker.subscribe(account_topic(user_id)) as events:
        user = await User.get_or_none(id=user_id).only("id", "suspended", "deleted_at")
        if user is None or user.deleted_at is not None:
            return AccountClosed.DELETED
        if user.suspended:
            return AccountClosed.SUSPENDED
        async for message in events:
            try:
                return AccountClosed(message.decode())
            except ValueError:
                return AccountClosed.SUSPENDED
    return AccountClosed.SUSPENDED  # the broker stopped: treat as closed, never leave it open
