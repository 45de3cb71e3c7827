"""One text rule for every string a person writes: control characters, bidirectional overrides
and (in names) zero-width characters are refused with a userError, on SQLite and PostgreSQL
alike, and nothing is stored."""

from __future__ import annotations

import pytest

from resolvers.text import has_forbidden_characters
from tests.conftest import GraphQLClient, register, unique_email
from tests.realtime_support import REQUEST_SEND, SEND
from tests.test_profiles import own_profile, update

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "evil\u202egnp.exe" reads as "evilexe.png"
ISOLATE = "\u2066"  # LEFT-TO-RIGHT ISOLATE
ZWSP = "\u200b"  # ZERO WIDTH SPACE: "Ann\u200b" looks like "Ann"
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # one emoji, joined by U+200D

REGISTER = """
mutation ($input: AccountRegisterInput!) {
  accountRegister(input: $input) { user { id } userErrors { field code } }
}"""

SEARCH = """
query ($search: String) { profiles(filter: {search: $search}) { edges { cursor } } }"""


@pytest.mark.parametrize(
    "text", ["a\x00b", "bell\x07", f"evil{RLO}gnp.exe", f"a{ISOLATE}b", f"Ann{ZWSP}", "\ufeffAnn"]
)
def test_one_line_text_refuses_controls_overrides_and_zero_width(text: str):
    assert has_forbidden_characters(text)


@pytest.mark.parametrize("text", ["a\x00b", "bell\x07", "cr\ronly", f"evil{RLO}gnp.exe"])
def test_longer_text_refuses_controls_and_overrides(text: str):
    assert has_forbidden_characters(text, line_breaks_allowed=True)


def test_longer_text_keeps_line_breaks_tabs_and_joined_emoji():
    assert not has_forbidden_characters(f"Hi!\n\tWe are {FAMILY}", line_breaks_allowed=True)
    assert has_forbidden_characters("two\nlines")


def codes(payload: dict) -> list[tuple[list[str], str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


async def test_a_nul_in_the_bio_is_refused_and_nothing_changes(gql: GraphQLClient):
    account = await register(gql)
    await update(gql, account, bio="Before")
    payload = await update(gql, account, bio="nul\x00byte")
    assert payload["profile"] is None
    assert codes(payload) == [(["bio"], "INVALID")]
    assert (await own_profile(gql, account))["bio"] == "Before"


@pytest.mark.parametrize("bio", [f"bidi {RLO}override", "bell\x07"])
async def test_other_unwritable_bios_are_refused(gql: GraphQLClient, bio: str):
    account = await register(gql)
    assert codes(await update(gql, account, bio=bio)) == [(["bio"], "INVALID")]


async def test_a_bio_keeps_its_lines_and_emoji(gql: GraphQLClient):
    account = await register(gql)
    bio = f"Line one\nLine two {FAMILY}"
    assert (await update(gql, account, bio=bio))["profile"]["bio"] == bio


@pytest.mark.parametrize("name", [f"Ann{RLO}", f"Ann{ZWSP}", f"A{ISOLATE}nn"])
async def test_display_names_refuse_overrides_and_zero_width(gql: GraphQLClient, name: str):
    account = await register(gql)
    payload = await update(gql, account, displayName=name)
    assert codes(payload) == [(["displayName"], "INVALID")]
    data = await gql.data(
        REGISTER,
        {
            "input": {
                "email": unique_email(),
                "password": "correct horse battery",
                "role": "CREATOR",
                "displayName": name,
            }
        },
    )
    assert data["accountRegister"]["user"] is None
    assert codes(data["accountRegister"]) == [(["displayName"], "INVALID")]


async def test_places_refuse_overrides(gql: GraphQLClient):
    account = await register(gql)
    payload = await update(gql, account, location={"city": f"Lis{RLO}bon"})
    assert codes(payload) == [(["location", "city"], "INVALID")]
    payload = await update(gql, account, preferences={"locations": [f"Porto{ZWSP}"]})
    assert codes(payload) == [(["preferences", "locations", "0"], "INVALID")]


async def test_messages_and_request_notes_refuse_overrides(gql: GraphQLClient):
    ann, bob = await register(gql), await register(gql)
    sent = await gql.data(
        SEND, {"input": {"recipient": bob.user_id, "body": f"{RLO}hi"}}, token=ann.access_token
    )
    assert codes(sent["chatMessageSend"]) == [(["body"], "INVALID")]
    asked = await gql.data(
        REQUEST_SEND,
        {"input": {"recipient": bob.user_id, "message": f"let's{RLO} talk"}},
        token=ann.access_token,
    )
    assert codes(asked["collabRequestSend"]) == [(["message"], "INVALID")]


async def test_search_text_refuses_zero_width(gql: GraphQLClient):
    result = await gql.post(SEARCH, {"search": f"Ann{ZWSP}"})
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert result["errors"][0]["extensions"]["userErrors"][0]["code"] == "INVALID"


@pytest.mark.parametrize("niche", ["\x00", f"fitness{RLO}"], ids=["nul", "override"])
async def test_niche_filters_refuse_what_no_niche_can_hold(gql: GraphQLClient, niche: str):
    """Found by probing beside tests/test_fuzz_schema.py: a NUL in a niche filter reached
    PostgreSQL, which cannot hold one, and answered INTERNAL_SERVER_ERROR."""
    query = "query ($n: [String!]) { profiles(filter: {niches: $n}) { edges { cursor } } }"
    result = await gql.post(query, {"n": ["travel", niche]})
    [error] = result["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["userErrors"] == [
        {"field": ["filter", "niches"], "message": error["message"], "code": "INVALID"}
    ]
