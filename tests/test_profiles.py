"""Profiles: reading, visibility, node lookup and `profileUpdate` validation."""

from __future__ import annotations

import pytest

from tests.conftest import Account, GraphQLClient, register

UPDATE = """
mutation Update($input: ProfileUpdateInput!) {
  profileUpdate(input: $input) {
    profile { id displayName bio avatarUrl niches isPublic rizzScore
              location { city state country }
              preferences { audienceSize { min max } budget { min max }
                            collaborationTypes locations } }
    userErrors { field message code }
  }
}"""

PROFILE = """
query($id: ID!) { profile(id: $id) { id displayName bio niches role
  preferences { collaborationTypes } } }"""


async def update(gql: GraphQLClient, account: Account, **fields) -> dict:
    result = await gql.data(UPDATE, {"input": fields}, token=account.access_token)
    return result["profileUpdate"]


async def own_profile(gql: GraphQLClient, account: Account) -> dict:
    data = await gql.data(PROFILE, {"id": account.profile_id}, token=account.access_token)
    return data["profile"]


async def test_update_sets_every_field(gql: GraphQLClient, account: Account):
    payload = await update(
        gql,
        account,
        displayName="  Ann Creator ",
        bio="I film <b>food</b> & travel 🍜",
        avatarUrl="https://cdn.example.com/a.png",
        niches=["Food", "travel", "food"],
        location={"city": "Lisbon", "country": "Portugal"},
        isPublic=False,
        preferences={
            "audienceSize": {"min": 1000, "max": 50000},
            "budget": {"min": 100, "max": 5000},
            "collaborationTypes": ["SPONSORED_POST", "PRODUCT_REVIEW"],
            "locations": ["Portugal", "Spain"],
        },
    )
    assert payload["userErrors"] == []
    profile = payload["profile"]
    assert profile["displayName"] == "Ann Creator"
    assert profile["bio"] == "I film <b>food</b> & travel 🍜"  # kept as text, not interpreted
    assert profile["niches"] == ["food", "travel"]
    assert profile["location"] == {"city": "Lisbon", "state": None, "country": "Portugal"}
    assert profile["isPublic"] is False
    assert profile["preferences"]["audienceSize"] == {"min": 1000, "max": 50000}
    assert profile["preferences"]["collaborationTypes"] == ["SPONSORED_POST", "PRODUCT_REVIEW"]


async def test_absent_fields_are_kept_and_null_clears(gql: GraphQLClient, account: Account):
    await update(gql, account, bio="first bio", niches=["gaming"])
    payload = await update(gql, account, displayName="Renamed")
    assert payload["profile"]["bio"] == "first bio"
    assert payload["profile"]["niches"] == ["gaming"]
    payload = await update(gql, account, bio=None)
    assert payload["profile"]["bio"] is None
    assert payload["profile"]["displayName"] == "Renamed"


async def test_completing_a_profile_raises_its_rizz_score(gql: GraphQLClient, account: Account):
    before = (await update(gql, account, displayName="Plain"))["profile"]["rizzScore"]
    after = (
        await update(
            gql,
            account,
            bio="bio",
            avatarUrl="https://x.io/a.png",
            niches=["tech"],
            location={"country": "Kenya"},
        )
    )["profile"]["rizzScore"]
    assert after > before


@pytest.mark.parametrize(
    ("fields", "path", "code"),
    [
        ({"displayName": ""}, ["displayName"], "REQUIRED"),
        ({"displayName": "   "}, ["displayName"], "REQUIRED"),
        ({"displayName": None}, ["displayName"], "REQUIRED"),
        ({"displayName": "x" * 81}, ["displayName"], "TOO_LONG"),
        ({"displayName": "bad\u0000name"}, ["displayName"], "INVALID"),
        ({"bio": "b" * 20_000}, ["bio"], "TOO_LONG"),
        ({"avatarUrl": "javascript:alert(1)"}, ["avatarUrl"], "INVALID"),
        ({"avatarUrl": "ftp://example.com/a.png"}, ["avatarUrl"], "INVALID"),
        ({"avatarUrl": "https://" + "a" * 2100}, ["avatarUrl"], "TOO_LONG"),
        ({"niches": [f"n{i}" for i in range(11)]}, ["niches"], "TOO_MANY"),
        ({"niches": ["ok", ""]}, ["niches", "1"], "REQUIRED"),
        ({"niches": ["x" * 41]}, ["niches", "0"], "TOO_LONG"),
        ({"niches": ["<script>"]}, ["niches", "0"], "INVALID"),
        ({"location": {"city": "c" * 101}}, ["location", "city"], "TOO_LONG"),
        ({"isPublic": None}, ["isPublic"], "REQUIRED"),
        (
            {"preferences": {"audienceSize": {"min": 5000, "max": 10}}},
            ["preferences", "audienceSize", "min"],
            "OUT_OF_RANGE",
        ),
        (
            {"preferences": {"budget": {"min": 10, "max": 5}}},
            ["preferences", "budget", "min"],
            "OUT_OF_RANGE",
        ),
        (
            {"preferences": {"budget": {"min": -1}}},
            ["preferences", "budget", "min"],
            "OUT_OF_RANGE",
        ),
        ({"preferences": {"locations": ["x"] * 21}}, ["preferences", "locations"], "TOO_MANY"),
    ],
)
async def test_invalid_updates_are_user_errors_and_change_nothing(
    gql: GraphQLClient, account: Account, fields, path, code
):
    await update(gql, account, displayName="Stable", bio="stable bio")
    payload = await update(gql, account, **fields)
    assert payload["profile"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(path, code)]
    profile = await own_profile(gql, account)
    assert (profile["displayName"], profile["bio"]) == ("Stable", "stable bio")


