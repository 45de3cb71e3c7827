"""The demo seed (`app.py seed`) and discovery's relevance search.

Seeded profiles land in the session's shared database, so every search here is scoped by a niche
only its own profiles carry (as in tests/test_discovery.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from models import Profile, SocialAccount, StatsSnapshot, User
from resolvers.aggregates import compute_aggregates
from resolvers.cursors import pack_cursor, unpack_cursor
from resolvers.seed import HISTORY_DAYS, UNUSABLE_PASSWORD, seed
from tests.conftest import GraphQLClient, RunningServer
from tests.test_discovery import (
    Spec,
    all_pages,
    assert_bad_user_input,
    discover,
    make_profiles,
    names,
    new_token,
)


async def seeded(count: int, seed_value: int, now: datetime) -> list[Profile]:
    before = await Profile.all().order_by("-id").first()
    counts = await seed(count, seed_value, now)
    assert counts.profiles == counts.users == count
    start = before.id if before else 0
    return await Profile.filter(id__gt=start).order_by("id")


async def test_seed_inserts_profiles_users_accounts_and_history(server: RunningServer):
    now = datetime.now(UTC)
    profiles = await seeded(40, 11, now)
    assert len(profiles) == 40
    users = await User.filter(id__in=[p.user_id for p in profiles])
    assert len(users) == 40
    assert all(u.password_hash == UNUSABLE_PASSWORD for u in users)
    assert {p.role for p in profiles} <= {"CREATOR", "BRAND"}
    for profile in profiles:
        assert profile.display_name and profile.bio and profile.niches and profile.country
        assert profile.niche_tags == "|" + "|".join(profile.niches) + "|"
        accounts = await SocialAccount.filter(profile_id=profile.id)
        assert 1 <= len(accounts) <= 5
        snapshots = await StatsSnapshot.filter(account_id__in=[a.id for a in accounts])
        assert len(snapshots) >= len(accounts)
        assert all((now - s.taken_at).days <= HISTORY_DAYS + 30 for s in snapshots)


async def test_seeded_aggregates_are_the_formulas(server: RunningServer):
    now = datetime.now(UTC)
    for profile in await seeded(25, 12, now):
        accounts = await SocialAccount.filter(profile_id=profile.id)
        expected = compute_aggregates(profile, accounts, now)
        assert profile.total_followers == expected.total_followers
        assert profile.avg_engagement == pytest.approx(expected.avg_engagement)
        assert profile.rizz_score == expected.rizz_score


async def test_the_same_seed_gives_the_same_data(server: RunningServer):
    now = datetime.now(UTC)

    def content(profiles: list[Profile]) -> list[tuple[Any, ...]]:
        return [(p.display_name, p.bio, p.niches, p.city, p.total_followers) for p in profiles]

    first, second = await seeded(10, 99, now), await seeded(10, 99, now)
    assert content(first) == content(second)
    assert content(await seeded(10, 100, now)) != content(first)


async def test_new_rows_after_a_seed_get_fresh_ids(gql: GraphQLClient, server: RunningServer):
    await seed(3, 5)
    scope = new_token()
    await make_profiles(gql, scope, [Spec("After Seed")])
    assert await names(gql, {"niches": [scope]}) == {"After Seed"}


async def test_a_seeded_profile_is_found_by_a_misspelt_name(
    gql: GraphQLClient, server: RunningServer
):
    profile = (await seeded(5, 21, datetime.now(UTC)))[0]
    first_name = profile.display_name.split()[0]
    typo = first_name[0] + first_name[2] + first_name[1] + first_name[3:]
    found = await names(
        gql, {"search": f"{typo}", "niches": [profile.niches[0]], "country": profile.country}
    )
    assert profile.display_name in found


async def test_a_misspelt_name_finds_the_profile(gql: GraphQLClient):
    scope = new_token()
    await make_profiles(gql, scope, [Spec("John Carter"), Spec("Maria Lopez")])
    assert await names(gql, {"search": "Jonh", "niches": [scope]}) == {"John Carter"}
    assert await names(gql, {"search": "Lopex", "niches": [scope]}) == {"Maria Lopez"}
    assert await names(gql, {"search": "Zebulon", "niches": [scope]}) == set()


async def test_search_orders_by_relevance_by_default(gql: GraphQLClient):
    scope = new_token()
    await make_profiles(
        gql,
        scope,
        [
            Spec("Ana Brightwater", bio="Baking every day"),
            Spec("Brightwater Baking Co", bio="Bread and cakes"),
            Spec("Carl Jensen", bio="I once met someone from Brightwater"),
        ],
    )
    filter = {"search": "Brightwater", "niches": [scope]}
    default = [e["node"]["displayName"] for e in (await discover(gql, filter))["edges"]]
    explicit = await discover(gql, filter, ("RELEVANCE", "DESC"))
    assert default == [e["node"]["displayName"] for e in explicit["edges"]]
    assert set(default) == {"Ana Brightwater", "Brightwater Baking Co", "Carl Jensen"}
    # A name holding the text outranks a bio that merely mentions it.
    assert default[-1] == "Carl Jensen"
    reverse = await discover(gql, filter, ("RELEVANCE", "ASC"))
    assert reverse["edges"][0]["node"]["displayName"] == "Carl Jensen"


async def test_relevance_pages_without_repeats_or_gaps(gql: GraphQLClient):
    scope = new_token()
    await make_profiles(
        gql, scope, [Spec(f"Harbor Pilot {i}", bio="harbor" * (i % 3 + 1)) for i in range(7)]
    )
    filter = {"search": "Harbor", "niches": [scope]}
    whole = [e["node"]["id"] for e in (await discover(gql, filter, first=50))["edges"]]
    paged = [e["node"]["id"] for e in await all_pages(gql, filter, ("RELEVANCE", "DESC"), 2)]
    assert paged == whole and len(whole) == 7


async def test_a_relevance_cursor_is_refused_by_another_order(gql: GraphQLClient):
    scope = new_token()
    await make_profiles(gql, scope, [Spec("Quill One"), Spec("Quill Two")])
    filter = {"search": "Quill", "niches": [scope]}
    page = await discover(gql, filter, first=1)
    cursor = page["pageInfo"]["endCursor"]
    await assert_bad_user_input(gql, filter=filter, order=("RIZZ_SCORE", "DESC"), after=cursor)


async def test_a_relevance_cursor_is_refused_by_another_search(gql: GraphQLClient):
    scope = new_token()
    await make_profiles(gql, scope, [Spec("Quill One"), Spec("Quill Two"), Spec("Quilt Maker")])
    filter = {"search": "Quill", "niches": [scope]}
    cursor = (await discover(gql, filter, first=1))["pageInfo"]["endCursor"]
    for other in ("Quilt", "quill", "Quill One"):
        error = await assert_bad_user_input(
            gql, filter={**filter, "search": other}, order=("RELEVANCE", "DESC"), after=cursor
        )
        assert error["extensions"]["field"] == ["after"]
        assert error["extensions"]["userErrors"][0]["code"] == "INVALID"
    # The same search, spaced differently, is the same search: its cursor goes on.
    spaced = {**filter, "search": "  Quill "}
    rest = await discover(gql, spaced, ("RELEVANCE", "DESC"), first=5, after=cursor)
    assert len(rest["edges"]) == 2


async def test_a_relevance_cursor_without_its_search_is_refused(gql: GraphQLClient):
    scope = new_token()
    await make_profiles(gql, scope, [Spec("Lark One"), Spec("Lark Two")])
    filter = {"search": "Lark", "niches": [scope]}
    cursor = (await discover(gql, filter, first=1))["pageInfo"]["endCursor"]
    decoded = unpack_cursor(cursor)
    assert decoded is not None and len(decoded) == 5
    # A cursor of the old shape, without the digest, names no search.
    error = await assert_bad_user_input(
        gql, filter=filter, order=("RELEVANCE", "DESC"), after=pack_cursor(decoded[:4])
    )
    assert error["extensions"]["field"] == ["after"]


@pytest.mark.parametrize("text", ["a\x00b", "bell\x07", "\x1b[31m", "del\x7f"])
async def test_a_search_with_control_characters_is_refused(gql: GraphQLClient, text: str):
    error = await assert_bad_user_input(gql, filter={"search": text})
    assert error["extensions"]["field"] == ["filter", "search"]


async def test_wildcards_in_a_search_match_literally(gql: GraphQLClient):
    scope = new_token()
    await make_profiles(
        gql, scope, [Spec("Half%_Off\\Deals"), Spec("Half Price"), Spec("HalfXOffYDeals")]
    )
    assert await names(gql, {"search": "%_Off\\", "niches": [scope]}) == {"Half%_Off\\Deals"}
    assert await names(gql, {"search": "%", "niches": [scope]}) == {"Half%_Off\\Deals"}


async def test_relevance_without_search_text_is_refused(gql: GraphQLClient):
    error = await assert_bad_user_input(gql, filter={}, order=("RELEVANCE", "DESC"))
    assert error["extensions"]["field"] == ["orderBy", "field"]


@pytest.mark.parametrize(
    "text", ["the and of", "a an to", "%_\\", "%", "🎉🔥", "🎉 party", "x" * 100, "jo", "'\""]
)
async def test_odd_search_text_answers_without_error(gql: GraphQLClient, text: str):
    scope = new_token()
    await make_profiles(gql, scope, [Spec("Plain Name")])
    await discover(gql, {"search": text, "niches": [scope]})
    await discover(gql, {"search": text, "niches": [scope]}, ("RELEVANCE", "ASC"))


async def test_a_search_of_200_characters_is_refused_as_too_long(gql: GraphQLClient):
    error = await assert_bad_user_input(gql, filter={"search": "word " * 40})
    assert error["extensions"]["field"] == ["filter", "search"]
