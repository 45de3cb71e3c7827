"""RapidAPI-hosted scrapers: tiktok-api23, twitter241 and twitch-scraper2, behind RapidAPI's
gateway behaviour — the key and host headers, the plan-quota headers on every answer, and its
``{"message": …}`` errors (401 bad key, 403 not subscribed, 429 monthly quota or too many)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.server import FakeProvider, Reply, json_reply

RAPIDAPI_KEY = "rapidapi-test-key"


def monthly_quota(reset_seconds: int = 1) -> Reply:
    return json_reply(
        {
            "message": "You have exceeded the MONTHLY quota for Requests on your current plan, "
            "BASIC. Upgrade your plan at https://rapidapi.com/Lundehund/api/tiktok-api23"
        },
        429,
        {
            "x-ratelimit-requests-limit": "500",
            "x-ratelimit-requests-remaining": "0",
            "x-ratelimit-requests-reset": str(reset_seconds),
        },
    )


def too_many_requests(retry_after: int | None = None) -> Reply:
    headers = {"x-ratelimit-limit": "5", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1"}
    if retry_after is not None:
        headers["retry-after"] = str(retry_after)
    return json_reply({"message": "Too many requests"}, 429, headers)


class FakeRapidApi(FakeProvider, ABC):
    host: str
    path: str
    param: str

    def __init__(self) -> None:
        super().__init__()
        self.remaining = 499
        # Further keys the gateway accepts, whose monthly quota is already used up.
        self.spent_keys: set[str] = set()

    def routes(self) -> list[Route]:
        return [Route(self.path, self.lookup)]

    def _plan(self) -> dict[str, str]:
        return {
            "x-ratelimit-requests-limit": "500",
            "x-ratelimit-requests-remaining": str(self.remaining),
            "x-ratelimit-requests-reset": "2419200",
        }

    async def lookup(self, request: Request) -> Response:
        await self.record(request)
        handle = request.query_params.get(self.param, "")
        key = request.headers.get("x-rapidapi-key")
        if not key:
            return await self.answer(
                handle,
                lambda: json_reply(
                    {
                        "message": "Invalid API key. Go to https://docs.rapidapi.com/docs/keys "
                        "for more info."
                    },
                    401,
                ),
            )
        if key in self.spent_keys and request.headers.get("x-rapidapi-host") == self.host:
            return await self.answer(handle, lambda: monthly_quota(reset_seconds=3600))
        if key != RAPIDAPI_KEY or request.headers.get("x-rapidapi-host") != self.host:
            return await self.answer(
                handle, lambda: json_reply({"message": "You are not subscribed to this API."}, 403)
            )
        return await self.answer(handle, lambda: self._found(handle))

    def _found(self, handle: str) -> Reply:
        reply = self.normal(handle.lower())
        reply.headers = {**self._plan(), **reply.headers}
        return reply

    @abstractmethod
    def normal(self, handle: str) -> Reply:
        """The API's answer for an existing account."""


@dataclass
class TikTokUser:
    unique_id: str
    id: str
    nickname: str = "Tik Toker"
    followers: int = 427682
    following: int = 120
    hearts: int = 9_876_543
    videos: int = 321
    verified: bool = True
    private: bool = False
    stats_v2: bool = True  # False: only the rounded ``stats`` block is sent


