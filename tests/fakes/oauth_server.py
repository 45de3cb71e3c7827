"""The machinery every fake authorization server shares: a consent step that answers at once
(as the user the test chose, or a refusal), single-use codes bound to the redirect URI and the
PKCE challenge, access and refresh tokens with lifetimes, rotation and revocation, and the
bearer check of the platform's "my own stats" API. Subclasses (oauth_platforms.py) speak each
platform's parameter names, client authentication, bodies and error formats (OAUTH.md).

Scripts work as in the provider fakes: ``fake.script("token", Reply(status=500))`` makes the
next token request answer that instead.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from abc import abstractmethod
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from tests.fakes.server import FakeProvider, Reply, json_reply


@dataclass
class FakeUser:
    """A platform account that can consent, with the numbers its own-stats API reports."""

    user_id: str
    username: str
    display_name: str
    followers: int
    following: int = 12
    content: int = 34
    likes: int = 5600
    has_channel: bool = True  # a Google account without a YouTube channel answers no items


@dataclass
class Grant:
    user: FakeUser
    redirect_uri: str
    challenge: str | None
    scope: str
    used: bool = False


@dataclass
class IssuedToken:
    user: FakeUser
    expires_at: float
    family: str
    kind: str  # "access" or "refresh"


@dataclass
class Exchange:
    """One token request as the fake understood it."""

    form: dict[str, str]
    client_id: str | None
    client_secret: str | None
    basic: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class FakeOAuthServer(FakeProvider):
    client_id: str
    client_secret: str
    authorize_path: str
    token_path: str
    revoke_path: str
    client_param = "client_id"
    pkce_required = False
    rotates_refresh = True
    access_seconds = 3600
    refresh_seconds: int | None = None
    code_suffix = ""

    def __init__(self) -> None:
        super().__init__()
        self.consenting: FakeUser | None = None
        self.deny = False
        self.grants: dict[str, Grant] = {}
        self.tokens: dict[str, IssuedToken] = {}
        self.revoked: list[str] = []
        self.refreshes = 0
        self.exchanges = 0

    # -- what tests steer ------------------------------------------------------------------
    def consent_as(self, user: FakeUser) -> None:
        self.consenting, self.deny = user, False

    def refuse_consent(self) -> None:
        self.deny = True

    def expire(self, token: str) -> None:
        self.tokens[token].expires_at = 0

    def revoke_all(self, user: FakeUser) -> None:
        for token, issued in list(self.tokens.items()):
            if issued.user is user:
                del self.tokens[token]

    def live_tokens(self, user: FakeUser) -> list[str]:
        return [t for t, i in self.tokens.items() if i.user is user and i.expires_at > time.time()]

    # -- the platform's endpoints -----------------------------------------------------------
    def routes(self) -> list[Route]:
        return [
            Route(self.authorize_path, self.authorize, methods=["GET"]),
            Route(self.token_path, self.token, methods=["POST"]),
            Route(self.revoke_path, self.revoke, methods=["POST"]),
            *self.api_routes(),
        ]

    @abstractmethod
    def api_routes(self) -> list[Route]:
        """The own-stats API (and Instagram's token GETs)."""

    @abstractmethod
    def error(self, code: str, description: str, status: int = 400) -> Reply:
        """An error of the token endpoint, in the platform's format."""

    def token_body(self, access: str, refresh: str | None, grant: Grant | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "access_token": access,
            "expires_in": self.access_seconds,
            "token_type": "Bearer",
            "scope": grant.scope if grant else "",
        }
        if refresh is not None:
            body["refresh_token"] = refresh
        return body

    def exchange_of(self, request: Request, form: dict[str, str]) -> Exchange:
        return Exchange(form, form.get("client_id"), form.get("client_secret"))

    async def authorize(self, request: Request) -> Response:
        await self.record(request)
        q = request.query_params
        redirect_uri, state = q.get("redirect_uri", ""), q.get("state", "")
        if q.get(self.client_param) != self.client_id or q.get("response_type") != "code":
            return json_reply({"error": "invalid_client"}, 400).response()
        if self.deny:
            self.deny = False
            query = {
                "error": "access_denied",
                "error_description": "The user denied",
                "state": state,
            }
            return RedirectResponse(f"{redirect_uri}?{urlencode(query)}", 302)
        challenge = q.get("code_challenge")
        if self.pkce_required and (not challenge or q.get("code_challenge_method") != "S256"):
            return json_reply(
                {"error": "invalid_request", "error_description": "PKCE"}, 400
            ).response()
        assert self.consenting is not None, "call fake.consent_as(user) first"
        code = secrets.token_urlsafe(24)
        self.grants[code] = Grant(self.consenting, redirect_uri, challenge, q.get("scope", ""))
        query = {"code": code, "state": state}
        return RedirectResponse(f"{redirect_uri}?{urlencode(query)}{self.code_suffix}", 302)

    async def token(self, request: Request) -> Response:
        await self.record(request)
        form = dict(parse_qsl((await request.body()).decode()))
        exchange = self.exchange_of(request, form)
        return await self.answer("token", lambda: self._token(exchange))

    def _token(self, ex: Exchange) -> Reply:
        if ex.client_id != self.client_id or ex.client_secret != self.client_secret:
            return self.error("invalid_client", "Client authentication failed", 401)
        grant_type = ex.form.get("grant_type")
        if grant_type == "authorization_code":
            return self._code_grant(ex.form)
        if grant_type == "refresh_token":
            return self._refresh_grant(ex.form)
        return self.error("unsupported_grant_type", "grant_type")

    def _code_grant(self, form: dict[str, str]) -> Reply:
        self.exchanges += 1
        grant = self.grants.get(form.get("code", ""))
        if grant is None or grant.used:
            if grant is not None:  # a code used twice: revoke what it issued (RFC 6749 4.1.2)
                self.revoke_all(grant.user)
            return self.error("invalid_grant", "Authorization code is invalid or was already used")
        if form.get("redirect_uri") != grant.redirect_uri:
            return self.error("invalid_grant", "redirect_uri does not match")
        if grant.challenge is not None and not _pkce_ok(grant.challenge, form.get("code_verifier")):
            return self.error("invalid_grant", "code_verifier does not match")
        grant.used = True
        return json_reply(self.issue(grant.user, grant, with_refresh=True))

    def _refresh_grant(self, form: dict[str, str]) -> Reply:
        self.refreshes += 1
        token = form.get("refresh_token", "")
        issued = self.tokens.get(token)
        if issued is None or issued.kind != "refresh" or issued.expires_at < time.time():
            return self.error("invalid_grant", "Refresh token is invalid or expired")
        if self.rotates_refresh:
            del self.tokens[token]
            return json_reply(
                self.issue(issued.user, None, with_refresh=True, family=issued.family)
            )
        return json_reply(self.issue(issued.user, None, with_refresh=False, family=issued.family))

    def issue(
        self, user: FakeUser, grant: Grant | None, *, with_refresh: bool, family: str | None = None
    ) -> dict[str, Any]:
        family = family or secrets.token_hex(4)
        access = f"{type(self).__name__[4:8].lower()}-act-{secrets.token_hex(12)}"
        self.tokens[access] = IssuedToken(user, time.time() + self.access_seconds, family, "access")
        refresh = None
        if with_refresh:
            refresh = f"rft-{secrets.token_hex(16)}"
            lifetime = self.refresh_seconds or 180 * 86400
            self.tokens[refresh] = IssuedToken(user, time.time() + lifetime, family, "refresh")
        return self.token_body(access, refresh, grant)

    async def revoke(self, request: Request) -> Response:
        await self.record(request)
        form = dict(parse_qsl((await request.body()).decode()))
        token = form.get("token", "")
        issued = self.tokens.pop(token, None)
        if issued is not None:
            self.revoked.append(token)
            for other, i in list(self.tokens.items()):
                if i.family == issued.family:
                    del self.tokens[other]
        return await self.answer("revoke", lambda: json_reply({}))

    def bearer(self, request: Request, prefix: str = "bearer") -> FakeUser | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        issued = self.tokens.get(token) if scheme.lower() == prefix else None
        if issued is None or issued.kind != "access" or issued.expires_at < time.time():
            return None
        return issued.user


def _pkce_ok(challenge: str, verifier: str | None) -> bool:
    """S256: base64url of SHA-256 (RFC 7636), or hex as TikTok documents it."""
    if not verifier:
        return False
    digest = hashlib.sha256(verifier.encode()).digest()
    return challenge in (base64.urlsafe_b64encode(digest).rstrip(b"=").decode(), digest.hex())


def basic_credentials(request: Request) -> tuple[str | None, str | None]:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None, None
    client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
    return client_id, secret
