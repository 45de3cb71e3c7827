"""OAuth 2.0 connect per platform (../shared/design/OAUTH.md): Authlib's httpx client does
PKCE, the code exchange, refresh and revocation; each platform module holds only its quirks and
its "my own stats" call."""

from adapters.oauth.client import PlatformOAuth, TokenSet
from adapters.oauth.errors import InvalidGrant, OAuthFailure, OAuthUnavailable, TokenRejected
from adapters.oauth.registry import OAuthClients, build_oauth_clients

__all__ = [
    "InvalidGrant",
    "OAuthClients",
    "OAuthFailure",
    "OAuthUnavailable",
    "PlatformOAuth",
    "TokenRejected",
    "TokenSet",
    "build_oauth_clients",
]
