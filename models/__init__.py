"""Tortoise models, one module per domain. Nothing here imports from the rest of the project."""

from models.accounts import RefreshToken, Role, User
from models.posts import Post
from models.profiles import Profile
from models.realtime import (
    CollabRequest,
    CollabRequestStatus,
    Conversation,
    ConversationParticipant,
    Message,
    Notification,
    NotificationType,
)
from models.social import AccountState, Platform, SocialAccount, StatsSnapshot, SyncSource

__all__ = [
    "AccountState",
    "CollabRequest",
    "CollabRequestStatus",
    "Conversation",
    "ConversationParticipant",
    "Message",
    "Notification",
    "NotificationType",
    "Platform",
    "Post",
    "Profile",
    "RefreshToken",
    "Role",
    "SocialAccount",
    "StatsSnapshot",
    "SyncSource",
    "User",
]