async def test_one_bad_field_rejects_the_whole_update(gql: GraphQLClient, account: Account):
    await update(gql, account, displayName="Kept")
    payload = await update(gql, account, displayName="Changed", bio="z" * 5000)
    assert payload["userErrors"][0]["field"] == ["bio"]
    assert (await own_profile(gql, account))["displayName"] == "Kept"


async def test_unknown_collaboration_type_is_refused(gql: GraphQLClient, account: Account):
    result = await gql.post(
        UPDATE,
        {"input": {"preferences": {"collaborationTypes": ["BRIBE"]}}},
        token=account.access_token,
    )
    assert result.get("data") is None and result["errors"]


async def test_update_requires_sign_in(gql: GraphQLClient):
    result = await gql.post(UPDATE, {"input": {"bio": "x"}})
    assert result["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_private_profile_is_hidden_from_others_but_not_its_owner(gql: GraphQLClient):
    owner, other = await register(gql), await register(gql)
    await update(gql, owner, isPublic=False)
    assert (await gql.data(PROFILE, {"id": owner.profile_id}, other.access_token))[
        "profile"
    ] is None
    assert (await gql.data(PROFILE, {"id": owner.profile_id}))["profile"] is None
    assert (await own_profile(gql, owner))["id"] == owner.profile_id


async def test_preferences_are_visible_only_to_the_owner(gql: GraphQLClient):
    owner, other = await register(gql), await register(gql)
    await update(gql, owner, preferences={"collaborationTypes": ["AFFILIATE"]})
    seen_by_other = await gql.data(PROFILE, {"id": owner.profile_id}, other.access_token)
    assert seen_by_other["profile"]["preferences"] is None
    assert (await own_profile(gql, owner))["preferences"]["collaborationTypes"] == ["AFFILIATE"]


async def test_node_resolves_profiles_and_only_your_own_user(gql: GraphQLClient):
    owner, other = await register(gql, display_name="Node Owner"), await register(gql)
    query = """query($id: ID!) { node(id: $id) { id __typename
      ... on Profile { displayName } ... on User { email } } }"""
    profile = (await gql.data(query, {"id": owner.profile_id}))["node"]
    assert profile == {"id": owner.profile_id, "__typename": "Profile", "displayName": "Node Owner"}
    own_user = (await gql.data(query, {"id": owner.user_id}, owner.access_token))["node"]
    assert own_user["email"] == owner.email
    assert (await gql.data(query, {"id": owner.user_id}, other.access_token))["node"] is None
    assert (await gql.data(query, {"id": owner.user_id}))["node"] is None


@pytest.mark.parametrize(
    "bad_id",
    ["", "garbage", "UHJvZmlsZTp4", "UHJvZmlsZTo5OTk5OTk5", "Zm9vOjE=", "UHJvZmlsZTotMQ=="],
)
async def test_unknown_and_malformed_ids_look_absent(gql: GraphQLClient, bad_id: str):
    data = await gql.data(
        "query($id: ID!) { node(id: $id) { id } profile(id: $id) { id } }", {"id": bad_id}
    )
    assert data == {"node": None, "profile": None}


async def test_suspended_users_profile_is_hidden(gql: GraphQLClient):
    from models import User
    from schema.node import decode_id

    owner = await register(gql)
    await User.filter(id=decode_id(owner.user_id, "User")[1]).update(suspended=True)
    assert (await gql.data(PROFILE, {"id": owner.profile_id}))["profile"] is None
