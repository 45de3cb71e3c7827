"""Contacts and who may reach whom: `viewer.collaborators` lists accepted collaborations,
searchable and paged; a private profile can be messaged or asked only by people who already
share a conversation or a request with it, and anyone else is told it does not exist."""

from __future__ import annotations

from typing import Any

from tests.admin_support import admin, suspend
from tests.conftest import Account, GraphQLClient, register
from tests.realtime_support import REQUEST_ACCEPT, ask, codes, mutate, send, sent

COLLABORATORS = """query($search: String, $first: Int, $after: String) {
  viewer { collaborators(search: $search, first: $first, after: $after) {
    edges { cursor node { id displayName } }
    pageInfo { hasNextPage endCursor }
  } }
}"""
MAKE_PRIVATE = """mutation { profileUpdate(input: {isPublic: false}) { userErrors { code } } }"""


async def collaborate(gql: GraphQLClient, asker: Account, asked: Account) -> None:
    request = (await ask(gql, asker, asked))["collabRequest"]["id"]
    accepted = await mutate(gql, asked, REQUEST_ACCEPT, "collabRequestAccept", {"request": request})
    assert accepted["userErrors"] == []


async def collaborators(gql: GraphQLClient, viewer: Account, **variables: Any) -> dict[str, Any]:
    data = await gql.data(COLLABORATORS, variables, token=viewer.access_token)
    return data["viewer"]["collaborators"]


async def test_collaborators_are_accepted_requests_either_way_by_name(gql: GraphQLClient):
    me = await register(gql, display_name="Me")
    zoe = await register(gql, display_name="Zoe")
    amy = await register(gql, display_name="Amy")
    pending = await register(gql, display_name="Pending Pat")
    declined = await register(gql, display_name="Declined Dan")
    await collaborate(gql, me, zoe)  # I asked
    await collaborate(gql, amy, me)  # they asked
    await ask(gql, me, pending)
    request = (await ask(gql, declined, me))["collabRequest"]["id"]
    await mutate(
        gql,
        me,
        "mutation($input: CollabRequestDeclineInput!) { collabRequestDecline(input: $input) "
        "{ userErrors { code } } }",
        "collabRequestDecline",
        {"request": request},
    )
    listed = await collaborators(gql, me)
    assert [e["node"] for e in listed["edges"]] == [
        {"id": amy.user_id, "displayName": "Amy"},
        {"id": zoe.user_id, "displayName": "Zoe"},
    ]
    assert [e["node"]["id"] for e in (await collaborators(gql, zoe))["edges"]] == [me.user_id]
    assert (await collaborators(gql, pending))["edges"] == []


async def test_collaborators_search_and_page_without_repeats(gql: GraphQLClient):
    me = await register(gql, display_name="Pager")
    names = ["Kim Stone", "kim rivers", "Lee Kimball", "Max Doe", "Kimberly"]
    people = [await register(gql, display_name=n) for n in names]
    for person in people:
        await collaborate(gql, person, me)
    seen: list[str] = []
    after = None
    while True:
        page = await collaborators(gql, me, search="KIM", first=2, after=after)
        seen += [e["node"]["displayName"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sorted(seen) == sorted(["Kim Stone", "kim rivers", "Lee Kimball", "Kimberly"])
    assert len(seen) == len(set(seen))
    bad = await gql.post(COLLABORATORS, {"after": "not-a-cursor"}, token=me.access_token)
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_suspended_collaborator_drops_out_of_contacts(gql: GraphQLClient):
    boss = await admin(gql)
    me = await register(gql, display_name="Me")
    them = await register(gql, display_name="Them")
    await collaborate(gql, me, them)
    assert len((await collaborators(gql, me))["edges"]) == 1
    await suspend(gql, boss, them)
    assert (await collaborators(gql, me))["edges"] == []


async def test_a_private_profile_with_no_prior_contact_answers_like_a_missing_user(
    gql: GraphQLClient,
):
    stranger = await register(gql)
    private = await register(gql)
    await gql.data(MAKE_PRIVATE, token=private.access_token)
    message = await send(gql, stranger, "hi", to=private)
    missing = await send(
        gql, stranger, "hi", to=Account("x", "x", "VXNlcjo5OTk5OTk5", "x", "x", "x")
    )
    assert message["userErrors"] == missing["userErrors"]
    assert codes(message) == ["NOT_FOUND"]
    request = await ask(gql, stranger, private, "collab?")
    assert codes(request) == ["NOT_FOUND"]
    assert request["userErrors"][0]["message"] == "No user with this ID."


async def test_a_private_profile_stays_reachable_by_people_it_already_talks_to(
    gql: GraphQLClient,
):
    private = await register(gql)
    friend = await register(gql)
    asker = await register(gql)
    await sent(gql, friend, "before you went private", to=private)
    await ask(gql, asker, private, "collab?")
    await gql.data(MAKE_PRIVATE, token=private.access_token)
    assert (await send(gql, friend, "still here", to=private))["userErrors"] == []
    assert (await send(gql, asker, "about my request", to=private))["userErrors"] == []
    # And the private user may reach out to anyone public.
    assert (await send(gql, private, "hello", to=asker))["userErrors"] == []
