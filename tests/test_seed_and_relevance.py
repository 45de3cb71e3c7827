"""The demo seed (`app.py seed`) and discovery's relevance search.

Seeded profiles land in the session's shared database, so every search here is scoped by a niche
only its own profiles carry (as in tests/test_discovery.py).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

import resolvers.seed as seed_module
from models import Profile, SocialAccount, StatsSnapshot, User
from resolvers.aggregates import compute_aggregates
from resolvers.cursors import pack_cursor, unpack_cursor
from resolvers.growth import GrowthWindow, profile_growths
from resolvers.seed import HISTORY_DAYS, UNUSABLE_PASSWORD, seed
from schema.node import decode_id
from tests.conftest import GraphQLClient, RunningServer, uses_postgres
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


async def test_seeded_history_ends_at_each_accounts_current_numbers(server: RunningServer):
    now = datetime.now(UTC)
    profiles = await seeded(20, 15, now)
    accounts = await SocialAccount.filter(profile_id__in=[p.id for p in profiles])
    spans = []
    for account in accounts:
        history = await StatsSnapshot.filter(account_id=account.id).order_by("id")
        latest = history[-1]
        assert (latest.followers, latest.engagement) == (account.followers, account.engagement)
        assert latest.taken_at == account.synced_at
        assert [s.taken_at for s in history] == sorted(s.taken_at for s in history)
        spans.append((latest.taken_at - history[0].taken_at).days)
    assert max(spans) == HISTORY_DAYS and min(spans) < HISTORY_DAYS


async def test_seeded_growth_is_the_growth_rule_over_the_seeded_history(server: RunningServer):
    now = datetime.now(UTC)
    profiles = await seeded(60, 13, now)
    rule = await profile_growths([(p.id, GrowthWindow.DAYS_30) for p in profiles], now)
    assert [p.growth_30d for p in profiles] == [
        None if g is None else g.followers_percent for g in rule
    ]
    assert all(p.growth_30d_at is not None for p in profiles)
    known = [p.growth_30d for p in profiles if p.growth_30d is not None]
    # Most profiles have a history to compare with; some grew, some shrank.
    assert len(known) >= len(profiles) * 2 // 3
    assert min(known) < 0 < max(known)


SEEDED_PAGE = """
query D($filter: ProfileFilter, $orderBy: ProfileOrder, $first: Int, $after: String) {
  profiles(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    edges { node { id stats { growth(window: DAYS_30) { followersPercent } } } }
    pageInfo { hasNextPage endCursor } } }"""


async def growth_pages(
    gql: GraphQLClient, filter: dict[str, Any], order: dict[str, str] | None = None
) -> list[tuple[int, float | None]]:
    """(profile pk, 30-day growth in percent) of every profile discovery returns."""
    found: list[tuple[int, float | None]] = []
    after = None
    for _ in range(100):
        variables = {"filter": filter, "orderBy": order, "first": 50, "after": after}
        page = (await gql.data(SEEDED_PAGE, variables))["profiles"]
        for edge in page["edges"]:
            decoded = decode_id(edge["node"]["id"], "Profile")
            assert decoded is not None
            growth = edge["node"]["stats"]["growth"]
            found.append((decoded[1], None if growth is None else growth["followersPercent"]))
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("paging did not end")


async def test_growth_order_and_filter_are_meaningful_on_seeded_data(
    gql: GraphQLClient, server: RunningServer
):
    profiles = await seeded(150, 16, datetime.now(UTC))
    niche = Counter(n for p in profiles for n in p.niches).most_common(1)[0][0]
    mine = {p.id: p.growth_30d for p in profiles if niche in p.niches}
    grown = {pk: g for pk, g in mine.items() if g is not None}
    assert len(grown) >= 5

    by_growth = {"field": "GROWTH_30D", "direction": "DESC"}
    ordered = await growth_pages(gql, {"niches": [niche]}, by_growth)
    # Only this seed's profiles are checked: other tests' profiles share the niche.
    percents = [g for pk, g in ordered if pk in mine]
    # The live growth is the stored column; unknown growth has no place in this order
    # (grown[pk] fails for it), and every known one is there, highest first.
    assert percents == [grown[pk] for pk, _ in ordered if pk in mine]
    assert percents == sorted(grown.values(), reverse=True)

    threshold = sorted(grown.values())[len(grown) // 2]
    kept = await growth_pages(gql, {"niches": [niche], "minGrowth30d": threshold})
    assert all(g is not None and g >= threshold for pk, g in kept if pk in mine)
    assert {pk for pk, _ in kept if pk in mine} == {pk for pk, g in grown.items() if g >= threshold}


async def test_the_same_seed_gives_the_same_data(server: RunningServer):
    now = datetime.now(UTC)

    def content(profiles: list[Profile]) -> list[tuple[Any, ...]]:
        return [(p.display_name, p.bio, p.niches, p.city, p.total_followers) for p in profiles]

    first, second = await seeded(10, 99, now), await seeded(10, 99, now)
    assert content(first) == content(second)
    assert content(await seeded(10, 100, now)) != content(first)


async def test_batches_split_the_same_data(server: RunningServer, monkeypatch: pytest.MonkeyPatch):
    """A seed goes in batch by batch (the next generated while one is written); smaller batches
    give the same profiles, accounts and history."""
    now = datetime.now(UTC)

    async def content(profiles: list[Profile]) -> list[tuple[Any, ...]]:
        accounts = await SocialAccount.filter(profile_id__in=[p.id for p in profiles])
        snapshots = await StatsSnapshot.filter(account_id__in=[a.id for a in accounts])
        return [
            *((p.display_name, p.bio, p.total_followers, p.growth_30d) for p in profiles),
            *((a.platform, a.followers, a.synced_at) for a in accounts),
            *sorted((s.followers, s.taken_at) for s in snapshots),
        ]

    whole = await content(await seeded(20, 41, now))
    monkeypatch.setattr(seed_module, "BATCH_PROFILES", 7)
    assert await content(await seeded(20, 41, now)) == whole


async def test_a_failed_seed_stores_nothing(server: RunningServer, monkeypatch: pytest.MonkeyPatch):
    """The history goes in last; when it fails, the users, profiles and accounts already written
    in the same transaction go too (PostgreSQL's COPY runs on the transaction's connection)."""
    monkeypatch.setattr(
        seed_module, "_SNAPSHOT_COLUMNS", [*seed_module._SNAPSHOT_COLUMNS[:-1], "nope"]
    )
    users, profiles = await User.all().count(), await Profile.all().count()
    # Each database words the unknown column its own way; both name it.
    with pytest.raises(Exception, match="nope"):
        await seed(5, 31)
    assert (await User.all().count(), await Profile.all().count()) == (users, profiles)


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


def transposed(word: str) -> str:
    """The last two letters swapped: "Olivia" → "Olivai"."""
    return word[:-2] + word[-1] + word[-2]


def dropped(word: str) -> str:
    """The second-to-last letter left out: "Rossi" → "Rosi"."""
    return word[:-2] + word[-1]


async def test_a_newcomer_finds_seeded_creators_by_misspelt_full_names(
    gql: GraphQLClient, server: RunningServer
):
    """The README's path: seed, open GraphiQL, search a name as one half-remembers it — with
    no other filter, the creator is the first result."""
    profiles = await seeded(40, 22, datetime.now(UTC))
    creators = [
        p
        for p in profiles
        if p.role == "CREATOR" and all(len(w) >= 4 for w in p.display_name.split())
    ][:6]
    assert len(creators) >= 4
    for profile in creators:
        first, last = profile.display_name.split()
        for typo in (f"{transposed(first)} {last}", f"{first} {dropped(last)}"):
            page = await discover(gql, {"search": typo}, first=5)
            top = [e["node"]["displayName"] for e in page["edges"]]
            assert top and top[0] == profile.display_name, (typo, top)


async def test_a_misspelt_name_finds_the_profile(gql: GraphQLClient):
    scope = new_token()
    await make_profiles(gql, scope, [Spec("John Carter"), Spec("Maria Lopez")])
    assert await names(gql, {"search": "Jonh", "niches": [scope]}) == {"John Carter"}
    assert await names(gql, {"search": "Lopex", "niches": [scope]}) == {"Maria Lopez"}
    assert await names(gql, {"search": "Zebulon", "niches": [scope]}) == set()


async def test_a_misspelt_full_name_is_matched_word_by_word(gql: GraphQLClient):
    """Every word must be found or misspelt: a shared surname alone does not make a match (on
    PostgreSQL, where that keeps a common surname from making thousands of candidates)."""
    if not uses_postgres():
        pytest.skip("SQLite matches a share of the text's bigrams, not word by word")
    scope = new_token()
    await make_profiles(
        gql, scope, [Spec("Olivia Rossi"), Spec("Marco Rossi"), Spec("Olivia Bianchi")]
    )
    assert await names(gql, {"search": "Olivai Rossi", "niches": [scope]}) == {"Olivia Rossi"}
    assert await names(gql, {"search": "Rossi Olivai", "niches": [scope]}) == {"Olivia Rossi"}
    assert await names(gql, {"search": "rossi", "niches": [scope]}) == {
        "Olivia Rossi",
        "Marco Rossi",
    }


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


async def test_search_indexes_take_writes_at_once_and_profiles_leave_room(server: RunningServer):
    """Migration 0014: a search never scans a pending list that profile writes left behind,
    and an update of unindexed columns (view counts) can stay on its page."""
    if not uses_postgres():
        pytest.skip("PostgreSQL storage options")
    from tortoise import connections

    rows = await connections.get("default").execute_query_dict(
        "SELECT c.relname, c.reloptions FROM pg_class c JOIN pg_am a ON a.oid = c.relam"
        " JOIN pg_index i ON i.indexrelid = c.oid"
        " WHERE i.indrelid = 'profiles'::regclass AND a.amname = 'gin'"
    )
    assert len(rows) >= 5
    assert {r["relname"]: r["reloptions"] for r in rows} == {
        r["relname"]: ["fastupdate=off"] for r in rows
    }
    table = await connections.get("default").execute_query_dict(
        "SELECT reloptions FROM pg_class WHERE oid = 'profiles'::regclass"
    )
    assert table[0]["reloptions"] == ["fillfactor=90"]
