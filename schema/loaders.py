"""Per-request DataLoaders, so a page of N profiles costs a fixed number of queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from strawberry.dataloader import DataLoader

from models import Conversation, ConversationParticipant, Message, Profile, User
from resolvers.chat.batches import (
    conversations_by_id,
    messages_by_id,
    participants_of,
    unread_counts,
)
from resolvers.growth import Growth, GrowthWindow, account_growths, profile_growths
from resolvers.people import profiles_by_user
from resolvers.profiles import AccountNumbers, account_numbers_by_profile, users_by_id


async def _account_growths(keys: Sequence[tuple[int, GrowthWindow]]) -> list[Growth | None]:
    return await account_growths(keys, datetime.now(UTC))


async def _profile_growths(keys: Sequence[tuple[int, GrowthWindow]]) -> list[Growth | None]:
    return await profile_growths(keys, datetime.now(UTC))


@dataclass(slots=True)
class Loaders:
    accounts_by_profile: DataLoader[int, list[AccountNumbers]] = field(
        default_factory=lambda: DataLoader(load_fn=account_numbers_by_profile)
    )
    users: DataLoader[int, User | None] = field(
        default_factory=lambda: DataLoader(load_fn=users_by_id)
    )
    profiles_by_user: DataLoader[int, Profile | None] = field(
        default_factory=lambda: DataLoader(load_fn=profiles_by_user)
    )
    conversations: DataLoader[int, Conversation | None] = field(
        default_factory=lambda: DataLoader(load_fn=conversations_by_id)
    )
    participants: DataLoader[int, list[ConversationParticipant]] = field(
        default_factory=lambda: DataLoader(load_fn=participants_of)
    )
    messages: DataLoader[int, Message | None] = field(
        default_factory=lambda: DataLoader(load_fn=messages_by_id)
    )
    # keyed by (viewer id, conversation id)
    unread_counts: DataLoader[tuple[int, int], int] = field(
        default_factory=lambda: DataLoader(load_fn=unread_counts)
    )
    # keyed by (account id, window) and (profile id, window)
    account_growth: DataLoader[tuple[int, GrowthWindow], Growth | None] = field(
        default_factory=lambda: DataLoader(load_fn=_account_growths)
    )
    profile_growth: DataLoader[tuple[int, GrowthWindow], Growth | None] = field(
        default_factory=lambda: DataLoader(load_fn=_profile_growths)
    )
