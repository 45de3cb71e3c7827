"""Email verification, followed through a real SMTP server on loopback: the code registration
mails, wrong / expired / reused codes, the five-try cap, resend limits, changing the address,
and what an unverified user may not do."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import models
from settings import Settings
from tests.conftest import Account, GraphQLClient, RunningServer, register, server_environment
from tests.mail_support import MailCatcher, code_in, html_of, smtp_for, text_of
from tests.realtime_support import ask, send
from tests.test_accounts import sign_in, user_pk

ERRORS = "userErrors { field message code }"
VERIFY = f"""mutation ($input: AccountEmailVerifyInput!) {{
  accountEmailVerify(input: $input) {{ user {{ email emailVerified }} {ERRORS} }} }}"""
RESEND = f"mutation {{ accountEmailVerificationResend {{ sent {ERRORS} }} }}"
CHANGE = f"""mutation ($input: AccountEmailChangeInput!) {{
  accountEmailChange(input: $input) {{ pendingEmail {ERRORS} }} }}"""
CHANGE_CONFIRM = f"""mutation ($input: AccountEmailChangeConfirmInput!) {{
  accountEmailChangeConfirm(input: $input) {{ user {{ email emailVerified }} {ERRORS} }} }}"""
VIEWER = "{ viewer { email emailVerified } }"


@pytest.fixture(scope="module")
def smtp(server: RunningServer) -> Iterator[MailCatcher]:
    with smtp_for(server) as catcher:
        yield catcher


@pytest.fixture
def production_default(server: RunningServer) -> Iterator[None]:
    """The suite lets unverified users do everything; these tests run with the default."""
    services = server.services
    previous = services.unverified_may
    env = server_environment()
    del env["UNVERIFIED_MAY"]
    services.unverified_may = Settings.from_env(env).unverified_may
    try:
        yield
    finally:
        services.unverified_may = previous


async def verify(gql: GraphQLClient, account: Account, code: str) -> dict[str, Any]:
    data = await gql.data(VERIFY, {"input": {"code": code}}, token=account.access_token)
    return data["accountEmailVerify"]


async def resend(gql: GraphQLClient, account: Account) -> dict[str, Any]:
    return (await gql.data(RESEND, token=account.access_token))["accountEmailVerificationResend"]


async def viewer(gql: GraphQLClient, account: Account) -> dict[str, Any]:
    return (await gql.data(VIEWER, token=account.access_token))["viewer"]


def codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["userErrors"]]


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_registration_mails_a_code_that_verifies_the_address(
    gql: GraphQLClient, smtp: MailCatcher
):
    account = await register(gql)
    assert (await viewer(gql, account))["emailVerified"] is False

    mail = await smtp.wait_for(account.email)
    code = code_in(mail)
    assert code in html_of(mail) and "10 minutes" in text_of(mail)
    payload = await verify(gql, account, code)

    assert payload == {"user": {"email": account.email, "emailVerified": True}, "userErrors": []}
    assert (await viewer(gql, account))["emailVerified"] is True
    # Verified once is verified: the code is spent, and there is nothing left to verify.
    assert codes(await verify(gql, account, code)) == ["INVALID_STATE"]


async def test_a_wrong_code_is_refused_and_the_right_one_still_works(
    gql: GraphQLClient, smtp: MailCatcher
):
    account = await register(gql)
    code = code_in(await smtp.wait_for(account.email))

    assert codes(await verify(gql, account, wrong(code))) == ["INVALID_CODE"]
    assert codes(await verify(gql, account, "not a code")) == ["INVALID_CODE"]
    assert (await viewer(gql, account))["emailVerified"] is False
    assert (await verify(gql, account, code))["userErrors"] == []


async def test_a_sixth_try_is_refused_even_with_the_right_code(
    gql: GraphQLClient, smtp: MailCatcher
):
    account = await register(gql)
    code = code_in(await smtp.wait_for(account.email))
    for _ in range(5):
        assert codes(await verify(gql, account, wrong(code))) == ["INVALID_CODE"]

    assert codes(await verify(gql, account, code)) == ["INVALID_CODE"]
    assert (await viewer(gql, account))["emailVerified"] is False


async def test_an_expired_code_is_refused(gql: GraphQLClient, smtp: MailCatcher):
    account = await register(gql)
    code = code_in(await smtp.wait_for(account.email))
    await models.EmailCode.filter(user_id=user_pk(account.access_token)).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )

    assert codes(await verify(gql, account, code)) == ["INVALID_CODE"]


async def test_codes_are_stored_only_as_keyed_hashes(gql: GraphQLClient, smtp: MailCatcher):
    account = await register(gql)
    code = code_in(await smtp.wait_for(account.email))
    row = await models.EmailCode.get(user_id=user_pk(account.access_token))

    assert code not in row.code_hash and len(row.code_hash) == 64


async def test_resend_waits_a_minute_and_stops_after_five_a_day(
    gql: GraphQLClient, smtp: MailCatcher
):
    account = await register(gql)
    first = code_in(await smtp.wait_for(account.email))
    user_id = user_pk(account.access_token)

    refused = await resend(gql, account)
    assert codes(refused) == ["RATE_LIMITED"] and refused["sent"] is False

    async def a_minute_passes() -> None:
        rows = await models.EmailCode.filter(user_id=user_id)
        for row in rows:
            await models.EmailCode.filter(id=row.id).update(
                created_at=row.created_at - timedelta(seconds=61)
            )

    await a_minute_passes()
    assert (await resend(gql, account)) == {"sent": True, "userErrors": []}
    second = code_in(await smtp.wait_for(account.email, 2))
    # The new code replaces the old one.
    assert codes(await verify(gql, account, first)) == ["INVALID_CODE"] or first == second
    for count in (3, 4, 5):
        await a_minute_passes()
        assert (await resend(gql, account))["userErrors"] == []
        await smtp.wait_for(account.email, count)
    await a_minute_passes()

    refused = await resend(gql, account)
    assert codes(refused) == ["RATE_LIMITED"]
    assert "hours" in refused["userErrors"][0]["message"]
    assert len(smtp.to(account.email)) == 5


async def test_changing_the_address_takes_effect_only_once_the_new_one_confirms(
    gql: GraphQLClient, smtp: MailCatcher
):
    account = await register(gql)
    await smtp.wait_for(account.email)
    new_email = account.email.replace("@", "-new@")
    change = {"newEmail": new_email, "password": account.password}

    wrong_password = await gql.data(
        CHANGE, {"input": {**change, "password": "not the password"}}, token=account.access_token
    )
    assert codes(wrong_password["accountEmailChange"]) == ["INVALID_CREDENTIALS"]
    started = await gql.data(CHANGE, {"input": change}, token=account.access_token)
    assert started["accountEmailChange"] == {"pendingEmail": new_email, "userErrors": []}
    code = code_in(await smtp.wait_for(new_email))
    assert (await viewer(gql, account))["email"] == account.email  # not yet

    confirmed = await gql.data(
        CHANGE_CONFIRM, {"input": {"code": code}}, token=account.access_token
    )

    assert confirmed["accountEmailChangeConfirm"]["user"] == {
        "email": new_email,
        "emailVerified": True,
    }
    assert (await sign_in(gql, new_email, account.password))["userErrors"] == []
    assert codes(await sign_in(gql, account.email, account.password)) == ["INVALID_CREDENTIALS"]


async def test_an_unverified_user_cannot_send_a_chat_message_by_default(
    gql: GraphQLClient, smtp: MailCatcher, production_default: None
):
    sender, recipient = await register(gql), await register(gql)

    payload = await send(gql, sender, "hello", to=recipient)

    assert codes(payload) == ["EMAIL_NOT_VERIFIED"] and payload["message"] is None
    assert not await models.Message.filter(sender_id=user_pk(sender.access_token)).exists()
    await verify(gql, sender, code_in(await smtp.wait_for(sender.email)))
    assert (await send(gql, sender, "hello", to=recipient))["userErrors"] == []


async def test_an_unverified_user_cannot_ask_to_collaborate_by_default(
    gql: GraphQLClient, smtp: MailCatcher, production_default: None
):
    sender, recipient = await register(gql), await register(gql)

    assert codes(await ask(gql, sender, recipient)) == ["EMAIL_NOT_VERIFIED"]
    await verify(gql, sender, code_in(await smtp.wait_for(sender.email)))
    assert (await ask(gql, sender, recipient))["userErrors"] == []


def test_unverified_may_names_what_unverified_users_may_do():
    def may(value: str | None) -> frozenset[str]:
        env = server_environment()
        del env["UNVERIFIED_MAY"]
        if value is not None:
            env["UNVERIFIED_MAY"] = value
        return Settings.from_env(env).unverified_may

    assert may(None) == frozenset()
    assert may("messages") == {"messages"}
    assert may("all") == {"messages", "collab-requests"}
    with pytest.raises(Exception, match="UNVERIFIED_MAY"):
        may("everything")
