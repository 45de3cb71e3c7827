"""The shared part of every platform's OAuth: Authlib's ``AsyncOAuth2Client`` for PKCE, the code
exchange, refresh and revocation, and the mapping of its failures onto ours.

One client per platform lives as long as the app (the lifespan closes it). It is shared by all
requests, so it is only ever called with explicit tokens — never with Authlib's per-client
``token`` state, which would mix users.
"""

from __future__ import annotations

import warnings
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

with warnings.catch_warnings():
    # Authlib 1.9 warns, once, that it runs on httpx rather than on its httpx2 fork; httpx is
    # the client the whole app uses, and pyproject.toml keeps Authlib to 1.9.x, which supports it.
    import authlib.deprecate  # noqa: F401 (installs its own "always" filter; ours goes after)

    warnings.filterwarnings("ignore", "The httpx module is deprecated")
    from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.integrations.base_client import OAuthError

from adapters.oauth.errors import InvalidGrant, OAuthFailure, OAuthUnavailable, TokenRejected
from adapters.platforms.types import PlatformProfile
from settings import OAuthClientSettings


@dataclass(frozen=True, slots=True)
class TokenSet:
    """A token endpoint's answer, normalized. ``expires_in`` None means no stated lifetime;
    ``refresh_token`` None means the platform sent none (keep the one you have, if any)."""

    access_token: str
    refresh_token: str | None
    expires_in: int | None
    refresh_expires_in: int | None
    scope: str | None
    platform_user_id: str | None

    @classmethod
    def from_response(cls, token: Mapping[str, Any]) -> TokenSet:
        access = token.get("access_token")
        if not isinstance(access, str) or not access:
            raise OAuthUnavailable("the token endpoint answered without an access token")
        scope = token.get("scope")
        if isinstance(scope, list):  # Twitch sends an array
            scope = " ".join(str(s) for s in scope)
        user_id = token.get("open_id") or token.get("user_id")
        return cls(
            access_token=access,
            refresh_token=token.get("refresh_token") or None,
            expires_in=_int_or_none(token.get("expires_in")),
            refresh_expires_in=_int_or_none(token.get("refresh_expires_in")),
            scope=scope if isinstance(scope, str) else None,
            platform_user_id=None if user_id is None else str(user_id),
        )


class PlatformOAuth(ABC):
    """One platform's authorization-code flow and own-stats call. Subclasses set the class
    attributes and implement ``own_stats``; they override the rest only for a documented quirk."""

    platform: str
    scope: str
    pkce: bool = False
    # Instagram has no refresh token: its long-lived access token is itself refreshed.
    refreshes_access_token: bool = False
    auth_method: str = "client_secret_post"
    authorize_params: ClassVar[Mapping[str, str]] = {}

    def __init__(
        self,
        settings: OAuthClientSettings,
        redirect_uri: str,
        http: httpx.AsyncClient,
        timeout: httpx.Timeout,
    ) -> None:
        self.settings = settings
        self.redirect_uri = redirect_uri
        self.http = http  # the app's shared client, for the platform's API
        self.oauth = AsyncOAuth2Client(
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            token_endpoint_auth_method=self.auth_method,
            revocation_endpoint_auth_method=self.auth_method,
            scope=self.scope,
            redirect_uri=redirect_uri,
            code_challenge_method="S256" if self.pkce else None,
            timeout=timeout,
            headers=dict(http.headers),
            follow_redirects=False,
        )
        self.configure(self.oauth)

    def configure(self, oauth: AsyncOAuth2Client) -> None:  # noqa: B027 (optional hook)
        """Registers a platform's client-auth method or compliance hooks."""

    def authorization_url(self, state: str, code_verifier: str | None) -> str:
        url, _ = self.oauth.create_authorization_url(
            self.settings.authorize_url,
            state=state,
            code_verifier=code_verifier if self.pkce else None,
            **self.authorize_params,
        )
        return str(url)

    async def exchange(self, code: str, code_verifier: str | None) -> TokenSet:
        extra = {"code_verifier": code_verifier} if self.pkce and code_verifier else {}
        token = await self._call(
            self.oauth.fetch_token(
                self.settings.token_url,
                grant_type="authorization_code",
                code=code,
                redirect_uri=self.redirect_uri,
                **extra,
            )
        )
        return TokenSet.from_response(token)

    async def refresh(self, refresh_token: str) -> TokenSet:
        """A new token set from the stored refresh token (Instagram: from the access token)."""
        token = await self._call(
            self.oauth.refresh_token(self.settings.token_url, refresh_token=refresh_token)
        )
        return TokenSet.from_response(token)

    async def revoke(self, token: str, hint: str | None = None) -> None:
        """Revokes at the platform (RFC 7009); a platform without the endpoint has nothing to
        revoke (Instagram Login: the token lapses when not refreshed)."""
        if not self.settings.revoke_url:
            return
        response = await self._call(
            self.oauth.revoke_token(self.settings.revoke_url, token=token, token_type_hint=hint)
        )
        if response.status_code >= 400:
            raise OAuthFailure("revoke_failed", f"HTTP {response.status_code}")

    @abstractmethod
    async def own_stats(self, access_token: str) -> PlatformProfile:
        """The connected account's profile and numbers, read with its own token."""

    async def aclose(self) -> None:
        await self.oauth.aclose()

    async def _call(self, pending: Any) -> Any:
        """Awaits an Authlib call, turning its failures into ours."""
        try:
            return await pending
        except OAuthError as exc:
            if exc.error == "invalid_grant":
                raise InvalidGrant(exc.description) from None
            raise OAuthFailure(str(exc.error), exc.description) from None
        except httpx.HTTPStatusError as exc:
            raise OAuthUnavailable(f"HTTP {exc.response.status_code}") from None
        except (httpx.TransportError, ValueError) as exc:
            raise OAuthUnavailable(type(exc).__name__) from None

    async def get_json(self, url: str, access_token: str, **headers: str) -> Any:
        """A GET of the platform's API with the user's token: 401 → ``TokenRejected``."""
        try:
            response = await self.http.get(
                url, headers={"Authorization": f"Bearer {access_token}", **headers}
            )
        except httpx.TransportError as exc:
            raise OAuthUnavailable(type(exc).__name__) from None
        if response.status_code == 401:
            raise TokenRejected(f"{self.platform} API answered 401")
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400 or not isinstance(body, dict):
            self.api_error(response.status_code, body)
            raise OAuthUnavailable(f"{self.platform} API answered HTTP {response.status_code}")
        return body

    def api_error(self, status: int, body: object) -> None:  # noqa: B027 (optional hook)
        """Raises ``TokenRejected`` where a platform says "bad token" without a 401."""


def rewrite_body_error(
    response: httpx.Response, error: str, description: str | None
) -> httpx.Response:
    """A response whose body is the RFC 6749 error object, for Authlib to raise on."""
    return httpx.Response(
        400,
        json={"error": error, "error_description": description},
        request=response.request,
    )


def with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in params]
    return urlunsplit(parts._replace(query=urlencode([*query, *params.items()])))


def _int_or_none(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def as_int(value: object) -> int | None:
    """A count from an API: ints, or digit strings (YouTube)."""
    return _int_or_none(value)
