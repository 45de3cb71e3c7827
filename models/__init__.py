"""Tortoise models, one module per domain. Nothing here imports from the rest of the project."""

from models.accounts import RefreshToken, Role, User
from models.mail import CodePurpose, EmailCode, MailKind, MailMessage
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
    "CodePurpose",
    "CollabRequest",
    "CollabRequestStatus",
    "Conversation",
    "ConversationParticipant",
    "EmailCode",
    "MailKind",
    "MailMessage",
    "Message",
    "Notification",
    "NotificationType",
    "Platform",
    "Profile",
    "RefreshToken",
    "Role",
    "SocialAccount",
    "StatsSnapshot",
    "SyncSource",
    "User",
]
