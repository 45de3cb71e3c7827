"""Tortoise models, one module per domain. Nothing here imports from the rest of the project."""

from models.accounts import RefreshToken, Role, User
from models.activity import ActivityAction, ActivityEntry
from models.idempotency import IdempotencyKey
from models.mail import CodePurpose, EmailCode, MailKind, MailMessage
from models.oauth import OAuthConnection, OAuthState
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
from models.webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "AccountState",
    "ActivityAction",
    "ActivityEntry",
    "CodePurpose",
    "CollabRequest",
    "CollabRequestStatus",
    "Conversation",
    "ConversationParticipant",
    "EmailCode",
    "IdempotencyKey",
    "MailKind",
    "MailMessage",
    "Message",
    "Notification",
    "NotificationType",
    "OAuthConnection",
    "OAuthState",
    "Platform",
    "Post",
    "Profile",
    "RefreshToken",
    "Role",
    "SocialAccount",
    "StatsSnapshot",
    "SyncSource",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
