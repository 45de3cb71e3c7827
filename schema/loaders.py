"""Per-request DataLoaders, so a page of N profiles costs a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field

from strawberry.dataloader import DataLoader

from models import Conversation, ConversationParticipant, Message, Profile, SocialAccount, User
from resolvers.chat.batches import (
    conversations_by_id,
    messages_by_id,
    participants_of,
    unread_counts,
)
from resolvers.people import profiles_by_user
from resolvers.profiles import accounts_by_profile, users_by_id


@dataclass(slots=True)
class Loaders:
    accounts_by_profile: DataLoader[int, list[SocialAccount]] = field(
        default_factory=lambda: DataLoader(load_fn=accounts_by_profile)
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
