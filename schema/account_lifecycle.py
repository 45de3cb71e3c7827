"""The end of an account, by its owner: `accountDelete` and `accountExport`."""

from __future__ import annotations

import strawberry

from resolvers.account_deletion import delete_own_account
from resolvers.account_export import export_account
from schema.client_address import client_address
from schema.context import Info
from schema.payloads import Payload, refused_as


@strawberry.input(description="Your password, to confirm that you mean it.")
class AccountDeleteInput:
    password: str = strawberry.field(description="Your current password.")


@strawberry.type(description="The result of accountDelete.")
class AccountDeletePayload(Payload):
    deleted: bool = strawberry.field(
        default=False, description="True when the account is gone; your tokens stop working."
    )


@strawberry.type(description="The result of accountExport.")
class AccountExportPayload(Payload):
    document: str | None = strawberry.field(
        default=None,
        description="Everything stored about you, as one JSON document: account, profile, "
        "platform accounts and their stats history, collaboration requests, conversations with "
        "their messages, notifications and the activity log about you. Never password or token "
        "hashes.",
    )


@strawberry.type
class AccountLifecycleMutation:
    @strawberry.mutation(
        description="Delete your account: profile, platform accounts, stats history, requests, "
        "notifications and sessions are removed; the messages you sent stay with the people "
        "who received them, from a deleted user. The email can be registered again. The last "
        "admin cannot delete their account."
    )
    @refused_as(AccountDeletePayload)
    async def account_delete(self, info: Info, input: AccountDeleteInput) -> AccountDeletePayload:
        viewer = await info.context.require_viewer()
        await delete_own_account(
            info.context.services, viewer, input.password, client_address(info.context.request)
        )
        return AccountDeletePayload(deleted=True)

    @strawberry.mutation(description="Download everything stored about you, as one JSON document.")
    @refused_as(AccountExportPayload)
    async def account_export(self, info: Info) -> AccountExportPayload:
        viewer = await info.context.require_viewer()
        document = await export_account(viewer, client_address(info.context.request))
        return AccountExportPayload(document=document)
