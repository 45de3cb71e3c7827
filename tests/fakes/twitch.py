"""Twitch: the client-credentials token endpoint and Helix ``users`` / ``channels/followers``,
with ``Ratelimit-*`` headers, ``{"data": []}`` for an unknown login and 401 for a bad token."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.server import FakeProvider, Reply, json_reply

CLIENT_ID = "twitch-test-client"
CLIENT_SECRET = "twitch-test-secret"


@dataclass
class Channel:
    login: str
    id: str
    display_name: str
    followers: int = 4200
    broadcaster_type: str = "partner"
    description: str = "Streaming most nights."
    view_count: int | None = None


class FakeTwitch(FakeProvider):
    def __init__(self) -> None:
        super().__init__()
        self.channels: dict[str, Channel] = {}
        self.tokens: set[str] = set()
        self.token_requests = 0
        self.expires_in = 5011271

    def add(self, login: str, **fields: object) -> Channel:
        channel = Channel(
            login=login.lower(),
            id=str(100000 + len(self.channels)),
            display_name=login,
            **fields,  # type: ignore[arg-type]  # a test overrides any of the fake's fields by name
        )
        self.channels[channel.login] = channel
        return channel

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    def routes(self) -> list[Route]:
        return [
            Route("/oauth2/token", self.token, methods=["POST"]),
            Route("/helix/users", self.users),
            Route("/helix/channels/followers", self.followers),
        ]

    def _limits(self) -> dict[str, str]:
        return {
            "Ratelimit-Limit": "800",
            "Ratelimit-Remaining": "799",
            "Ratelimit-Reset": str(int(time.time()) + 60),
        }

    async def token(self, request: Request) -> Response:
        await self.record(request)
        self.token_requests += 1
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        if form.get("client_id") != CLIENT_ID:
            return json_reply({"status": 400, "message": "invalid client"}, 400).response()
        if form.get("client_secret") != CLIENT_SECRET:
            return json_reply({"status": 403, "message": "invalid client secret"}, 403).response()
        if form.get("grant_type") != "client_credentials":
            return json_reply({"status": 400, "message": "unsupported grant type"}, 400).response()
        token = secrets.token_hex(15)
        self.tokens.add(token)
        return json_reply(
            {"access_token": token, "expires_in": self.expires_in, "token_type": "bearer"}
        ).response()

    def _authorized(self, request: Request) -> Reply | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or token not in self.tokens:
            return json_reply(
                {"error": "Unauthorized", "status": 401, "message": "Invalid OAuth token"},
                401,
                {"WWW-Authenticate": 'OAuth realm="TwitchTV", error="invalid_token"'},
            )
        if request.headers.get("client-id") != CLIENT_ID:
            return json_reply(
                {
                    "error": "Unauthorized",
                    "status": 401,
                    "message": "Client ID and OAuth token do not match",
                },
                401,
            )
        return None

    async def users(self, request: Request) -> Response:
        await self.record(request)
        login = request.query_params.get("login", "").lower()
        refused = self._authorized(request)
        if refused is not None:
            return refused.response()
        return await self.answer(login, lambda: self._user_reply(login))

    def _user_reply(self, login: str) -> Reply:
        channel = self.channels.get(login)
        data = []
        if channel is not None:
            user: dict[str, object] = {
                "id": channel.id,
                "login": channel.login,
                "display_name": channel.display_name,
                "type": "",
                "broadcaster_type": channel.broadcaster_type,
                "description": channel.description,
                "profile_image_url": f"https://static-cdn.jtvnw.net/{channel.login}-300x300.png",
                "offline_image_url": "",
                "created_at": "2016-12-14T20:32:28Z",
            }
            if channel.view_count is not None:
                user["view_count"] = channel.view_count
            data.append(user)
        return json_reply({"data": data}, headers=self._limits())

    async def followers(self, request: Request) -> Response:
        await self.record(request)
        refused = self._authorized(request)
        if refused is not None:
            return refused.response()
        broadcaster = request.query_params.get("broadcaster_id", "")
        channel = next((c for c in self.channels.values() if c.id == broadcaster), None)
        if channel is None:
            return json_reply(
                {"error": "Bad Request", "status": 400, "message": "Invalid broadcaster_id"}, 400
            ).response()
        return json_reply(
            {"total": channel.followers, "data": [], "pagination": {}}, headers=self._limits()
        ).response()
