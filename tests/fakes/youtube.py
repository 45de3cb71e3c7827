"""YouTube Data API v3: ``channels``, ``playlistItems`` and ``videos`` list calls, counts as
strings, not-found as a 200 without items, quota and key errors in Google's error envelope."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.server import FakeProvider, Reply, json_reply

API_KEY = "yt-test-key"


def google_error(status: int, reason: str, message: str, domain: str = "global") -> Reply:
    return json_reply(
        {
            "error": {
                "code": status,
                "message": message,
                "errors": [{"message": message, "domain": domain, "reason": reason}],
            }
        },
        status,
    )


def quota_exceeded() -> Reply:
    return google_error(
        403,
        "quotaExceeded",
        "The request cannot be completed because you have exceeded your "
        '<a href="/youtube/v3/getting-started#quota">quota</a>.',
        "youtube.quota",
    )


def bad_key() -> Reply:
    return google_error(400, "badRequest", "API key not valid. Please pass a valid API key.")


@dataclass
class Channel:
    handle: str
    id: str
    title: str = "A Channel"
    description: str = "Videos every week."
    subscribers: str = "1230000"
    hidden: bool = False
    views: str = "98765432"
    # (views, likes or None when hidden, comments)
    videos: list[tuple[int, int | None, int]] = field(
        default_factory=lambda: [(10000, 500, 100), (20000, 700, 200), (30000, 1300, 200)]
    )


class FakeYouTube(FakeProvider):
    def __init__(self) -> None:
        super().__init__()
        self.channels: dict[str, Channel] = {}

    def add(self, handle: str, **fields: object) -> Channel:
        channel = Channel(handle=handle.lower(), id=f"UC{handle[:20]:_<22}", **fields)  # type: ignore[arg-type]  # a test overrides any of the fake's fields by name
        self.channels[channel.handle] = channel
        return channel

    def routes(self) -> list[Route]:
        return [
            Route("/youtube/v3/channels", self.channels_list),
            Route("/youtube/v3/playlistItems", self.playlist_items),
            Route("/youtube/v3/videos", self.videos_list),
        ]

    def _authorized(self, request: Request) -> bool:
        key = request.headers.get("x-goog-api-key") or request.query_params.get("key")
        return key == API_KEY

    async def channels_list(self, request: Request) -> Response:
        await self.record(request)
        handle = request.query_params.get("forHandle", "").removeprefix("@").lower()
        if not self._authorized(request):
            return await self.answer(handle, bad_key)
        return await self.answer(handle, lambda: self._channel_reply(handle))

    def _channel_reply(self, handle: str) -> Reply:
        channel = self.channels.get(handle)
        if channel is None:
            return json_reply(
                {
                    "kind": "youtube#channelListResponse",
                    "etag": "x",
                    "pageInfo": {"totalResults": 0, "resultsPerPage": 5},
                }
            )
        statistics: dict[str, object] = {
            "viewCount": channel.views,
            "hiddenSubscriberCount": channel.hidden,
            "videoCount": str(len(channel.videos)),
        }
        if not channel.hidden:
            statistics["subscriberCount"] = channel.subscribers
        thumb = f"https://yt3.ggpht.com/{channel.id}"
        return json_reply(
            {
                "kind": "youtube#channelListResponse",
                "etag": "x",
                "pageInfo": {"totalResults": 1, "resultsPerPage": 5},
                "items": [
                    {
                        "kind": "youtube#channel",
                        "id": channel.id,
                        "snippet": {
                            "title": channel.title,
                            "description": channel.description,
                            "customUrl": f"@{channel.handle}",
                            "publishedAt": "2015-01-01T00:00:00Z",
                            "thumbnails": {
                                "default": {"url": f"{thumb}=s88", "width": 88, "height": 88},
                                "medium": {"url": f"{thumb}=s240", "width": 240, "height": 240},
                                "high": {"url": f"{thumb}=s800", "width": 800, "height": 800},
                            },
                            "country": "US",
                        },
                        "contentDetails": {
                            "relatedPlaylists": {"likes": "", "uploads": "UU" + channel.id[2:]}
                        },
                        "statistics": statistics,
                    }
                ],
            }
        )

    async def playlist_items(self, request: Request) -> Response:
        await self.record(request)
        if not self._authorized(request):
            return bad_key().response()
        playlist = request.query_params.get("playlistId", "")
        channel = next((c for c in self.channels.values() if "UU" + c.id[2:] == playlist), None)
        if channel is None:
            return google_error(
                404,
                "playlistNotFound",
                "The playlist identified with the request's <code>playlistId</code> parameter "
                "cannot be found.",
                "youtube.playlistItem",
            ).response()
        limit = int(request.query_params.get("maxResults", "5"))
        items = [
            {"kind": "youtube#playlistItem", "contentDetails": {"videoId": f"{channel.id}-v{i}"}}
            for i in range(min(limit, len(channel.videos)))
        ]
        return json_reply({"kind": "youtube#playlistItemListResponse", "items": items}).response()

    async def videos_list(self, request: Request) -> Response:
        await self.record(request)
        if not self._authorized(request):
            return bad_key().response()
        items = []
        for video_id in request.query_params.get("id", "").split(","):
            channel_id, _, index = video_id.rpartition("-v")
            channel = next((c for c in self.channels.values() if c.id == channel_id), None)
            if channel is None or not index.isdigit() or int(index) >= len(channel.videos):
                continue
            views, likes, comments = channel.videos[int(index)]
            statistics = {"viewCount": str(views), "commentCount": str(comments)}
            if likes is not None:
                statistics["likeCount"] = str(likes)
            items.append({"kind": "youtube#video", "id": video_id, "statistics": statistics})
        return json_reply({"kind": "youtube#videoListResponse", "items": items}).response()
