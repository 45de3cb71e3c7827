"""The five platforms' authorization servers and own-stats APIs, each in its documented dialect
(OAUTH.md): TikTok's ``client_key`` and wrapped user info, Google's string counts and refresh
without a new refresh token, Twitch's ``{"status","message"}`` errors and array scopes,
Instagram's wrapped exchange answer, long-lived GET exchange and Graph error 190, and X's HTTP
Basic client authentication."""

from __future__ import annotations

import secrets
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.oauth_server import (
    Exchange,
    FakeOAuthServer,
    FakeUser,
    Grant,
    IssuedToken,
    basic_credentials,
)
from tests.fakes.server import Reply, json_reply


class FakeTikTokOAuth(FakeOAuthServer):
    client_id, client_secret = "tiktok-client-key", "tiktok-secret"
    authorize_path, token_path, revoke_path = (
        "/v2/auth/authorize/",
        "/v2/oauth/token/",
        "/v2/oauth/revoke/",
    )
    client_param = "client_key"
    pkce_required = True
    access_seconds = 86400
    refresh_seconds = 31536000

    def exchange_of(self, request: Request, form: dict[str, str]) -> Exchange:
        return Exchange(form, form.get("client_key"), form.get("client_secret"))

    def error(self, code: str, description: str, status: int = 400) -> Reply:
        log_id = secrets.token_hex(8)
        return json_reply(
            {"error": code, "error_description": description, "log_id": log_id}, status
        )

    def token_body(self, access: str, refresh: str | None, grant: Grant | None) -> dict[str, Any]:
        body = super().token_body(access, refresh, grant)
        user = self.tokens[access].user
        body |= {"open_id": user.user_id, "refresh_expires_in": self.refresh_seconds}
        body["scope"] = "user.info.basic,user.info.profile,user.info.stats"
        return body

    def api_routes(self) -> list[Route]:
        return [Route("/v2/user/info/", self.user_info)]

    async def user_info(self, request: Request) -> Response:
        await self.record(request)
        user = self.bearer(request)
        if user is None:
            return json_reply(
                {
                    "data": {},
                    "error": {
                        "code": "access_token_invalid",
                        "message": "The access token is invalid or not found in the request.",
                        "log_id": secrets.token_hex(8),
                    },
                },
                401,
            ).response()
        return json_reply(
            {
                "data": {
                    "user": {
                        "open_id": user.user_id,
                        "username": user.username,
                        "display_name": user.display_name,
                        "avatar_url": f"https://p16.tiktokcdn.com/{user.username}.jpeg",
                        "follower_count": user.followers,
                        "following_count": user.following,
                        "likes_count": user.likes,
                        "video_count": user.content,
                    }
                },
                "error": {"code": "ok", "message": "", "log_id": secrets.token_hex(8)},
            }
        ).response()


class FakeGoogleOAuth(FakeOAuthServer):
    client_id, client_secret = "google-client.apps.googleusercontent.com", "google-secret"
    authorize_path, token_path, revoke_path = ("/o/oauth2/v2/auth", "/token", "/revoke")
    rotates_refresh = False
    access_seconds = 3599

    def error(self, code: str, description: str, status: int = 400) -> Reply:
        if code == "invalid_grant":
            description = "Token has been expired or revoked."
        return json_reply({"error": code, "error_description": description}, status)

    def api_routes(self) -> list[Route]:
        return [Route("/youtube/v3/channels", self.channels)]

    async def channels(self, request: Request) -> Response:
        await self.record(request)
        user = self.bearer(request)
        if user is None:
            return json_reply(
                {
                    "error": {
                        "code": 401,
                        "message": "Request had invalid authentication credentials.",
                        "status": "UNAUTHENTICATED",
                    }
                },
                401,
            ).response()
        if not user.has_channel:
            return json_reply({"kind": "youtube#channelListResponse", "items": []}).response()
        channel = {
            "kind": "youtube#channel",
            "id": user.user_id,
            "snippet": {
                "title": user.display_name,
                "description": "Videos every week.",
                "customUrl": f"@{user.username}",
                "thumbnails": {"high": {"url": f"https://yt3.ggpht.com/{user.username}"}},
            },
            "statistics": {
                "viewCount": "1234567",
                "subscriberCount": str(user.followers),
                "hiddenSubscriberCount": False,
                "videoCount": str(user.content),
            },
        }
        return json_reply({"kind": "youtube#channelListResponse", "items": [channel]}).response()


