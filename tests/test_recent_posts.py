"""`SocialAccount.recentPosts`: the latest posts or videos, stored with the provider sync that
fetched them and replaced by the next."""

from __future__ import annotations

from typing import Any

from models import Platform, Post, SocialAccount
from schema.node import decode_id
from tests.conftest import Account, GraphQLClient, register
from tests.fakes import FakeProviders
from tests.test_platforms_api import SYNC, connect, handle, refresh

POSTS = """query { socialAccounts { platform
  recentPosts(first: 50) { edges { cursor node { platformPostId url kind publishedAt likes
    comments views fetchedAt } } pageInfo { hasNextPage } } } }"""


async def posts(gql: GraphQLClient, owner: Account) -> dict[str, list[dict[str, Any]]]:
    accounts = (await gql.data(POSTS, None, owner.access_token))["socialAccounts"]
    return {a["platform"]: [e["node"] for e in a["recentPosts"]["edges"]] for a in accounts}


async def test_recent_posts_are_stored_with_the_sync_and_replaced_by_the_next(
    gql: GraphQLClient, fake_providers: FakeProviders
):
    owner = await register(gql)
    name = handle("ig")
    business = fake_providers.graph.add(name, media=[(500, 5), (None, 7), (300, 3)])
    assert (await connect(gql, owner, "INSTAGRAM", name))["userErrors"] == []

    first = (await posts(gql, owner))["INSTAGRAM"]
    # Newest first, as the platform lists them; hidden likes stay unknown, never 0.
    assert [(p["likes"], p["comments"]) for p in first] == [(500, 5), (None, 7), (300, 3)]
    assert first[0]["url"] == "https://www.instagram.com/p/B0/"
    assert first[0]["kind"] == "IMAGE" and first[0]["views"] is None
    assert first[0]["publishedAt"].startswith("2025-01-01T00:00:00")

    business.media = [(900, 9)]
    assert (await refresh(gql, owner, "INSTAGRAM", force=True))["userErrors"] == []

    second = (await posts(gql, owner))["INSTAGRAM"]
    assert [(p["likes"], p["comments"]) for p in second] == [(900, 9)]
    assert second[0]["fetchedAt"] > first[0]["fetchedAt"]
    account_id = await SocialAccount.get(
        profile_id=decode_id(owner.profile_id, "Profile")[1], platform=Platform.INSTAGRAM
    ).values_list("id", flat=True)
    assert await Post.filter(account_id=account_id).count() == 1


async def test_youtube_videos_come_with_views_and_a_manual_sync_keeps_the_posts(
    gql: GraphQLClient, fake_providers: FakeProviders
):
    owner = await register(gql)
    name = handle("yt")
    fake_providers.youtube.add(name, videos=[(1000, 50, 5), (2000, None, 8)])
    assert (await connect(gql, owner, "YOUTUBE", name))["userErrors"] == []
    await gql.data(SYNC, {"input": {"platform": "YOUTUBE", "followers": 3}}, owner.access_token)

    videos = (await posts(gql, owner))["YOUTUBE"]
    assert [(v["views"], v["likes"], v["comments"]) for v in videos] == [
        (1000, 50, 5),
        (2000, None, 8),
    ]
    assert all(v["url"].startswith("https://www.youtube.com/watch?v=") for v in videos)


async def test_recent_posts_page_with_cursors_and_refuse_a_bad_page_size(
    gql: GraphQLClient, fake_providers: FakeProviders
):
    owner = await register(gql)
    name = handle("ig")
    fake_providers.graph.add(name, media=[(i, 1) for i in range(5)])
    assert (await connect(gql, owner, "INSTAGRAM", name))["userErrors"] == []
    page = """query P($after: String) { socialAccounts { recentPosts(first: 2, after: $after) {
      edges { cursor node { likes } } pageInfo { hasNextPage endCursor } } } }"""
    seen, after = [], None
    while True:
        data = await gql.data(page, {"after": after}, owner.access_token)
        connection = data["socialAccounts"][0]["recentPosts"]
        seen += [e["node"]["likes"] for e in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert seen == [0, 1, 2, 3, 4]
    bad = "query B($n: Int!) { socialAccounts { recentPosts(first: $n) { edges { cursor } } } }"
    result = await gql.post(bad, {"n": 0}, owner.access_token)
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
