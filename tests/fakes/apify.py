"""Apify's run-sync-get-dataset-items for apify~instagram-profile-scraper: a JSON array of items,
``[]`` for an unknown username, 401 for a bad token, 402 when the month's usage is spent."""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.server import FakeProvider, Reply, json_reply

APIFY_TOKEN = "apify-test-token"


def usage_exhausted() -> Reply:
    return json_reply(
        {
            "error": {
                "type": "platform-feature-disabled",
                "message": "Monthly usage hard limit exceeded",
            }
        },
        402,
    )


@dataclass
class InstagramProfile:
    username: str
    id: str
    full_name: str = "Insta Gram"
    followers: int = 15925
    follows: int = 512
    posts_count: int = 240
    private: bool = False
    verified: bool = False
    # (likes, comments); likes -1 when the creator hides them
    posts: list[tuple[int, int]] = field(default_factory=lambda: [(400, 40), (300, 30), (500, 50)])


class FakeApify(FakeProvider):
    def __init__(self) -> None:
        super().__init__()
        self.profiles: dict[str, InstagramProfile] = {}

    def add(self, username: str, **fields: object) -> InstagramProfile:
        profile = InstagramProfile(
            username=username.lower(),
            id=str(787132 + len(self.profiles)),
            **fields,  # type: ignore[arg-type]  # a test overrides any of the fake's fields by name
        )
        self.profiles[profile.username] = profile
        return profile

    def routes(self) -> list[Route]:
        return [
            Route("/v2/acts/{actor}/run-sync-get-dataset-items", self.run_sync, methods=["POST"])
        ]

    async def run_sync(self, request: Request) -> Response:
        await self.record(request)
        try:
            usernames = orjson.loads(await request.body()).get("usernames") or []
        except (orjson.JSONDecodeError, AttributeError):
            return json_reply(
                {"error": {"type": "invalid-input", "message": "Input is not valid JSON"}}, 400
            ).response()
        handle = usernames[0] if usernames else ""
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if (token or request.query_params.get("token")) != APIFY_TOKEN:
            return await self.answer(
                handle,
                lambda: json_reply(
                    {
                        "error": {
                            "type": "token-not-valid",
                            "message": "Authentication token is not valid.",
                        }
                    },
                    401,
                ),
            )
        if request.path_params["actor"] != "apify~instagram-profile-scraper":
            return json_reply(
                {"error": {"type": "record-not-found", "message": "Actor was not found"}}, 404
            ).response()
        return await self.answer(handle, lambda: self._items(usernames))

    def _items(self, usernames: list[str]) -> Reply:
        items = []
        for name in usernames:
            profile = self.profiles.get(name.lower())
            if profile is None:
                continue
            items.append(
                {
                    "inputUrl": f"https://www.instagram.com/{profile.username}",
                    "id": profile.id,
                    "username": profile.username,
                    "url": f"https://www.instagram.com/{profile.username}",
                    "fullName": profile.full_name,
                    "biography": "Photos from everywhere.",
                    "externalUrl": None,
                    "followersCount": profile.followers,
                    "followsCount": profile.follows,
                    "hasChannel": False,
                    "highlightReelCount": 3,
                    "isBusinessAccount": False,
                    "private": profile.private,
                    "verified": profile.verified,
                    "profilePicUrl": f"https://scontent.cdninstagram.com/{profile.id}_s150.jpg",
                    "profilePicUrlHD": f"https://scontent.cdninstagram.com/{profile.id}_s320.jpg",
                    "postsCount": profile.posts_count,
                    "latestPosts": [
                        {
                            "id": f"{profile.id}{i}",
                            "type": "Image",
                            "shortCode": f"C{i}",
                            "url": f"https://www.instagram.com/p/C{i}/",
                            "likesCount": likes,
                            "commentsCount": comments,
                            "videoViewCount": None,
                            "timestamp": "2025-01-01T00:00:00.000Z",
                        }
                        for i, (likes, comments) in enumerate(profile.posts)
                    ],
                }
            )
        return json_reply(items)
