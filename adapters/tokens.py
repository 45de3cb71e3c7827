"""Signed JWTs: short-lived access tokens and rotating refresh tokens, kept apart by ``typ``.

The algorithm is pinned (HS256), and ``exp``, ``iat``, ``iss``, ``aud``, ``sub`` and ``typ`` are all
required on decode, so an ``alg=none`` token, a token for another audience, or a refresh token sent
as an access token is refused.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Literal

import jwt

ALGORITHM = "HS256"
TokenType = Literal["access", "refresh"]


class InvalidTokenError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: int
    token_type: TokenType
    expires_at: int
    jti: str | None = None
    family: str | None = None


class TokenIssuer:
    def __init__(
        self,
        secret: str,
        issuer: str,
        audience: str,
        access_seconds: int,
        refresh_seconds: int,
    ) -> None:
        self._secret = secret
        self._issuer = issuer
        self._audience = audience
        self.access_seconds = access_seconds
        self.refresh_seconds = refresh_seconds

    def issue_access(self, user_id: int) -> str:
        return self._encode(user_id, "access", self.access_seconds, {})

    def issue_refresh(self, user_id: int, family: str) -> tuple[str, str, int]:
        """Returns the token, its id (jti) and its expiry (epoch seconds)."""
        jti = secrets.token_urlsafe(24)
        token = self._encode(user_id, "refresh", self.refresh_seconds, {"jti": jti, "fam": family})
        return token, jti, int(time.time()) + self.refresh_seconds

    def decode(self, token: str, expected: TokenType) -> TokenClaims:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["exp", "iat", "iss", "aud", "sub", "typ"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidTokenError("The token has expired.") from exc
        except jwt.PyJWTError as exc:
            raise InvalidTokenError("The token is invalid.") from exc
        if claims.get("typ") != expected:
            raise InvalidTokenError(
                f"This is not an {expected} token."
                if expected == "access"
                else f"This is not a {expected} token."
            )
        try:
            user_id = int(claims["sub"])
        except (TypeError, ValueError) as exc:
            raise InvalidTokenError("The token is invalid.") from exc
        jti, family = claims.get("jti"), claims.get("fam")
        if expected == "refresh" and not (isinstance(jti, str) and isinstance(family, str)):
            raise InvalidTokenError("The token is invalid.")
        return TokenClaims(user_id, expected, int(claims["exp"]), jti, family)

    def _encode(self, user_id: int, typ: TokenType, lifetime: int, extra: dict[str, str]) -> str:
        now = int(time.time())
        payload = {
            "sub": str(user_id),
            "typ": typ,
            "iss": self._issuer,
            "aud": self._audience,
            "iat": now,
            "exp": now + lifetime,
            **extra,
        }
        return jwt.encode(payload, self._secret, algorithm=ALGORITHM)
