"""The REST compatibility routes the existing frontend calls (``rest.py``, API.md "REST
compatibility"): the same operations as the GraphQL mutations, answered in the original format."""

from __future__ import annotations

from typing import Any

import httpx
import jwt
import pytest

from adapters.ratelimit import RateLimiter
from adapters.tokens import TokenIssuer
from models import User
from schema.node import decode_id
from tests.conftest import Account, GraphQLClient, RunningServer, register

SYNC = "/api/v1/profiles/social-sync/"
ME = "/api/v1/profiles/me"

CAPITALIZED = {
    "tiktok": "Tiktok",
    "twitter": "Twitter",
    "twitch": "Twitch",
    "instagram": "Instagram",
    "youtube": "Youtube",
}

VIEWER_STATS = """
{ viewer { profile { id rizzScore stats {
    totalFollowers avgEngagement
    platformBreakdown { tiktok { followers engagement } instagram { followers engagement }
                        youtube { followers engagement } }
} } } }"""

GRAPHQL_SYNC = """
mutation Sync($input: SocialSyncInput!) {
  socialSync(input: $input) { userErrors { field message code } }
}"""


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def post_sync(
    http: httpx.AsyncClient,
    token: str | None,
    platform: str,
    body: Any = None,
    *,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    sent = dict(headers or {})
    if token is not None:
        sent.update(bearer(token))
    if content is not None:
        sent.setdefault("Content-Type", "application/json")
        return await http.post(SYNC + platform, content=content, headers=sent)
    return await http.post(SYNC + platform, json=body, headers=sent)


async def synced(
    http: httpx.AsyncClient, token: str, platform: str, followers: int, engagement: float
) -> dict[str, Any]:
    response = await post_sync(
        http, token, platform, {"followers": followers, "engagement": engagement}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def my_profile(http: httpx.AsyncClient, token: str) -> dict[str, Any]:
    response = await http.get(ME, headers=bearer(token))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    return body["profile"]


def user_pk(account: Account) -> int:
    return int(jwt.decode(account.access_token, options={"verify_signature": False})["sub"])


# --- successful syncs ---------------------------------------------------------------------------


@pytest.mark.parametrize("platform", list(CAPITALIZED))
async def test_each_platform_syncs_and_the_message_capitalizes_its_name(
    http: httpx.AsyncClient, account: Account, platform: str
):
    response = await post_sync(
        http, account.access_token, platform, {"followers": 1234, "engagement": 3.5}
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["success"] is True
    assert body["message"] == f"Social media {CAPITALIZED[platform]} synced successfully"
    stats = body["profile"]["stats"]
    assert set(stats["platformBreakdown"]) == {platform}
    entry = stats["platformBreakdown"][platform]
    assert entry["followers"] == 1234
    assert entry["engagement"] == 3.5
    assert entry["lastSynced"]
    assert stats["totalFollowers"] == 1234
    assert stats["avgEngagement"] == 3.5


async def test_seed_example_through_rest_totals_24025_at_4_36_and_graphql_sees_the_same(
    http: httpx.AsyncClient, gql: GraphQLClient, account: Account
):
    token = account.access_token
    await synced(http, token, "tiktok", 1000, 7.5)
    await synced(http, token, "instagram", 15925, 2.91)
    last = await synced(http, token, "youtube", 7100, 2.66)

    stats = last["profile"]["stats"]
    assert stats["totalFollowers"] == 24025
    assert stats["avgEngagement"] == 4.36
    assert stats["platformBreakdown"]["tiktok"]["followers"] == 1000
    assert stats["platformBreakdown"]["instagram"]["engagement"] == 2.91
    assert stats["platformBreakdown"]["youtube"]["followers"] == 7100
    assert await my_profile(http, token) == last["profile"]

    viewer = (await gql.data(VIEWER_STATS, token=token))["viewer"]["profile"]
    assert viewer["stats"]["totalFollowers"] == 24025
    assert viewer["stats"]["avgEngagement"] == 4.36
    assert viewer["stats"]["platformBreakdown"]["instagram"] == {
        "followers": 15925,
        "engagement": 2.91,
    }
    assert viewer["rizzScore"] == last["profile"]["rizzScore"] == 52
    assert decode_id(viewer["id"], "Profile") == ("Profile", int(last["profile"]["id"]))


async def test_a_second_sync_of_a_platform_replaces_its_numbers(
    http: httpx.AsyncClient, account: Account
):
    await synced(http, account.access_token, "tiktok", 1000, 7.5)
    body = await synced(http, account.access_token, "tiktok", 400, 1.25)

    stats = body["profile"]["stats"]
    assert stats["platformBreakdown"]["tiktok"]["followers"] == 400
    assert stats["totalFollowers"] == 400
    assert stats["avgEngagement"] == 1.25


async def test_graphql_sync_is_visible_through_rest_me(
    http: httpx.AsyncClient, gql: GraphQLClient, account: Account
):
    data = await gql.data(
        GRAPHQL_SYNC,
        {"input": {"platform": "TWITCH", "followers": 321, "engagement": 4.5}},
        token=account.access_token,
    )
    assert data["socialSync"]["userErrors"] == []

    stats = (await my_profile(http, account.access_token))["stats"]
    assert stats["platformBreakdown"]["twitch"]["followers"] == 321
    assert stats["totalFollowers"] == 321
    assert stats["avgEngagement"] == 4.5


async def test_engagement_may_be_omitted_or_null_and_counts_as_zero(
    http: httpx.AsyncClient, account: Account
):
    await synced(http, account.access_token, "tiktok", 1000, 5.0)

    omitted = await post_sync(http, account.access_token, "twitch", {"followers": 10})
    nulled = await post_sync(
        http, account.access_token, "youtube", {"followers": 20, "engagement": None}
    )

    assert omitted.status_code == 200, omitted.text
    assert nulled.status_code == 200, nulled.text
    stats = nulled.json()["profile"]["stats"]
    assert stats["platformBreakdown"]["twitch"]["engagement"] == 0
    assert stats["platformBreakdown"]["youtube"]["engagement"] == 0
    assert stats["totalFollowers"] == 1030
    assert stats["avgEngagement"] == 5.0  # only platforms with engagement above 0 count


async def test_followers_sent_as_a_whole_float_are_accepted_like_javascript_numbers(
    http: httpx.AsyncClient, account: Account
):
    # JavaScript has one number type: Joi (and GraphQL's BigInt) accept 1000.0 and 1e3.
    response = await post_sync(
        http, account.access_token, "tiktok", content=b'{"followers": 1e3, "engagement": 2}'
    )

    assert response.status_code == 200, response.text
    stats = response.json()["profile"]["stats"]
    assert stats["platformBreakdown"]["tiktok"]["followers"] == 1000
    assert stats["totalFollowers"] == 1000


async def test_platform_path_is_case_insensitive(http: httpx.AsyncClient, account: Account):
    response = await post_sync(
        http, account.access_token, "TikTok", {"followers": 5, "engagement": 1}
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["message"] == "Social media Tiktok synced successfully"
    assert set(body["profile"]["stats"]["platformBreakdown"]) == {"tiktok"}


# --- GET /me ------------------------------------------------------------------------------------


async def test_me_returns_the_profile_in_the_original_format(
    http: httpx.AsyncClient, gql: GraphQLClient
):
    account = await register(gql, display_name="Rest Ann")

    response = await http.get(ME, headers=bearer(account.access_token))

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    profile = body["profile"]
    assert decode_id(account.profile_id, "Profile") == ("Profile", int(profile["id"]))
    assert profile["displayName"] == "Rest Ann"
    assert profile["isPublic"] is True
    assert profile["niches"] == []
    assert set(profile["location"]) == {"city", "state", "country"}
    assert profile["stats"] == {"platformBreakdown": {}, "totalFollowers": 0, "avgEngagement": 0}
    assert profile["updatedAt"]


# --- refusals -----------------------------------------------------------------------------------


async def test_unknown_platform_is_400_invalid_platform_type_and_stores_nothing(
    http: httpx.AsyncClient, account: Account
):
    before = await my_profile(http, account.access_token)

    response = await post_sync(
        http, account.access_token, "myspace", {"followers": 1000, "engagement": 5}
    )

    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "Invalid platform type"
    assert "tiktok" in body["error"]
    assert await my_profile(http, account.access_token) == before


def _bad_tokens(server: RunningServer, account: Account) -> dict[str, dict[str, str]]:
    settings = server.settings
    expired = TokenIssuer(
        settings.jwt_secret, settings.jwt_issuer, settings.jwt_audience, -60, 60
    ).issue_access(user_pk(account))
    foreign = TokenIssuer(
        "another-secret-" + "y" * 40, settings.jwt_issuer, settings.jwt_audience, 600, 600
    ).issue_access(user_pk(account))
    return {
        "no header": {},
        "bearer without a token": {"Authorization": "Bearer"},
        "other scheme": {"Authorization": f"Basic {account.access_token}"},
        "no scheme": {"Authorization": account.access_token},
        "malformed": {"Authorization": "Bearer not.a.jwt"},
        "garbage": {"Authorization": "Bearer %%%garbage%%%"},
        "expired": bearer(expired),
        "wrong secret": bearer(foreign),
        "refresh token": bearer(account.refresh_token),
    }


async def test_sync_without_a_valid_token_is_401_and_stores_nothing(
    http: httpx.AsyncClient, server: RunningServer, account: Account
):
    before = await my_profile(http, account.access_token)

    for case, headers in _bad_tokens(server, account).items():
        response = await post_sync(
            http, None, "tiktok", {"followers": 1000, "engagement": 5}, headers=headers
        )
        assert response.status_code == 401, (case, response.text)
        body = response.json()
        assert body["message"] == "Unauthorized", case
        assert isinstance(body["error"], str) and body["error"], case

    assert await my_profile(http, account.access_token) == before


async def test_me_without_a_valid_token_is_401(
    http: httpx.AsyncClient, server: RunningServer, account: Account
):
    for case, headers in _bad_tokens(server, account).items():
        response = await http.get(ME, headers=headers)
        assert response.status_code == 401, (case, response.text)
        body = response.json()
        assert body["message"] == "Unauthorized", case
        assert isinstance(body["error"], str) and body["error"], case


async def test_expired_token_says_it_expired(
    http: httpx.AsyncClient, server: RunningServer, account: Account
):
    response = await http.get(ME, headers=_bad_tokens(server, account)["expired"])

    assert response.status_code == 401
    assert "expired" in response.json()["error"]


async def test_suspended_accounts_token_is_401(http: httpx.AsyncClient, account: Account):
    await User.filter(id=user_pk(account)).update(suspended=True)

    me = await http.get(ME, headers=bearer(account.access_token))
    sync = await post_sync(http, account.access_token, "tiktok", {"followers": 1})

    assert me.status_code == 401
    assert sync.status_code == 401
    assert me.json()["message"] == "Unauthorized"


# (raw body, path of the first detail, Joi type)
INVALID_BODIES: dict[str, tuple[bytes, list[str], str]] = {
    "negative followers": (b'{"followers": -1, "engagement": 5}', ["followers"], "number.min"),
    "fractional followers": (
        b'{"followers": 1.5, "engagement": 5}',
        ["followers"],
        "number.integer",
    ),
    "string followers": (b'{"followers": "1000", "engagement": 5}', ["followers"], "number.base"),
    "boolean followers": (b'{"followers": true, "engagement": 5}', ["followers"], "number.base"),
    "null followers": (b'{"followers": null, "engagement": 5}', ["followers"], "number.base"),
    "missing followers": (b'{"engagement": 5}', ["followers"], "any.required"),
    "huge followers": (
        b'{"followers": 1000000000000, "engagement": 5}',
        ["followers"],
        "number.max",
    ),
    "followers beyond 64 bits": (
        b'{"followers": 100000000000000000000000000000, "engagement": 5}',
        ["followers"],
        "number.max",
    ),
    "followers with 5000 digits": (
        b'{"followers": ' + b"9" * 5000 + b', "engagement": 5}',
        ["followers"],
        "number.max",
    ),
    "followers with a lone surrogate": (b'{"followers": "\\ud800"}', ["followers"], "number.base"),
    "infinite followers": (b'{"followers": 1e999, "engagement": 5}', ["followers"], "number.base"),
    "NaN engagement": (b'{"followers": 1, "engagement": NaN}', ["engagement"], "number.base"),
    "Infinity engagement": (
        b'{"followers": 1, "engagement": Infinity}',
        ["engagement"],
        "number.base",
    ),
    "negative engagement": (b'{"followers": 1, "engagement": -1}', ["engagement"], "number.min"),
    "engagement over 100": (b'{"followers": 1, "engagement": 100.5}', ["engagement"], "number.max"),
    "string engagement": (b'{"followers": 1, "engagement": "5"}', ["engagement"], "number.base"),
    "boolean engagement": (b'{"followers": 1, "engagement": false}', ["engagement"], "number.base"),
    "unknown key": (
        b'{"followers": 1, "engagement": 5, "likes": 9}',
        ["likes"],
        "object.unknown",
    ),
    "unknown key with a lone surrogate": (
        b'{"followers": 1, "a\\ud800": 1}',
        ["a?"],
        "object.unknown",
    ),
    "-Infinity engagement": (
        b'{"followers": 1, "engagement": -Infinity}',
        ["engagement"],
        "number.base",
    ),
    "empty body": (b"", ["followers"], "any.required"),
    "empty object": (b"{}", ["followers"], "any.required"),
    "not JSON": (b"followers=1000&engagement=5", ["body"], "object.base"),
    "truncated JSON": (b'{"followers": 1000', ["body"], "object.base"),
    "invalid UTF-8": (b'{"followers": 1000, "x": "\xff"}', ["body"], "object.base"),
    "deeply nested JSON": (b"[" * 100_000, ["body"], "object.base"),
    "JSON array": (b'[{"followers": 1000, "engagement": 5}]', ["value"], "object.base"),
    "JSON string": (b'"followers"', ["value"], "object.base"),
    "JSON null": (b"null", ["value"], "object.base"),
}


@pytest.mark.parametrize("case", list(INVALID_BODIES))
async def test_invalid_body_is_400_validation_failed_naming_the_field_and_stores_nothing(
    http: httpx.AsyncClient, account: Account, case: str
):
    content, path, joi_type = INVALID_BODIES[case]
    await synced(http, account.access_token, "instagram", 500, 2.0)
    before = await my_profile(http, account.access_token)

    response = await post_sync(http, account.access_token, "instagram", content=content)

    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["message"] == "Validation failed"
    assert body["details"], body
    for detail in body["details"]:
        assert set(detail) == {"message", "path", "type", "context"}, detail
        assert isinstance(detail["message"], str) and detail["message"]
        assert detail["context"]["key"] == detail["path"][-1]
    first = body["details"][0]
    assert first["path"] == path, body
    assert first["type"] == joi_type, body
    assert await my_profile(http, account.access_token) == before


async def test_every_invalid_field_is_reported_at_once(http: httpx.AsyncClient, account: Account):
    response = await post_sync(
        http, account.access_token, "tiktok", {"followers": -5, "engagement": 101}
    )

    assert response.status_code == 400
    details = response.json()["details"]
    assert [(d["path"], d["type"]) for d in details] == [
        (["followers"], "number.min"),
        (["engagement"], "number.max"),
    ]
    assert details[0]["context"]["value"] == -5
    assert details[1]["context"]["value"] == 101


async def test_too_many_syncs_is_429_with_retry_after_and_stores_nothing(
    http: httpx.AsyncClient, gql: GraphQLClient, server: RunningServer, account: Account
):
    original = server.services.sync_limiter
    tight = RateLimiter.from_url("2/minute", server.settings.redis_url, "sync-resttest")
    server.services.sync_limiter = tight
    try:
        await synced(http, account.access_token, "tiktok", 100, 1.0)
        # GraphQL and REST run the same operation, so they spend the same budget.
        data = await gql.data(
            GRAPHQL_SYNC,
            {"input": {"platform": "TIKTOK", "followers": 200, "engagement": 2.0}},
            token=account.access_token,
        )
        assert data["socialSync"]["userErrors"] == []

        response = await post_sync(
            http, account.access_token, "tiktok", {"followers": 300, "engagement": 3.0}
        )

        assert response.status_code == 429, response.text
        retry_after = int(response.headers["Retry-After"])
        assert 1 <= retry_after <= 60
        body = response.json()
        assert body["message"] == "Too many requests"
        assert isinstance(body["error"], str) and body["error"]
        assert body["retryAfter"] == retry_after
        stats = (await my_profile(http, account.access_token))["stats"]
        assert stats["platformBreakdown"]["tiktok"]["followers"] == 200
    finally:
        server.services.sync_limiter = original
        await tight.reset()


async def test_body_over_the_size_limit_is_413_and_stores_nothing(
    http: httpx.AsyncClient, account: Account
):
    before = await my_profile(http, account.access_token)
    padding = "x" * (1024 * 1024)
    content = b'{"followers": 1000, "engagement": 5, "pad": "' + padding.encode() + b'"}'

    declared = await post_sync(http, account.access_token, "tiktok", content=content)

    async def chunks():
        for start in range(0, len(content), 64 * 1024):
            yield content[start : start + 64 * 1024]

    streamed = await http.post(
        SYNC + "tiktok",
        content=chunks(),
        headers={**bearer(account.access_token), "Content-Type": "application/json"},
    )

    assert declared.status_code == 413
    assert streamed.status_code == 413
    assert await my_profile(http, account.access_token) == before