class FakeTwitchOAuth(FakeOAuthServer):
    client_id, client_secret = "twitch-oauth-client", "twitch-oauth-secret"
    authorize_path, token_path, revoke_path = (
        "/oauth2/authorize",
        "/oauth2/token",
        "/oauth2/revoke",
    )
    access_seconds = 14124

    def error(self, code: str, description: str, status: int = 400) -> Reply:
        message = {
            "invalid_grant": "Invalid refresh token"
            if "Refresh" in description
            else "Invalid authorization code",
            "invalid_client": "invalid client secret",
        }.get(code, description)
        return json_reply({"status": status, "message": message}, status)

    def token_body(self, access: str, refresh: str | None, grant: Grant | None) -> dict[str, Any]:
        body = super().token_body(access, refresh, grant)
        body["scope"] = ["user:read:email", "moderator:read:followers"]
        body["token_type"] = "bearer"
        return body

    def api_routes(self) -> list[Route]:
        return [
            Route("/helix/users", self.users),
            Route("/helix/channels/followers", self.followers),
        ]

    def _refused(self, request: Request) -> tuple[FakeUser | None, Response | None]:
        user = self.bearer(request)
        if user is None:
            return None, json_reply(
                {"error": "Unauthorized", "status": 401, "message": "Invalid OAuth token"}, 401
            ).response()
        if request.headers.get("client-id") != self.client_id:
            return None, json_reply(
                {
                    "error": "Unauthorized",
                    "status": 401,
                    "message": "Client ID and OAuth token do not match",
                },
                401,
            ).response()
        return user, None

    async def users(self, request: Request) -> Response:
        await self.record(request)
        user, refused = self._refused(request)
        if refused is not None or user is None:
            return refused  # type: ignore[return-value]
        return json_reply(
            {
                "data": [
                    {
                        "id": user.user_id,
                        "login": user.username,
                        "display_name": user.display_name,
                        "broadcaster_type": "affiliate",
                        "description": "Streaming most nights.",
                        "profile_image_url": f"https://static-cdn.jtvnw.net/{user.username}.png",
                    }
                ]
            }
        ).response()

    async def followers(self, request: Request) -> Response:
        await self.record(request)
        user, refused = self._refused(request)
        if refused is not None or user is None:
            return refused  # type: ignore[return-value]
        if request.query_params.get("broadcaster_id") != user.user_id:
            return json_reply({"status": 400, "message": "Invalid broadcaster_id"}, 400).response()
        return json_reply({"total": user.followers, "data": [], "pagination": {}}).response()


