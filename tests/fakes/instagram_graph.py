"""Instagram Graph API ``business_discovery`` on ``/{ig-user-id}?fields=…``: the business account
with its media, 400 code 110 / subcode 2207013 for personal or unknown accounts, 190 for a bad
token, and the ``X-App-Usage`` / ``X-Business-Use-Case-Usage`` headers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.server import FakeProvider, Reply, json_reply

GRAPH_TOKEN = "graph-test-token"
GRAPH_USER_ID = "17841400000000000"
_USERNAME = re.compile(r"business_discovery\.username\(([^)]*)\)")


def meta_error(code: int, message: str, subcode: int | None = None, status: int = 400) -> Reply:
    error: dict[str, object] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AbCdEf",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
        error["is_transient"] = False
        error["error_user_title"] = "Cannot find User"
        error["error_user_msg"] = "The user with username: x cannot be found."
    return json_reply({"error": error}, status)


def not_business_or_missing() -> Reply:
    return meta_error(110, "Invalid user id", 2207013)


def rate_limited(regain_minutes: int = 30) -> Reply:
    reply = meta_error(4, "Application request limit reached")
    reply.headers = {
        "x-app-usage": orjson.dumps(
            {"call_count": 100, "total_cputime": 12, "total_time": 20}
        ).decode(),
        "x-business-use-case-usage": orjson.dumps(
            {
                GRAPH_USER_ID: [
                    {
                        "type": "instagram",
                        "call_count": 100,
                        "total_cputime": 5,
                        "total_time": 8,
                        "estimated_time_to_regain_access": regain_minutes,
                    }
                ]
            }
        ).decode(),
    }
    return reply


@dataclass
class BusinessAccount:
    username: str
    id: str
    name: str = "Brand Co"
    followers: int = 267793
    follows: int = 120
    media_count: int = 1205
    # (likes or None when hidden, comments)
    media: list[tuple[int | None, int]] = field(
        default_factory=lambda: [(5000, 120), (4000, 80), (6000, 200)]
    )


class FakeInstagramGraph(FakeProvider):
    def __init__(self) -> None:
        super().__init__()
        self.accounts: dict[str, BusinessAccount] = {}

    def add(self, username: str, **fields: object) -> BusinessAccount:
        account = BusinessAccount(
            username=username.lower(),
            id=str(17841401000000000 + len(self.accounts)),
            **fields,  # type: ignore[arg-type]  # a test overrides any of the fake's fields by name
        )
        self.accounts[account.username] = account
        return account

    def routes(self) -> list[Route]:
        return [Route("/v25.0/{ig_user_id}", self.node)]

    async def node(self, request: Request) -> Response:
        await self.record(request)
        match = _USERNAME.search(request.query_params.get("fields", ""))
        username = match.group(1) if match else ""
        token = request.headers.get("authorization", "").removeprefix("Bearer ") or (
            request.query_params.get("access_token") or ""
        )
        if token != GRAPH_TOKEN:
            return await self.answer(
                username,
                lambda: meta_error(190, "Invalid OAuth access token - Cannot parse access token"),
            )
        if request.path_params["ig_user_id"] != GRAPH_USER_ID:
            return meta_error(
                100, "Unsupported get request. Object with ID does not exist", status=400
            ).response()
        return await self.answer(username, lambda: self._discover(username))

    def _discover(self, username: str) -> Reply:
        account = self.accounts.get(username.lower())
        if account is None:
            return not_business_or_missing()
        media = []
        for i, (likes, comments) in enumerate(account.media):
            item: dict[str, object] = {
                "id": f"{account.id}{i}",
                "comments_count": comments,
                "timestamp": "2025-01-01T00:00:00+0000",
                "media_type": "IMAGE",
                "permalink": f"https://www.instagram.com/p/B{i}/",
            }
            if likes is not None:
                item["like_count"] = likes
            media.append(item)
        return json_reply(
            {
                "business_discovery": {
                    "id": account.id,
                    "username": account.username,
                    "name": account.name,
                    "biography": "We make things.",
                    "profile_picture_url": f"https://scontent.xx.fbcdn.net/{account.id}.jpg",
                    "website": "https://example.com",
                    "followers_count": account.followers,
                    "follows_count": account.follows,
                    "media_count": account.media_count,
                    "media": {
                        "data": media,
                        "paging": {"cursors": {"before": "QVFIUk", "after": "QVFIUl"}},
                    },
                },
                "id": GRAPH_USER_ID,
            },
            headers={
                "x-app-usage": '{"call_count":1,"total_cputime":1,"total_time":1}',
            },
        )
