"""Accounts and sessions: registration, sign-in, refresh-token rotation and reuse detection,
sign-out, and how the API treats every kind of bad or missing access token.

Every response in this module also goes through ``CheckedClient``, which fails the test if it ever
carries a password hash or a stack trace.
"""

from __future__ import annotations

import asyncio
import base64
import statistics
import time
import uuid
import warnings
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest

import models
from resolvers.auth import bearer_token
from resolvers.profiles import DISPLAY_NAME_MAX
from tests.conftest import (
    PASSWORD,
    REGISTER,
    Account,
    GraphQLClient,
    RunningServer,
    register,
    unique_email,
)

TOKEN_CREATE = """
mutation SignIn($input: TokenCreateInput!) {
  tokenCreate(input: $input) {
    user { id email role profile { id } }
    accessToken refreshToken
    userErrors { field message code }
  }
}"""

TOKEN_REFRESH = """
mutation Refresh($input: TokenRefreshInput!) {
  tokenRefresh(input: $input) {
    accessToken refreshToken
    userErrors { field message code }
  }
}"""

TOKEN_REVOKE = """
mutation SignOut($input: TokenRevokeInput!) {
  tokenRevoke(input: $input) { revoked userErrors { field message code } }
}"""

VIEWER = "{ viewer { id email role profile { id displayName role } } }"

# What must never reach a client, whatever the request.
LEAK_MARKERS = ("$argon2", "password_hash", "Traceback", 'File "/')


def assert_no_leak(text: str) -> None:
    for marker in LEAK_MARKERS:
        assert marker not in text, f"response leaks {marker!r}: {text[:500]}"


class CheckedClient(GraphQLClient):
    """The harness's client, plus a check of the raw body of every response for leaks."""

    def inspect(self, response: httpx.Response) -> None:
        assert_no_leak(response.text)


@pytest.fixture
def gql(http: httpx.AsyncClient) -> GraphQLClient:
    return CheckedClient(http)


@pytest.fixture(scope="module")
async def reader(server: RunningServer) -> Account:
    """One account shared by the tests that cannot change it (failed sign-ins, refused tokens)."""
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        return await register(CheckedClient(client))


# --- helpers -------------------------------------------------------------------------------------


async def register_payload(
    gql: GraphQLClient,
    *,
    email: str | None = None,
    password: str = PASSWORD,
    role: str = "CREATOR",
    display_name: str = "Test User",
) -> dict[str, Any]:
    data = await gql.data(
        REGISTER,
        {
            "input": {
                "email": unique_email() if email is None else email,
                "password": password,
                "role": role,
                "displayName": display_name,
            }
        },
    )
    return data["accountRegister"]


async def sign_in(gql: GraphQLClient, email: str, password: str) -> dict[str, Any]:
    data = await gql.data(TOKEN_CREATE, {"input": {"email": email, "password": password}})
    return data["tokenCreate"]


async def refresh(gql: GraphQLClient, refresh_token: str) -> dict[str, Any]:
    data = await gql.data(TOKEN_REFRESH, {"input": {"refreshToken": refresh_token}})
    return data["tokenRefresh"]


async def revoke(gql: GraphQLClient, refresh_token: str) -> dict[str, Any]:
    data = await gql.data(TOKEN_REVOKE, {"input": {"refreshToken": refresh_token}})
    return data["tokenRevoke"]


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["userErrors"]]


def assert_refused(payload: dict[str, Any], code: str, field: list[str] | None) -> None:
    """A refused mutation: exactly one userError with this code and field, and no tokens."""
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)], payload
    assert payload["accessToken"] is None
    assert payload["refreshToken"] is None
    if "user" in payload:
        assert payload["user"] is None