class FakeInstagramOAuth(FakeOAuthServer):
    """Both hosts in one server: api.instagram.com's code exchange and graph.instagram.com's
    long-lived token GETs and ``/me``."""

    client_id, client_secret = "990602627938098", "instagram-app-secret"
    authorize_path, token_path, revoke_path = (
        "/oauth/authorize",
        "/oauth/access_token",
        "/unused/revoke",
    )
    access_seconds = 3600
    long_seconds = 5183944
    code_suffix = "#_"
    wrapped = True  # documented shape; the flat one is accepted too

    def error(self, code: str, description: str, status: int = 400) -> Reply:
        message = (
            "Matching code was not found or was already used"
            if code == "invalid_grant"
            else description
        )
        return json_reply(
            {"error_type": "OAuthException", "code": status, "error_message": message}, status
        )

    def token_body(self, access: str, refresh: str | None, grant: Grant | None) -> dict[str, Any]:
        user = self.tokens[access].user
        body = {"access_token": access, "user_id": int(user.user_id), "permissions": "x"}
        return {"data": [body]} if self.wrapped else body

    def issue(
        self, user: FakeUser, grant: Grant | None, *, with_refresh: bool, family: str | None = None
    ) -> dict[str, Any]:
        return super().issue(user, grant, with_refresh=False, family=family)

    def api_routes(self) -> list[Route]:
        return [
            Route("/access_token", self.long_lived),
            Route("/refresh_access_token", self.refresh_long),
            Route("/v21.0/me", self.me),
        ]

    def _graph_error(self, message: str) -> Response:
        return json_reply(
            {
                "error": {
                    "message": message,
                    "type": "OAuthException",
                    "code": 190,
                    "error_subcode": 463,
                    "fbtrace_id": secrets.token_hex(6),
                }
            },
            400,
        ).response()

    def _long(self, user: FakeUser, family: str) -> dict[str, Any]:
        token = f"IGAA{secrets.token_hex(16)}"
        self.tokens[token] = IssuedToken(user, time.time() + self.long_seconds, family, "access")
        return {"access_token": token, "token_type": "bearer", "expires_in": self.long_seconds}

    async def long_lived(self, request: Request) -> Response:
        await self.record(request)
        q = request.query_params
        issued = self.tokens.get(q.get("access_token", ""))
        if (
            q.get("grant_type") != "ig_exchange_token"
            or q.get("client_secret") != self.client_secret
        ):
            return self._graph_error("Invalid OAuth access token - Cannot parse access token")
        if issued is None or issued.expires_at < time.time():
            return self._graph_error("Error validating access token: Session has expired")
        del self.tokens[q["access_token"]]
        return json_reply(self._long(issued.user, issued.family)).response()

    async def refresh_long(self, request: Request) -> Response:
        await self.record(request)
        return await self.answer("token", lambda: self._refresh_long(request))

    def _refresh_long(self, request: Request) -> Reply:
        self.refreshes += 1
        q = request.query_params
        issued = self.tokens.get(q.get("access_token", ""))
        if (
            q.get("grant_type") != "ig_refresh_token"
            or issued is None
            or (issued.expires_at < time.time())
        ):
            return Reply(
                400,
                {
                    "error": {
                        "message": "Error validating access token: Session has expired",
                        "type": "OAuthException",
                        "code": 190,
                    }
                },
            )
        return json_reply(self._long(issued.user, issued.family))

    async def me(self, request: Request) -> Response:
        await self.record(request)
        user = self.bearer(request)
        if user is None:
            return self._graph_error("Error validating access token: Session has expired")
        return json_reply(
            {
                "user_id": user.user_id,
                "username": user.username,
                "name": user.display_name,
                "account_type": "BUSINESS",
                "profile_picture_url": f"https://scontent.cdninstagram.com/{user.username}.jpg",
                "followers_count": user.followers,
                "follows_count": user.following,
                "media_count": user.content,
                "id": user.user_id,
            }
        ).response()


class FakeXOAuth(FakeOAuthServer):
    client_id, client_secret = "x-oauth-client", "x-oauth-secret"
    authorize_path, token_path, revoke_path = (
        "/i/oauth2/authorize",
        "/2/oauth2/token",
        "/2/oauth2/revoke",
    )
    pkce_required = True
    access_seconds = 7200

    def exchange_of(self, request: Request, form: dict[str, str]) -> Exchange:
        client_id, secret = basic_credentials(request)
        if client_id is None:  # a confidential client must use Basic
            return Exchange(form, None, None)
        if form.get("client_id") not in (None, client_id):
            return Exchange(form, None, None)
        return Exchange(form, client_id, secret, basic=True)

    def _token(self, ex: Exchange) -> Reply:
        if not ex.basic:
            return self.error("unauthorized_client", "Missing valid authorization header", 401)
        return super()._token(ex)

    def error(self, code: str, description: str, status: int = 400) -> Reply:
        if code == "invalid_grant":  # X says invalid_request for a bad code or refresh token
            what = "authorization code" if "code" in description.lower() else "token"
            code, description = "invalid_request", f"Value passed for the {what} was invalid."
        return json_reply({"error": code, "error_description": description}, status)

    async def revoke(self, request: Request) -> Response:
        await super().revoke(request)
        return json_reply({"revoked": True}).response()

    def api_routes(self) -> list[Route]:
        return [Route("/2/users/me", self.me)]

    async def me(self, request: Request) -> Response:
        await self.record(request)
        user = self.bearer(request)
        if user is None:
            return json_reply(
                {
                    "title": "Unauthorized",
                    "type": "about:blank",
                    "status": 401,
                    "detail": "Unauthorized",
                },
                401,
            ).response()
        return json_reply(
            {
                "data": {
                    "id": user.user_id,
                    "name": user.display_name,
                    "username": user.username,
                    "public_metrics": {
                        "followers_count": user.followers,
                        "following_count": user.following,
                        "tweet_count": user.content,
                        "listed_count": 3,
                        "like_count": user.likes,
                    },
                }
            }
        ).response()
