"""Tortoise models, one module per domain. Nothing here imports from the rest of the project."""

from models.accounts import RefreshToken, Role, User
from models.profiles import Profile
from models.social import Platform, SocialAccount, StatsSnapshot, SyncSource

__all__ = [
    "Platform",
    "Profile",
    "RefreshToken",
    "Role",
    "SocialAccount",
    "StatsSnapshot",
    "SyncSource",
    "User",
]
