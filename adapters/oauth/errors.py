"""What can go wrong talking to a platform's authorization server or its API, typed so the
resolvers can decide what to store. Messages never carry a token."""

from __future__ import annotations


class OAuthFailure(Exception):
    """The platform refused (``code`` is its error code, e.g. ``invalid_request``)."""

    def __init__(self, code: str, description: str | None = None) -> None:
        super().__init__(f"{code}: {description}" if description else code)
        self.code = code
        self.description = description


class InvalidGrant(OAuthFailure):
    """The code or refresh token is expired, revoked or already used."""

    def __init__(self, description: str | None = None) -> None:
        super().__init__("invalid_grant", description)


class TokenRejected(OAuthFailure):
    """The platform's API refused the access token (401, or Graph error 190)."""

    def __init__(self, description: str | None = None) -> None:
        super().__init__("invalid_token", description)


class OAuthUnavailable(OAuthFailure):
    """No usable answer: a timeout, a 5xx, a body that is not the documented JSON."""

    def __init__(self, description: str | None = None) -> None:
        super().__init__("temporarily_unavailable", description)