class FakeTikTokApi23(FakeRapidApi):
    host = "tiktok-api23.p.rapidapi.com"
    path = "/api/user/info"
    param = "uniqueId"

    def __init__(self) -> None:
        super().__init__()
        self.users: dict[str, TikTokUser] = {}

    def add(self, unique_id: str, **fields: object) -> TikTokUser:
        user = TikTokUser(
            unique_id=unique_id.lower(), id=str(6800000000000000000 + len(self.users)), **fields
        )
        self.users[user.unique_id] = user
        return user

    def normal(self, handle: str) -> Reply:
        user = self.users.get(handle)
        if user is None:
            return json_reply(
                {
                    "extra": {"now": 1},
                    "statusCode": 10202,
                    "status_code": 10202,
                    "status_msg": "user not exist",
                }
            )
        rounded = round(user.followers, -2)
        body: dict[str, object] = {
            "extra": {"fatal_item_ids": [], "logid": "x", "now": 1},
            "log_pb": {"impr_id": "x"},
            "shareMeta": {"desc": "", "title": user.nickname},
            "statusCode": 0,
            "status_code": 0,
            "status_msg": "",
            "userInfo": {
                "user": {
                    "id": user.id,
                    "uniqueId": user.unique_id,
                    "nickname": user.nickname,
                    "avatarLarger": f"https://p16.tiktokcdn.com/{user.id}~c5_1080x1080.jpeg",
                    "avatarMedium": f"https://p16.tiktokcdn.com/{user.id}~c5_720x720.jpeg",
                    "avatarThumb": f"https://p16.tiktokcdn.com/{user.id}~c5_100x100.jpeg",
                    "signature": "dance · food · travel",
                    "verified": user.verified,
                    "secUid": "MS4wLjABAAAA" + user.id,
                    "privateAccount": user.private,
                    "region": "US",
                },
                "stats": {
                    "followerCount": rounded,
                    "followingCount": user.following,
                    "heart": user.hearts,
                    "heartCount": user.hearts,
                    "videoCount": user.videos,
                    "diggCount": 0,
                    "friendCount": 10,
                },
            },
        }
        if user.stats_v2:
            body["userInfo"]["statsV2"] = {  # type: ignore[index]  # body is dict[str, object]; its userInfo is a dict
                "followerCount": str(user.followers),
                "followingCount": str(user.following),
                "heart": str(user.hearts),
                "heartCount": str(user.hearts),
                "videoCount": str(user.videos),
                "diggCount": "0",
                "friendCount": "10",
            }
        return json_reply(body)


@dataclass
class TwitterUser:
    screen_name: str
    rest_id: str
    name: str = "Tweeter"
    followers: int = 8800
    friends: int = 410
    statuses: int = 23000
    blue: bool = True
    legacy_only: bool = False  # the older shape: name, handle and avatar in ``legacy``


class FakeTwitter241(FakeRapidApi):
    host = "twitter241.p.rapidapi.com"
    path = "/user"
    param = "username"

    def __init__(self) -> None:
        super().__init__()
        self.users: dict[str, TwitterUser] = {}

    def add(self, screen_name: str, **fields: object) -> TwitterUser:
        user = TwitterUser(
            screen_name=screen_name, rest_id=str(44196397 + len(self.users)), **fields
        )
        self.users[screen_name.lower()] = user
        return user

    def normal(self, handle: str) -> Reply:
        user = self.users.get(handle)
        if user is None:
            return json_reply({"result": {"data": {"user": {}}}})
        legacy: dict[str, object] = {
            "followers_count": user.followers,
            "friends_count": user.friends,
            "statuses_count": user.statuses,
            "favourites_count": 99999,
            "media_count": 120,
            "description": "Tweets about things.",
            "protected": False,
        }
        result: dict[str, object] = {
            "__typename": "User",
            "rest_id": user.rest_id,
            "is_blue_verified": user.blue,
            "legacy": legacy,
        }
        avatar = f"https://pbs.twimg.com/profile_images/{user.rest_id}_normal.jpg"
        if user.legacy_only:
            legacy.update(
                name=user.name, screen_name=user.screen_name, profile_image_url_https=avatar
            )
        else:
            result["core"] = {
                "name": user.name,
                "screen_name": user.screen_name,
                "created_at": "Tue Jun 02 20:12:29 +0000 2009",
            }
            result["avatar"] = {"image_url": avatar}
        return json_reply({"result": {"data": {"user": {"result": result}}}})


@dataclass
class ScrapedChannel:
    login: str
    id: str
    display_name: str = "Streamer"
    followers: int = 15000
    partner: bool = False
    extra: dict[str, object] = field(default_factory=dict)


class FakeTwitchScraper2(FakeRapidApi):
    host = "twitch-scraper2.p.rapidapi.com"
    path = "/api/channels/info"
    param = "channel"

    def __init__(self) -> None:
        super().__init__()
        self.channels: dict[str, ScrapedChannel] = {}

    def add(self, login: str, **fields: object) -> ScrapedChannel:
        channel = ScrapedChannel(
            login=login.lower(), id=str(71092938 + len(self.channels)), **fields
        )
        self.channels[channel.login] = channel
        return channel

    def normal(self, handle: str) -> Reply:
        channel = self.channels.get(handle)
        if channel is None:
            return json_reply({"data": {"user": None}})
        return json_reply(
            {
                "data": {
                    "user": {
                        "id": channel.id,
                        "login": channel.login,
                        "displayName": channel.display_name,
                        "description": "Live every day.",
                        "profileImageURL": f"https://static-cdn.jtvnw.net/{channel.login}.png",
                        "followers": {"totalCount": channel.followers},
                        "roles": {"isPartner": channel.partner, "isAffiliate": True},
                        **channel.extra,
                    }
                }
            }
        )