def claims_of(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def user_pk(access_token: str) -> int:
    """The database id of the token's user, read from the (trusted, test-issued) token."""
    return int(claims_of(access_token)["sub"])


async def viewer_email(gql: GraphQLClient, access_token: str) -> str:
    data = await gql.data(VIEWER, token=access_token)
    assert data["viewer"] is not None
    return data["viewer"]["email"]


def assert_unauthenticated(result: dict[str, Any], account: Account) -> None:
    """A top-level UNAUTHENTICATED error, and nothing about the account in the response."""
    assert result.get("errors"), result
    assert [e["extensions"]["code"] for e in result["errors"]] == ["UNAUTHENTICATED"], result
    assert result.get("data") is None or result["data"].get("viewer") is None, result
    assert account.email not in str(result)


async def suspend(access_token: str) -> None:
    # No API suspends users yet; set the state directly.
    await models.User.filter(id=user_pk(access_token)).update(suspended=True)


# --- accountRegister -----------------------------------------------------------------------------


async def test_register_returns_working_tokens_and_creates_a_profile(gql: GraphQLClient):
    email = unique_email("register")
    payload = await register_payload(gql, email=email, display_name="Ann")

    assert payload["userErrors"] == []
    assert payload["user"]["email"] == email
    assert payload["user"]["role"] == "CREATOR"
    assert payload["user"]["profile"]["displayName"] == "Ann"
    assert payload["accessToken"] and payload["refreshToken"]
    assert payload["accessToken"] != payload["refreshToken"]

    data = await gql.data(VIEWER, token=payload["accessToken"])
    assert data["viewer"]["id"] == payload["user"]["id"]
    assert data["viewer"]["profile"] == {
        "id": payload["user"]["profile"]["id"],
        "displayName": "Ann",
        "role": "CREATOR",
    }
    assert (await refresh(gql, payload["refreshToken"]))["userErrors"] == []


async def test_register_as_brand_creates_a_brand_profile(gql: GraphQLClient):
    payload = await register_payload(gql, role="BRAND", display_name="Acme")
    assert payload["userErrors"] == []
    assert payload["user"]["role"] == "BRAND"
    data = await gql.data(VIEWER, token=payload["accessToken"])
    assert data["viewer"]["profile"]["role"] == "BRAND"


async def test_register_normalizes_the_email(gql: GraphQLClient):
    local = f"Ann-{uuid.uuid4().hex[:8]}"
    payload = await register_payload(gql, email=f" {local}@Example.COM ")

    normalized = f"{local.lower()}@example.com"
    assert payload["userErrors"] == []
    assert payload["user"]["email"] == normalized
    assert await viewer_email(gql, payload["accessToken"]) == normalized
    assert (await sign_in(gql, normalized, PASSWORD))["userErrors"] == []


async def test_register_trims_the_display_name(gql: GraphQLClient):
    payload = await register_payload(gql, display_name="  Ann Lee \t")
    assert payload["userErrors"] == []
    assert payload["user"]["profile"]["displayName"] == "Ann Lee"


async def test_register_refuses_an_email_already_used_in_another_case(gql: GraphQLClient):
    first = await register(gql, email=unique_email("dup"))
    payload = await register_payload(
        gql, email="  " + first.email.upper() + " ", password="another long password"
    )

    assert_refused(payload, "DUPLICATE", ["email"])
    # The original account keeps its password; the refused one was never stored.
    assert (await sign_in(gql, first.email, first.password))["userErrors"] == []
    assert codes(await sign_in(gql, first.email, "another long password")) == [
        "INVALID_CREDENTIALS"
    ]


async def test_concurrent_registrations_of_one_email_create_one_account(gql: GraphQLClient):
    email = unique_email("race")
    variants = [email, email.upper(), f" {email} ", email.title()]
    payloads = await asyncio.gather(*(register_payload(gql, email=v) for v in variants))

    succeeded = [p for p in payloads if not p["userErrors"]]
    refused = [p for p in payloads if p["userErrors"]]
    assert len(succeeded) == 1, payloads
    for payload in refused:
        assert_refused(payload, "DUPLICATE", ["email"])
    assert await models.User.filter(email=email).count() == 1


async def test_register_refuses_the_admin_role(gql: GraphQLClient):
    email = unique_email("admin")
    payload = await register_payload(gql, email=email, role="ADMIN")

    assert_refused(payload, "INVALID", ["role"])
    assert codes(await sign_in(gql, email, PASSWORD)) == ["INVALID_CREDENTIALS"]


@pytest.mark.parametrize(
    ("length", "code"),
    [(0, "TOO_SHORT"), (7, "TOO_SHORT"), (257, "TOO_LONG"), (10_000, "TOO_LONG")],
)
async def test_register_refuses_a_password_of_bad_length_and_creates_nothing(
    gql: GraphQLClient, length: int, code: str
):
    email = unique_email("pw")
    password = ("abcdefghij" * (length // 10 + 1))[:length]
    payload = await register_payload(gql, email=email, password=password)

    assert_refused(payload, code, ["password"])
    assert codes(await sign_in(gql, email, password)) == ["INVALID_CREDENTIALS"]
    assert not await models.User.filter(email=email).exists()
    # The email is still free: a valid registration with it succeeds.
    assert (await register_payload(gql, email=email))["userErrors"] == []


@pytest.mark.parametrize("length", [8, 256])
async def test_register_accepts_a_password_at_the_length_limits(gql: GraphQLClient, length: int):
    email = unique_email("pw")
    password = ("0123456789" * 26)[:length]
    payload = await register_payload(gql, email=email, password=password)

    assert payload["userErrors"] == []
    assert (await sign_in(gql, email, password))["userErrors"] == []


@pytest.mark.parametrize("display_name", ["", "   ", "\t\n "])
async def test_register_requires_a_display_name(gql: GraphQLClient, display_name: str):
    email = unique_email("name")
    payload = await register_payload(gql, email=email, display_name=display_name)

    assert_refused(payload, "REQUIRED", ["displayName"])
    assert not await models.User.filter(email=email).exists()


@pytest.mark.parametrize(
    ("display_name", "code"), [("x" * (DISPLAY_NAME_MAX + 1), "TOO_LONG"), ("Ann\x00", "INVALID")]
)
async def test_register_refuses_a_bad_display_name(
    gql: GraphQLClient, display_name: str, code: str
):
    email = unique_email("name")
    payload = await register_payload(gql, email=email, display_name=display_name)

    assert_refused(payload, code, ["displayName"])
    assert not await models.User.filter(email=email).exists()


@pytest.mark.parametrize("email", ["", "   "])
async def test_register_requires_an_email(gql: GraphQLClient, email: str):
    payload = await register_payload(gql, email=email)
    assert_refused(payload, "REQUIRED", ["email"])


@pytest.mark.parametrize(
    "email",
    [
        "not-an-email",
        "ann@",
        "@example.com",
        "ann@example",
        "ann lee@example.com",
        "ann@@example.com",
        "ann@exa mple.com",
        "a" * 65 + "@example.com",
        "ann@" + "e" * 250 + ".com",
        "ann\x00@example.com",
        "ann\x07@example.com",
        "ann@exam\x1fple.com",
    ],
)
async def test_register_refuses_an_invalid_email(gql: GraphQLClient, email: str):
    payload = await register_payload(gql, email=email)
    assert_refused(payload, "INVALID", ["email"])


async def test_register_reports_every_problem_at_once(gql: GraphQLClient):
    payload = await register_payload(
        gql, email="nope", password="short", role="ADMIN", display_name=" "
    )
    assert payload["user"] is None
    assert payload["accessToken"] is None
    assert sorted((e["field"][0], e["code"]) for e in payload["userErrors"]) == [
        ("displayName", "REQUIRED"),
        ("email", "INVALID"),
        ("password", "TOO_SHORT"),
        ("role", "INVALID"),
    ]
    assert all(e["message"] for e in payload["userErrors"])


# --- tokenCreate ---------------------------------------------------------------------------------


async def test_sign_in_returns_a_working_session(gql: GraphQLClient, account: Account):
    payload = await sign_in(gql, account.email, account.password)

    assert payload["userErrors"] == []
    assert payload["user"]["id"] == account.user_id
    assert payload["user"]["profile"]["id"] == account.profile_id
    assert await viewer_email(gql, payload["accessToken"]) == account.email
    assert (await refresh(gql, payload["refreshToken"]))["userErrors"] == []


async def test_sign_in_normalizes_the_email(gql: GraphQLClient, account: Account):
    payload = await sign_in(gql, f"  {account.email.upper()}\t", account.password)
    assert payload["userErrors"] == []
    assert payload["user"]["email"] == account.email


async def test_sign_in_gives_the_same_error_for_unknown_email_and_wrong_password(
    gql: GraphQLClient, reader: Account
):
    unknown = await sign_in(gql, unique_email("nobody"), reader.password)
    wrong = await sign_in(gql, reader.email, reader.password + "!")

    assert_refused(unknown, "INVALID_CREDENTIALS", None)
    assert unknown["userErrors"] == wrong["userErrors"]
    assert unknown == wrong


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("", PASSWORD),
        ("   ", PASSWORD),
        ("not-an-email", PASSWORD),
        ("a" * 300 + "@example.com", PASSWORD),
        ("ann\x00@example.com", PASSWORD),
        (None, ""),
        (None, "x" * 10_000),
    ],
)
async def test_sign_in_refuses_malformed_credentials_like_wrong_ones(
    gql: GraphQLClient, reader: Account, email: str | None, password: str
):
    payload = await sign_in(gql, reader.email if email is None else email, password)
    assert_refused(payload, "INVALID_CREDENTIALS", None)


async def test_sign_in_takes_as_long_for_an_unknown_email_as_for_a_wrong_password(
    gql: GraphQLClient, reader: Account
):
    """Guards the dummy argon2 verify: without it an unknown email answers faster, which tells an
    attacker which emails have accounts. The test server hashes with little memory, so the hash
    is only part of a request's time; the time above a request that hashes nothing (a refresh
    with a garbage token) is compared too, which is mostly the hash."""

    async def timed(run: Any) -> float:
        start = time.perf_counter()
        payload = await run
        elapsed = time.perf_counter() - start
        assert payload["userErrors"], payload
        return elapsed

    unknown: list[float] = []
    wrong: list[float] = []
    baseline: list[float] = []
    await timed(sign_in(gql, reader.email, "wrong password!"))  # warm up
    for _ in range(7):
        baseline.append(await timed(refresh(gql, "garbage")))
        unknown.append(await timed(sign_in(gql, unique_email("nobody"), "wrong password!")))
        wrong.append(await timed(sign_in(gql, reader.email, "wrong password!")))
    unknown_s, wrong_s = statistics.median(unknown), statistics.median(wrong)
    base_s = statistics.median(baseline)
    timings = {"unknown": unknown, "wrong": wrong, "baseline": baseline}
    assert 1 / 3 < unknown_s / wrong_s < 3, timings
    assert wrong_s - base_s > 0, timings
    assert 1 / 3 < (unknown_s - base_s) / (wrong_s - base_s) < 3, timings


async def test_suspended_user_cannot_sign_in(gql: GraphQLClient, account: Account):
    await suspend(account.access_token)

    payload = await sign_in(gql, account.email, account.password)
    assert_refused(payload, "ACCOUNT_SUSPENDED", None)
    # A wrong password still says only that the credentials are wrong.
    wrong = await sign_in(gql, account.email, "not the password")
    assert_refused(wrong, "INVALID_CREDENTIALS", None)


async def test_suspended_user_access_token_is_refused(gql: GraphQLClient, account: Account):
    assert await viewer_email(gql, account.access_token) == account.email
    await suspend(account.access_token)

    result = await gql.post(VIEWER, token=account.access_token)
    assert_unauthenticated(result, account)


async def test_suspended_user_cannot_refresh(gql: GraphQLClient, account: Account):
    await suspend(account.access_token)

    payload = await refresh(gql, account.refresh_token)
    assert_refused(payload, "ACCOUNT_SUSPENDED", None)


async def test_refresh_refused_for_suspension_does_not_use_up_the_token(
    gql: GraphQLClient, account: Account
):
    await suspend(account.access_token)
    assert codes(await refresh(gql, account.refresh_token)) == ["ACCOUNT_SUSPENDED"]
    await models.User.filter(id=user_pk(account.access_token)).update(suspended=False)

    payload = await refresh(gql, account.refresh_token)
    assert payload["userErrors"] == []


# --- tokenRefresh --------------------------------------------------------------------------------


async def test_refresh_rotates_the_token_pair(gql: GraphQLClient, account: Account):
    payload = await refresh(gql, account.refresh_token)

    assert payload["userErrors"] == []
    assert payload["refreshToken"] != account.refresh_token
    assert await viewer_email(gql, payload["accessToken"]) == account.email
    # The previous access token stays valid until it expires.
    assert await viewer_email(gql, account.access_token) == account.email
    # The new refresh token works in turn.
    again = await refresh(gql, payload["refreshToken"])
    assert again["userErrors"] == []
    assert await viewer_email(gql, again["accessToken"]) == account.email


async def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(
    gql: GraphQLClient, account: Account
):
    second = await refresh(gql, account.refresh_token)
    third = await refresh(gql, second["refreshToken"])
    assert third["userErrors"] == []

    reused = await refresh(gql, account.refresh_token)
    assert_refused(reused, "TOKEN_REUSED", ["refreshToken"])

    # The newest token of the family, never used, no longer works either.
    newest = await refresh(gql, third["refreshToken"])
    assert_refused(newest, "INVALID_TOKEN", ["refreshToken"])
    # Presenting the reused token again stays refused.
    assert codes(await refresh(gql, account.refresh_token)) in (
        ["TOKEN_REUSED"],
        ["INVALID_TOKEN"],
    )


async def test_token_reuse_leaves_other_sessions_signed_in(gql: GraphQLClient, account: Account):
    other = await sign_in(gql, account.email, account.password)
    await refresh(gql, account.refresh_token)
    assert codes(await refresh(gql, account.refresh_token)) == ["TOKEN_REUSED"]

    payload = await refresh(gql, other["refreshToken"])
    assert payload["userErrors"] == []


RACE_ROUNDS = 6  # each round is a fresh session; a race that is lost sometimes shows up


async def test_concurrent_refreshes_with_one_token_let_exactly_one_succeed(
    gql: GraphQLClient, account: Account
):
    for _ in range(RACE_ROUNDS):
        session = await sign_in(gql, account.email, account.password)
        payloads = await asyncio.gather(*(refresh(gql, session["refreshToken"]) for _ in range(4)))

        succeeded = [p for p in payloads if not p["userErrors"]]
        assert len(succeeded) == 1, payloads
        refused = [p for p in payloads if p["userErrors"]]
        assert ["TOKEN_REUSED"] in [codes(p) for p in refused], payloads
        for payload in refused:
            assert codes(payload) in (["TOKEN_REUSED"], ["INVALID_TOKEN"]), payloads
            assert payload["accessToken"] is None and payload["refreshToken"] is None
        # The reuse revoked the family, including the token the winner has just received.
        assert codes(await refresh(gql, succeeded[0]["refreshToken"])) == ["INVALID_TOKEN"]


async def test_sign_out_during_a_rotation_also_signs_out_its_successor(
    gql: GraphQLClient, account: Account
):
    for _ in range(RACE_ROUNDS):
        session = await sign_in(gql, account.email, account.password)
        rotated, revoked = await asyncio.gather(
            refresh(gql, session["refreshToken"]), revoke(gql, session["refreshToken"])
        )

        assert revoked == {"revoked": True, "userErrors": []}
        if rotated["userErrors"]:  # the sign-out came first
            assert_refused(rotated, "INVALID_TOKEN", ["refreshToken"])
        else:
            assert codes(await refresh(gql, rotated["refreshToken"])) == ["INVALID_TOKEN"]


async def test_access_token_is_refused_as_a_refresh_token(gql: GraphQLClient, account: Account):
    payload = await refresh(gql, account.access_token)
    assert_refused(payload, "INVALID_TOKEN", ["refreshToken"])
    # The refused attempt did not touch the real refresh token.
    assert (await refresh(gql, account.refresh_token))["userErrors"] == []


def _forge(settings: Any, claims: dict[str, Any], **changes: Any) -> str:
    secret = changes.pop("secret", settings.jwt_secret)
    algorithm = changes.pop("algorithm", "HS256")
    payload = {**claims, **changes}
    for key in [k for k, v in payload.items() if v is None]:
        del payload[key]
    with warnings.catch_warnings():  # the server's secret is short for HS512; that's the point
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        return jwt.encode(payload, secret, algorithm=algorithm)


def _alg_none(token: str) -> str:
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    return f"{header}.{token.split('.')[1]}."


def _flip_signature(token: str) -> str:
    # A middle character: the last one may only carry padding bits, and decode unchanged.
    head, body, signature = token.split(".")
    i = len(signature) // 2
    flipped = "A" if signature[i] != "A" else "B"
    return f"{head}.{body}.{signature[:i]}{flipped}{signature[i + 1 :]}"


def _swap_payload(token: str, claims: dict[str, Any]) -> str:
    # Another user's id under the original signature.
    head, _, signature = token.split(".")
    body = jwt.encode(claims, "unused-" + "z" * 40, algorithm="HS256").split(".")[1]
    return f"{head}.{body}.{signature}"


def _next_user(token: str) -> str:
    return str(int(claims_of(token)["sub"]) + 1)


Forger = Callable[[Any, str], str]

BAD_REFRESH_TOKENS: dict[str, Forger] = {
    "expired": lambda s, t: _forge(s, claims_of(t), iat=int(time.time()) - 120, exp=1),
    "tampered_signature": lambda s, t: _flip_signature(t),
    "forged_payload": lambda s, t: _swap_payload(t, {**claims_of(t), "sub": _next_user(t)}),
    "alg_none": lambda s, t: _alg_none(t),
    "wrong_secret": lambda s, t: _forge(s, claims_of(t), secret="another-secret-" + "y" * 40),
    "wrong_audience": lambda s, t: _forge(s, claims_of(t), aud="someone-else"),
    "wrong_issuer": lambda s, t: _forge(s, claims_of(t), iss="someone-else"),
    "hs512": lambda s, t: _forge(s, claims_of(t), algorithm="HS512"),
    "never_issued": lambda s, t: _forge(s, claims_of(t), jti=uuid.uuid4().hex),
    "other_users_id": lambda s, t: _forge(s, claims_of(t), sub=_next_user(t)),
    "no_family": lambda s, t: _forge(s, claims_of(t), fam=None),
    "garbage": lambda s, t: "garbage",
    "empty": lambda s, t: "",
}


@pytest.mark.parametrize("kind", BAD_REFRESH_TOKENS)
async def test_refresh_refuses_a_bad_refresh_token(
    gql: GraphQLClient, server: RunningServer, account: Account, kind: str
):
    token = BAD_REFRESH_TOKENS[kind](server.settings, account.refresh_token)
    payload = await refresh(gql, token)

    assert_refused(payload, "INVALID_TOKEN", ["refreshToken"])
    # None of these burns the genuine token.
    assert (await refresh(gql, account.refresh_token))["userErrors"] == []


# --- tokenRevoke ---------------------------------------------------------------------------------


async def test_revoke_signs_out(gql: GraphQLClient, account: Account):
    payload = await revoke(gql, account.refresh_token)
    assert payload == {"revoked": True, "userErrors": []}

    after = await refresh(gql, account.refresh_token)
    assert_refused(after, "INVALID_TOKEN", ["refreshToken"])


async def test_revoke_signs_out_tokens_rotated_from_the_same_sign_in(
    gql: GraphQLClient, account: Account
):
    rotated = await refresh(gql, account.refresh_token)
    assert (await revoke(gql, account.refresh_token))["revoked"] is True

    assert codes(await refresh(gql, rotated["refreshToken"])) == ["INVALID_TOKEN"]


async def test_revoke_leaves_other_sessions_signed_in(gql: GraphQLClient, account: Account):
    other = await sign_in(gql, account.email, account.password)
    assert (await revoke(gql, account.refresh_token))["revoked"] is True

    assert (await refresh(gql, other["refreshToken"]))["userErrors"] == []


@pytest.mark.parametrize("kind", ["garbage", "access_token", "tampered_signature", "never_issued"])
async def test_revoke_refuses_a_bad_token(
    gql: GraphQLClient, server: RunningServer, account: Account, kind: str
):
    token = (
        account.access_token
        if kind == "access_token"
        else BAD_REFRESH_TOKENS[kind](server.settings, account.refresh_token)
    )
    payload = await revoke(gql, token)

    assert payload["revoked"] is False
    assert codes(payload) == ["INVALID_TOKEN"]
    assert (await refresh(gql, account.refresh_token))["userErrors"] == []


# --- viewer and access tokens --------------------------------------------------------------------


async def test_viewer_is_null_without_a_token(gql: GraphQLClient):
    assert await gql.data(VIEWER) == {"viewer": None}


BAD_ACCESS_TOKENS: dict[str, Forger] = {
    "expired": lambda s, t: _forge(s, claims_of(t), iat=int(time.time()) - 120, exp=1),
    "tampered_signature": lambda s, t: _flip_signature(t),
    "forged_payload": lambda s, t: _swap_payload(t, {**claims_of(t), "sub": _next_user(t)}),
    "alg_none": lambda s, t: _alg_none(t),
    "wrong_secret": lambda s, t: _forge(s, claims_of(t), secret="another-secret-" + "y" * 40),
    "wrong_audience": lambda s, t: _forge(s, claims_of(t), aud="someone-else"),
    "wrong_issuer": lambda s, t: _forge(s, claims_of(t), iss="someone-else"),
    "hs512": lambda s, t: _forge(s, claims_of(t), algorithm="HS512"),
    "no_type": lambda s, t: _forge(s, claims_of(t), typ=None),
    "no_expiry": lambda s, t: _forge(s, claims_of(t), exp=None),
    "non_numeric_subject": lambda s, t: _forge(s, claims_of(t), sub="admin"),
    "unknown_user": lambda s, t: _forge(s, claims_of(t), sub=str(2**62)),
    "garbage": lambda s, t: "garbage",
    "three_dots": lambda s, t: "a.b.c",
}


@pytest.mark.parametrize("kind", BAD_ACCESS_TOKENS)
async def test_viewer_refuses_a_bad_access_token(
    gql: GraphQLClient, server: RunningServer, reader: Account, kind: str
):
    token = BAD_ACCESS_TOKENS[kind](server.settings, reader.access_token)
    result = await gql.post(VIEWER, token=token)
    assert_unauthenticated(result, reader)


async def test_viewer_refuses_a_refresh_token_as_access_token(gql: GraphQLClient, account: Account):
    result = await gql.post(VIEWER, token=account.refresh_token)
    assert_unauthenticated(result, account)
    # Refused as an access token, it still works as what it is.
    assert (await refresh(gql, account.refresh_token))["userErrors"] == []


@pytest.mark.parametrize(
    "header",
    ["Basic xyz", "Bearer", "Token abc", "bearer-abc", "garbage"],
)
async def test_viewer_refuses_an_authorization_header_without_a_bearer_token(
    http: httpx.AsyncClient, reader: Account, header: str
):
    response = await http.post(
        "/graphql", json={"query": VIEWER}, headers={"Authorization": header}
    )
    assert response.status_code == 200
    assert_no_leak(response.text)
    assert_unauthenticated(response.json(), reader)


async def test_bearer_scheme_is_case_insensitive(http: httpx.AsyncClient, reader: Account):
    response = await http.post(
        "/graphql",
        json={"query": VIEWER},
        headers={"Authorization": f"bearer {reader.access_token}"},
    )
    assert response.json()["data"]["viewer"]["email"] == reader.email


@pytest.mark.parametrize(
    ("authorization", "token"),
    [
        ("Bearer abc.def", "abc.def"),
        ("bearer abc", "abc"),
        ("BEARER abc", "abc"),
        ("  Bearer   abc  ", "abc"),
        ("Bearer", None),
        ("Bearer   ", None),
        ("Basic abc", None),
        ("bearer-abc", None),
        ("", None),
        (None, None),
        (["Bearer", "abc"], None),  # a websocket's connectionParams can hold anything
    ],
)
def test_bearer_token_is_read_one_way_for_http_rest_and_websockets(
    authorization: object, token: str | None
):
    assert bearer_token(authorization) == token


async def test_bad_token_fails_the_request_without_partial_data(
    gql: GraphQLClient, reader: Account
):
    """A request with a bad token must not fall back to anonymous for its other fields either."""
    query = "query Q($id: ID!) { viewer { email } node(id: $id) { id } }"
    result = await gql.post(query, {"id": reader.user_id}, token=reader.access_token + "x")

    assert result.get("errors")
    assert {e["extensions"]["code"] for e in result["errors"]} == {"UNAUTHENTICATED"}
    assert result["data"] in (None, {"viewer": None, "node": None})
    assert reader.email not in str(result)


# --- nothing secret in responses -----------------------------------------------------------------


async def test_user_type_exposes_no_password_field(gql: GraphQLClient, reader: Account):
    result = await gql.post("{ viewer { passwordHash } }", token=reader.access_token)
    assert result.get("errors")
    assert "data" not in result or result["data"] is None

    fields = await gql.data('{ __type(name: "User") { fields { name } } }')
    names = {f["name"] for f in fields["__type"]["fields"]}
    assert not {n for n in names if "password" in n.lower() or "hash" in n.lower()}


async def test_responses_never_contain_the_password_hash(
    gql: GraphQLClient, http: httpx.AsyncClient
):
    email = unique_email("hash")
    payload = await register_payload(gql, email=email)
    stored = await models.User.get(email=email)
    assert stored.password_hash.startswith("$argon2id$")

    register_again = {
        "input": {"email": email, "password": PASSWORD, "role": "CREATOR", "displayName": "X"}
    }
    requests = [
        (REGISTER, register_again, None),
        (VIEWER, None, payload["accessToken"]),
        (TOKEN_CREATE, {"input": {"email": email, "password": PASSWORD}}, None),
        (TOKEN_CREATE, {"input": {"email": email, "password": "wrong password"}}, None),
        (TOKEN_REFRESH, {"input": {"refreshToken": payload["refreshToken"]}}, None),
        (TOKEN_REFRESH, {"input": {"refreshToken": payload["refreshToken"]}}, None),
    ]
    for query, variables, token in requests:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        assert response.status_code == 200
        assert stored.password_hash not in response.text
        assert stored.password_hash.rsplit("$", 1)[-1] not in response.text  # the digest alone
        assert_no_leak(response.text)


async def test_unexpected_input_shapes_give_clean_errors(http: httpx.AsyncClient):
    """Wrong GraphQL types and missing fields are refused by validation, without internals."""
    for body in [
        {"query": TOKEN_CREATE, "variables": {"input": {"email": 5, "password": None}}},
        {"query": TOKEN_CREATE, "variables": {"input": {"email": "a@example.com"}}},
        {"query": TOKEN_REFRESH, "variables": {"input": {"refreshToken": ["x"]}}},
        {"query": REGISTER, "variables": {"input": {"email": "a@example.com", "role": "ROOT"}}},
    ]:
        response = await http.post("/graphql", json=body)
        assert_no_leak(response.text)
        result = response.json()
        assert result.get("errors"), result
        assert result.get("data") is None


async def test_sign_in_attempts_are_limited_per_email_known_or_not(
    gql: GraphQLClient, server: RunningServer
):
    from adapters.ratelimit import RateLimiter

    account = await register(gql)
    unknown = unique_email("nobody")
    services = server.services
    original = services.sign_in_limiter
    services.sign_in_limiter = RateLimiter.from_url(
        "3/minute", server.settings.redis_url, f"sign-in-test-{uuid.uuid4().hex[:8]}"
    )
    try:
        for email in (account.email, unknown):
            for _ in range(3):
                payload = await sign_in(gql, email, "wrong password!")
                assert codes(payload) == ["INVALID_CREDENTIALS"]
            limited = await sign_in(gql, email, "wrong password!")
            assert codes(limited) == ["RATE_LIMITED"]
            assert "seconds" in limited["userErrors"][0]["message"]
        # Even the right password waits: the limit is on attempts, not on failures.
        assert codes(await sign_in(gql, account.email, account.password)) == ["RATE_LIMITED"]
        other = await register(gql)
        assert (await sign_in(gql, other.email, other.password))["userErrors"] == []
    finally:
        services.sign_in_limiter = original
