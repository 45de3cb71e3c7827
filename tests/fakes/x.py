"""X API v2 user lookup: ``data`` on success, a 200 with ``errors`` for an unknown username,
``x-rate-limit-*`` headers, and the two kinds of 429 (window limit, monthly usage cap)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.server import FakeProvider, Reply, json_reply

BEARER = "x-test-bearer"


def usage_capped() -> Reply:
    return json_reply(
        {
            "account_id": 1234567890,
            "product_name": "standard-basic",
            "title": "UsageCapExceeded",
            "period": "Monthly",
            "scope": "Product",
            "detail": "Usage cap exceeded: Monthly product cap",
            "type": "https://api.twitter.com/2/problems/usage-capped",
        },
        429,
    )


def too_many_requests(retry_after: int | None = None) -> Reply:
    headers = {
        "x-rate-limit-limit": "100",
        "x-rate-limit-remaining": "0",
        "x-rate-limit-reset": str(int(time.time()) + 900),
    }
    if retry_after is not None:
        headers["retry-after"] = str(retry_after)
    return json_reply(
        {
            "title": "Too Many Requests",
            "detail": "Too Many Requests",
            "type": "about:blank",
            "status": 429,
        },
        429,
        headers,
    )


@dataclass
class User:
    username: str
    id: str
    name: str = "Someone"
    followers: int = 5100
    following: int = 300
    tweets: int = 12000
    likes_given: int = 45000
    verified: bool = False
    verified_type: str = "none"


class FakeX(FakeProvider):
    def __init__(self) -> None:
        super().__init__()
        self.users: dict[str, User] = {}

    def add(self, username: str, **fields: object) -> User:
        user = User(username=username, id=str(2244994945 + len(self.users)), **fields)  # type: ignore[arg-type]  # a test overrides any of the fake's fields by name
        self.users[username.lower()] = user
        return user

    def routes(self) -> list[Route]:
        return [Route("/2/users/by/username/{username}", self.by_username)]

    async def by_username(self, request: Request) -> Response:
        await self.record(request)
        username = request.path_params["username"]
        if request.headers.get("authorization") != f"Bearer {BEARER}":
            return await self.answer(
                username,
                lambda: json_reply(
                    {
                        "title": "Unauthorized",
                        "type": "about:blank",
                        "status": 401,
                        "detail": "Unauthorized",
                    },
                    401,
                ),
            )
        return await self.answer(username, lambda: self._reply(username))

    def _reply(self, username: str) -> Reply:
        headers = {
            "x-rate-limit-limit": "100",
            "x-rate-limit-remaining": "99",
            "x-rate-limit-reset": str(int(time.time()) + 900),
        }
        user = self.users.get(username.lower())
        if user is None:
            return json_reply(
                {
                    "errors": [
                        {
                            "value": username,
                            "detail": f"Could not find user with username: [{username}].",
                            "title": "Not Found Error",
                            "resource_type": "user",
                            "parameter": "username",
                            "resource_id": username,
                            "type": "https://api.twitter.com/2/problems/resource-not-found",
                        }
                    ]
                },
                headers=headers,
            )
        return json_reply(
            {
                "data": {
                    "id": user.id,
                    "name": user.name,
                    "username": user.username,
                    "description": "Posting things.",
                    "profile_image_url": f"https://pbs.twimg.com/{user.id}_normal.jpg",
                    "verified": user.verified,
                    "verified_type": user.verified_type,
                    "created_at": "2009-03-01T00:00:00.000Z",
                    "public_metrics": {
                        "followers_count": user.followers,
                        "following_count": user.following,
                        "tweet_count": user.tweets,
                        "listed_count": 12,
                        "like_count": user.likes_given,
                        "media_count": 345,
                    },
                }
            },
            headers=headers,
        )
