"""An account's recent posts or videos: the `Post` type and its connection."""

from __future__ import annotations

from datetime import datetime

import strawberry

from models import Post as PostModel
from resolvers.cursors import Page
from schema.relay import PageInfo, cursored, page_info
from schema.scalars import BigInt


@strawberry.type(
    description="One of an account's latest posts or videos, with its public counts as the "
    "provider sync that fetched it saw them."
)
class Post:
    platform_post_id: str = strawberry.field(description="The platform's own id for the post.")
    url: str | None = strawberry.field(description="Link to the post; null when not given.")
    kind: str | None = strawberry.field(
        description="The provider's word for it (VIDEO, IMAGE, CAROUSEL_ALBUM, …); null when "
        "not given."
    )
    published_at: datetime | None = strawberry.field(
        description="When it was published; null when the provider does not say."
    )
    likes: BigInt | None = strawberry.field(
        description="Likes; null where hidden or not reported (Twitch has none)."
    )
    comments: BigInt | None = strawberry.field(description="Comments; null when not reported.")
    views: BigInt | None = strawberry.field(
        description="Views or plays; null when not reported (Instagram images)."
    )
    fetched_at: datetime = strawberry.field(description="When the provider was asked.")

    @classmethod
    def from_model(cls, p: PostModel) -> Post:
        return cls(
            platform_post_id=p.platform_post_id,
            url=p.url,
            kind=p.kind,
            published_at=p.published_at,
            likes=None if p.likes is None else BigInt(p.likes),
            comments=None if p.comments is None else BigInt(p.comments),
            views=None if p.views is None else BigInt(p.views),
            fetched_at=p.fetched_at,
        )


@strawberry.type(description="One post in an account's recent posts.")
class PostEdge:
    cursor: str = strawberry.field(description="Pass as `after` to get older posts.")
    node: Post = strawberry.field(description="The post.")


@strawberry.type(
    description="An account's latest posts or videos, newest first, as the last provider "
    "sync fetched them (at most 50; empty where the provider fetches none, such as TikTok "
    "through RapidAPI, X and Twitch, or for numbers entered by hand)."
)
class PostConnection:
    edges: list[PostEdge] = strawberry.field(description="The posts on this page, newest first.")
    page_info: PageInfo = strawberry.field(description="Where this page sits in the list.")

    @classmethod
    def from_page(cls, page: Page[PostModel]) -> PostConnection:
        edges = [PostEdge(cursor=c, node=Post.from_model(p)) for p, c in cursored(page)]
        return cls(edges=edges, page_info=page_info(page))
