"""`profileMatches`: the fit formula (resolvers/matching.py), and the query for each role."""

from __future__ import annotations

from typing import Any

import pytest

from models import Profile
from resolvers.matching import MatchPreference, fit
from tests.conftest import Account, GraphQLClient, register
from tests.test_discovery import Spec, make_profile, new_token, sync, update_profile

MATCHES = """
query Matches($first: Int, $after: String) {
  profileMatches(first: $first, after: $after) {
    hint
    edges { cursor score node { displayName } reasons { preference points maxPoints detail } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}"""


def brand(**preferences: Any) -> Profile:
    niches = preferences.pop("niches", [])
    return Profile(role="BRAND", display_name="B", niches=niches, preferences=preferences)


def creator(**values: Any) -> Profile:
    values.setdefault("avg_engagement", 0.0)
    values.setdefault("total_followers", 0)
    return Profile(role="CREATOR", display_name="C", **values)


def test_a_creator_meeting_every_preference_scores_100():
    b = brand(
        niches=["food", "travel"],
        audienceSize={"min": 1000, "max": 50000},
        locations=["Lisbon"],
        collaborationTypes=["SPONSORED_POST"],
    )
    c = creator(
        niches=["travel", "food"],
        total_followers=20000,
        city="lisbon",
        avg_engagement=12.0,
        preferences={"collaborationTypes": ["SPONSORED_POST", "EVENT"]},
    )
    result = fit(b, c)
    assert result.score == 100
    assert {r.preference for r in result.reasons} == set(MatchPreference)
    assert all(r.points == r.max_points for r in result.reasons)


def test_each_preference_earns_its_share_of_its_weight():
    b = brand(niches=["food", "travel"], audienceSize={"min": 10000, "max": None})
    c = creator(niches=["food"], total_followers=5000, avg_engagement=5.0)
    reasons = {r.preference: r for r in fit(b, c).reasons}
    assert reasons[MatchPreference.AUDIENCE_SIZE].points == pytest.approx(15)  # half the minimum
    assert reasons[MatchPreference.NICHES].points == pytest.approx(12.5)  # one niche of two
    assert reasons[MatchPreference.ENGAGEMENT].points == pytest.approx(7.5)  # 5% of 10%
    # (15 + 12.5 + 7.5) of (30 + 25 + 15) points
    assert fit(b, c).score == 50


def test_above_the_range_scales_down_and_unmet_location_and_types_earn_nothing():
    b = brand(
        audienceSize={"min": None, "max": 1000},
        locations=["Oslo"],
        collaborationTypes=["EVENT"],
    )
    c = creator(
        total_followers=4000, country="Norway", preferences={"collaborationTypes": ["AFFILIATE"]}
    )
    reasons = {r.preference: r for r in fit(b, c).reasons}
    assert reasons[MatchPreference.AUDIENCE_SIZE].points == pytest.approx(7.5)
    assert reasons[MatchPreference.LOCATION].points == 0
    assert reasons[MatchPreference.COLLABORATION_TYPES].points == 0
    assert "none of the kinds" in reasons[MatchPreference.COLLABORATION_TYPES].detail
    # 7.5 of 30 + 20 + 10 + 15 = 75 points: 10.
    assert fit(b, c).score == 10


async def matches(gql: GraphQLClient, account: Account, **variables: Any) -> dict[str, Any]:
    data = await gql.data(MATCHES, variables, token=account.access_token)
    return data["profileMatches"]


async def a_brand(gql: GraphQLClient, scope: str, place: str, audience: bool = False) -> Account:
    """A brand whose niche and location only this test's creators have; an audience range would
    make every other test's creator in that range a candidate too."""
    account = await register(gql, role="BRAND", display_name="Brand " + scope)
    preferences: dict[str, Any] = {"locations": [place], "collaborationTypes": ["PRODUCT_REVIEW"]}
    if audience:
        preferences["audienceSize"] = {"min": 1000, "max": 100000}
    await update_profile(gql, account, {"niches": [scope], "preferences": preferences})
    return account


async def test_a_brand_gets_creators_ranked_by_fit_with_reasons(gql: GraphQLClient):
    scope, place = new_token(), new_token()
    account = await a_brand(gql, scope, place)
    best = await make_profile(gql, scope, Spec("Best Fit", city=place))
    await sync(gql, best, {"TIKTOK": (20000, 8.0)})
    await make_profile(gql, scope, Spec("Niche Only", platforms={"TIKTOK": (50, 1.0)}))
    await make_profile(gql, new_token(), Spec("Elsewhere", city=place))
    result = await matches(gql, account)
    assert result["hint"] is None
    scores = {e["node"]["displayName"]: e["score"] for e in result["edges"]}
    assert [e["node"]["displayName"] for e in result["edges"]] == [
        "Best Fit",
        "Niche Only",
        "Elsewhere",
    ]
    # Of 70 points: 25 + 20 + 10 + 12 (8% engagement); 25 + 0 + 10 + 1.5; 0 + 20 + 10 + 0.
    assert (scores["Best Fit"], scores["Niche Only"], scores["Elsewhere"]) == (96, 52, 43)
    top = result["edges"][0]
    assert 0 < top["score"] <= 100
    assert top["score"] >= result["edges"][1]["score"]
    by = {r["preference"]: r for r in top["reasons"]}
    assert by["LOCATION"]["points"] == by["LOCATION"]["maxPoints"] == 20
    assert by["NICHES"]["points"] == 25
    assert by["ENGAGEMENT"]["points"] == 12


async def test_matches_page_by_score_then_id_without_repeats(gql: GraphQLClient):
    scope, place = new_token(), new_token()
    account = await a_brand(gql, scope, place)
    for i in range(5):
        await make_profile(gql, scope, Spec(f"Pager {i}", city=place if i % 2 else None))
    whole = [e["node"]["displayName"] for e in (await matches(gql, account, first=50))["edges"]]
    paged: list[str] = []
    after = None
    for _ in range(10):
        page = await matches(gql, account, first=2, after=after)
        paged += [e["node"]["displayName"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert paged == whole


async def test_a_creator_gets_the_brands_whose_preferences_they_fit(gql: GraphQLClient):
    scope, place = new_token(), new_token()
    await a_brand(gql, scope, place, audience=True)
    me = await make_profile(gql, scope, Spec("Creator Me", city=place))
    result = await matches(gql, me)
    assert result["hint"] is None
    assert result["edges"][0]["node"]["displayName"] == "Brand " + scope


async def test_a_brand_with_no_preferences_gets_a_hint_not_an_error(gql: GraphQLClient):
    account = await register(gql, role="BRAND", display_name="Blank Brand")
    result = await matches(gql, account)
    assert result["edges"] == []
    assert result["pageInfo"]["hasNextPage"] is False
    assert "preferences" in result["hint"]


async def test_a_creator_with_nothing_to_match_on_gets_a_hint(gql: GraphQLClient):
    account = await register(gql, role="CREATOR", display_name="Blank Creator")
    result = await matches(gql, account)
    assert result["edges"] == [] and "niches" in result["hint"]


async def test_matches_need_a_signed_in_user_and_a_valid_cursor(gql: GraphQLClient):
    anonymous = await gql.post(MATCHES, {})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    account = await register(gql, role="BRAND", display_name="Cursor Brand")
    refused = await gql.post(MATCHES, {"after": "nonsense"}, token=account.access_token)
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
