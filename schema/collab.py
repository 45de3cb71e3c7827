"""Collaboration requests: the type, `collabRequests`, and send / accept / decline / cancel."""

from __future__ import annotations

from datetime import datetime

import strawberry

from models import CollabRequest as CollabRequestModel
from models import CollabRequestStatus as StatusEnum
from resolvers import collab as ops
from resolvers.cursors import PAGE_MAX
from schema.chat.types import Conversation
from schema.context import Info
from schema.errors import refused_as_bad_input
from schema.input_ids import pk_of
from schema.node import Node, encode_id
from schema.payloads import Payload, refused_as
from schema.people import Person, person
from schema.relay import PageInfo, cursored, page_info

# Marked in place and named by alias, so the name is a type (see schema/enums.py).
strawberry.enum(
    StatusEnum, name="CollabRequestStatus", description="Where a collaboration request stands."
)
CollabRequestStatus = StatusEnum
strawberry.enum(
    ops.CollabRequestDirection,
    name="CollabRequestDirection",
    description="Requests you sent, or requests sent to you.",
)
CollabRequestDirection = ops.CollabRequestDirection


@strawberry.type(description="One person asking another to collaborate. Only the two see it.")
class CollabRequest(Node):
    message: str | None = strawberry.field(description="The note sent with it, as written.")
    status: CollabRequestStatus = strawberry.field(description="Where it stands.")
    created_at: datetime = strawberry.field(description="When it was sent.")
    responded_at: datetime | None = strawberry.field(
        description="When it was accepted, declined or cancelled."
    )
    model: strawberry.Private[CollabRequestModel]

    @strawberry.field(description="Who asked.")
    async def sender(self, info: Info) -> Person:
        return await person(info, self.model.sender_id)

    @strawberry.field(description="Who was asked.")
    async def recipient(self, info: Info) -> Person:
        return await person(info, self.model.recipient_id)

    @classmethod
    def from_model(cls, m: CollabRequestModel) -> CollabRequest:
        return cls(
            id=encode_id("CollabRequest", m.id),
            message=m.message,
            status=StatusEnum(m.status),
            created_at=m.created_at,
            responded_at=m.responded_at,
            model=m,
        )


@strawberry.type(description="A request in a page of requests.")
class CollabRequestEdge:
    cursor: str = strawberry.field(description="Pass as `after` for the ones after it.")
    node: CollabRequest = strawberry.field(description="The request.")


@strawberry.type(description="Collaboration requests, newest first.")
class CollabRequestConnection:
    edges: list[CollabRequestEdge] = strawberry.field(description="This page's requests.")
    page_info: PageInfo = strawberry.field(description="Whether more follow, and where.")


@strawberry.input(description="Whom to ask, and an optional note.")
class CollabRequestSendInput:
    recipient: strawberry.ID = strawberry.field(description="The User ID of the person to ask.")
    message: str | None = strawberry.field(
        default=None, description=f"An optional note, at most {ops.MESSAGE_MAX:,} characters."
    )


@strawberry.type(description="The result of collabRequestSend.")
class CollabRequestSendPayload(Payload):
    collab_request: CollabRequest | None = strawberry.field(
        default=None, description="The request sent."
    )


@strawberry.input(description="A request sent to you, to accept.")
class CollabRequestAcceptInput:
    request: strawberry.ID = strawberry.field(description="The request.")


@strawberry.type(description="The result of collabRequestAccept.")
class CollabRequestAcceptPayload(Payload):
    collab_request: CollabRequest | None = strawberry.field(
        default=None, description="The accepted request."
    )
    conversation: Conversation | None = strawberry.field(
        default=None, description="Your conversation with the sender, ready to use."
    )


@strawberry.input(description="A request sent to you, to decline.")
class CollabRequestDeclineInput:
    request: strawberry.ID = strawberry.field(description="The request.")


@strawberry.type(description="The result of collabRequestDecline.")
class CollabRequestDeclinePayload(Payload):
    collab_request: CollabRequest | None = strawberry.field(
        default=None, description="The declined request."
    )


@strawberry.input(description="A request you sent, to withdraw.")
class CollabRequestCancelInput:
    request: strawberry.ID = strawberry.field(description="The request.")


@strawberry.type(description="The result of collabRequestCancel.")
class CollabRequestCancelPayload(Payload):
    collab_request: CollabRequest | None = strawberry.field(
        default=None, description="The cancelled request."
    )


@strawberry.type
class CollabQuery:
    @strawberry.field(
        description=f"Requests you sent or received, newest first. `first` is at most {PAGE_MAX}."
    )
    @refused_as_bad_input
    async def collab_requests(
        self,
        info: Info,
        direction: CollabRequestDirection,
        status: CollabRequestStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> CollabRequestConnection:
        viewer = await info.context.require_viewer()
        page = await ops.list_requests(
            viewer,
            ops.CollabRequestDirection(direction),
            StatusEnum(status) if status is not None else None,
            first,
            after,
        )
        return CollabRequestConnection(
            edges=[
                CollabRequestEdge(cursor=c, node=CollabRequest.from_model(r))
                for r, c in cursored(page)
            ],
            page_info=page_info(page),
        )


@strawberry.type
class CollabMutation:
    @strawberry.mutation(
        description="Ask someone to collaborate. At most one request between two people is "
        "pending at a time."
    )
    @refused_as(CollabRequestSendPayload)
    async def collab_request_send(
        self, info: Info, input: CollabRequestSendInput
    ) -> CollabRequestSendPayload:
        viewer = await info.context.require_viewer()
        request = await ops.send_request(
            info.context.services, viewer, pk_of(input.recipient, "User"), input.message
        )
        return CollabRequestSendPayload(collab_request=CollabRequest.from_model(request))

    @strawberry.mutation(description="Accept a request sent to you; opens your conversation.")
    @refused_as(CollabRequestAcceptPayload)
    async def collab_request_accept(
        self, info: Info, input: CollabRequestAcceptInput
    ) -> CollabRequestAcceptPayload:
        viewer = await info.context.require_viewer()
        accepted = await ops.accept_request(
            info.context.services, viewer, pk_of(input.request, "CollabRequest")
        )
        return CollabRequestAcceptPayload(
            collab_request=CollabRequest.from_model(accepted.request),
            conversation=Conversation.from_model(accepted.conversation),
        )

    @strawberry.mutation(description="Decline a request sent to you.")
    @refused_as(CollabRequestDeclinePayload)
    async def collab_request_decline(
        self, info: Info, input: CollabRequestDeclineInput
    ) -> CollabRequestDeclinePayload:
        viewer = await info.context.require_viewer()
        request = await ops.decline_request(viewer, pk_of(input.request, "CollabRequest"))
        return CollabRequestDeclinePayload(collab_request=CollabRequest.from_model(request))

    @strawberry.mutation(description="Withdraw a request you sent, while it is pending.")
    @refused_as(CollabRequestCancelPayload)
    async def collab_request_cancel(
        self, info: Info, input: CollabRequestCancelInput
    ) -> CollabRequestCancelPayload:
        viewer = await info.context.require_viewer()
        request = await ops.cancel_request(viewer, pk_of(input.request, "CollabRequest"))
        return CollabRequestCancelPayload(collab_request=CollabRequest.from_model(request))
