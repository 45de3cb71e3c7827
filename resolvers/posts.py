"""An account's recent posts or videos: replaced whole by each provider sync, read newest first.

They are written inside the sync's own step of the stats tail (``resolvers/sync.py``), so the
posts an account shows always come from the same fetch as its numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from adapters.platforms.types import RecentPost
from models import Post, SocialAccount
from resolvers.cursors import Page, newest_first

POSTS_MAX = 50  # the most a provider returns (YouTube's sample is 30) with room to spare


async def replace_posts(
    account: SocialAccount, posts: Sequence[RecentPost], fetched_at: datetime
) -> None:
    """Drops the account's stored posts and stores ``posts`` (newest first, at most
    ``POSTS_MAX``), oldest first so that a higher id is a newer post."""
    await Post.filter(account_id=account.id).delete()
    kept = list(posts[:POSTS_MAX])
    if not kept:
        return
    await Post.bulk_create(
        [
            Post(
                account_id=account.id,
                platform_post_id=p.post_id[:100],
                # A link cut short would be broken: one too long for the column is dropped.
                url=p.url if len(p.url or "") <= 2048 else None,
                kind=None if p.kind is None else p.kind[:32],
                published_at=p.published_at,
                likes=p.likes,
                comments=p.comments,
                views=p.views,
                fetched_at=fetched_at,
            )
            for p in reversed(kept)
        ]
    )


async def recent_posts(account_id: int, first: int | None, after: str | None) -> Page[Post]:
    """The account's stored posts, newest first."""
    return await newest_first(Post.filter(account_id=account_id), "Post", first, after)
