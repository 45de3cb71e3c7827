"""Per-request DataLoaders, so a page of N profiles costs a fixed number of queries.

Each is made on first use: a request uses one or two of them, and making all nine cost about
1% of a profile read's CPU (bench/strawberry_cost.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cached_property

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
from resolvers.profile_reads import AccountNumbers, account_numbers_by_profile, users_by_id


async def _account_growths(keys: Sequence[tuple[int, GrowthWindow]]) -> list[Growth | None]:
    return await account_growths(keys, datetime.now(UTC))


async def _profile_growths(keys: Sequence[tuple[int, GrowthWindow]]) -> list[Growth | None]:
    return await profile_growths(keys, datetime.now(UTC))


class Loaders:
    @cached_property
    def accounts_by_profile(self) -> DataLoader[int, list[AccountNumbers]]:
        return DataLoader(load_fn=account_numbers_by_profile)

    @cached_property
    def users(self) -> DataLoader[int, User | None]:
        return DataLoader(load_fn=users_by_id)

    @cached_property
    def profiles_by_user(self) -> DataLoader[int, Profile | None]:
        return DataLoader(load_fn=profiles_by_user)

    @cached_property
    def conversations(self) -> DataLoader[int, Conversation | None]:
        return DataLoader(load_fn=conversations_by_id)

    @cached_property
    def participants(self) -> DataLoader[int, list[ConversationParticipant]]:
        return DataLoader(load_fn=participants_of)

    @cached_property
    def messages(self) -> DataLoader[int, Message | None]:
        return DataLoader(load_fn=messages_by_id)

    @cached_property
    def unread_counts(self) -> DataLoader[tuple[int, int], int]:
        """Keyed by (viewer id, conversation id)."""
        return DataLoader(load_fn=unread_counts)

    @cached_property
    def account_growth(self) -> DataLoader[tuple[int, GrowthWindow], Growth | None]:
        """Keyed by (account id, window)."""
        return DataLoader(load_fn=_account_growths)

    @cached_property
    def profile_growth(self) -> DataLoader[tuple[int, GrowthWindow], Growth | None]:
        """Keyed by (profile id, window)."""
        return DataLoader(load_fn=_profile_growths)
