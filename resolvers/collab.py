"""Collaboration requests: one person asks, the other accepts or declines, the asker may cancel.

Between two people at most one request is pending at a time, whichever way it goes (a unique
key on the pair enforces it under any race). Only the two people see a request: to anyone else
its ID answers exactly like an ID that does not exist. Accepting opens (or finds) the two's
conversation, so they can start talking at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from models import CollabRequest, CollabRequestStatus, Conversation, NotificationType, User
from resolvers.chat.writes import find_or_create_direct
from resolvers.cursors import (
    Page,
    newest_first,
)
from resolvers.email_verification import COLLAB_REQUESTS, require_verified
from resolvers.errors import ErrorCode, OperationError
from resolvers.limits import enforce_limit
from resolvers.notifications import create_notification, publish_notifications
from resolvers.people import direct_key, display_name_of, may_reach
from resolvers.services import Services
from resolvers.text import clean_text
from resolvers.transactions import write_transaction

MESSAGE_MAX = 1000
_CURSOR = "CollabRequest"


class CollabRequestDirection(StrEnum):
    SENT = "SENT"
    RECEIVED = "RECEIVED"


def _not_found() -> OperationError:
    return OperationError.single(
        ("request",), "No collaboration request with this ID.", ErrorCode.NOT_FOUND
    )


async def send_request(
    services: Services, sender: User, recipient_id: int, message: str | None
) -> CollabRequest:
    """Asks ``recipient_id`` to collaborate; they get a COLLAB_REQUEST_RECEIVED notification.
    Every attempt counts against the sender's request limits, refused ones too."""
    await enforce_limit(
        services.collab_request_limiter, f"user:{sender.id}", "collaboration requests"
    )
    require_verified(services, sender, COLLAB_REQUESTS)
    note_text, errors = clean_text(message, ("message",), MESSAGE_MAX, required=False)
    if errors:
        raise OperationError(errors)
    if recipient_id == sender.id:
        raise OperationError.single(
            ("recipient",), "You cannot send a request to yourself.", ErrorCode.INVALID
        )
    if await may_reach(sender.id, recipient_id) is None:
        raise OperationError.single(("recipient",), "No user with this ID.", ErrorCode.NOT_FOUND)
    duplicate = OperationError.single(
        ("recipient",),
        "A collaboration request between you two is already pending.",
        ErrorCode.DUPLICATE,
    )
    key = direct_key(sender.id, recipient_id)
    if await CollabRequest.exists(pending_key=key):
        raise duplicate
    name = await display_name_of(sender.id)
    try:
        async with write_transaction():
            request = await CollabRequest.create(
                sender_id=sender.id,
                recipient_id=recipient_id,
                message=note_text,
                status=CollabRequestStatus.PENDING,
                pending_key=key,
            )
            note = await create_notification(
                recipient_id,
                NotificationType.COLLAB_REQUEST_RECEIVED,
                "New collaboration request",
                f"{name} wants to collaborate with you.",
                subject=("CollabRequest", request.id),
            )
    except IntegrityError as exc:  # a concurrent request between the two won the race
        raise duplicate from exc
    await publish_notifications(services, [note])
    return request


@dataclass(frozen=True, slots=True)
class Acceptance:
    request: CollabRequest
    conversation: Conversation


async def accept_request(services: Services, user: User, request_id: int) -> Acceptance:
    """The recipient accepts: the sender gets a COLLAB_REQUEST_ACCEPTED notification and the
    two's conversation exists from now on."""
    async with write_transaction():
        request = await _pending_for_update(user, request_id, recipient_only="accept")
        await _respond(request, CollabRequestStatus.ACCEPTED)
        conversation = await find_or_create_direct(request.sender_id, user.id)
        note = await create_notification(
            request.sender_id,
            NotificationType.COLLAB_REQUEST_ACCEPTED,
            "Collaboration request accepted",
            f"{await display_name_of(user.id)} accepted your collaboration request.",
            subject=("CollabRequest", request.id),
            payload={"conversation": conversation.id},
        )
    await publish_notifications(services, [note])
    return Acceptance(request, conversation)


async def decline_request(user: User, request_id: int) -> CollabRequest:
    async with write_transaction():
        request = await _pending_for_update(user, request_id, recipient_only="decline")
        await _respond(request, CollabRequestStatus.DECLINED)
    return request


async def cancel_request(user: User, request_id: int) -> CollabRequest:
    async with write_transaction():
        request = await _visible_for_update(user, request_id)
        if request.sender_id != user.id:
            raise OperationError.single(
                ("request",), "Only the sender can cancel a request.", ErrorCode.NOT_ALLOWED
            )
        _require_pending(request)
        await _respond(request, CollabRequestStatus.CANCELLED)
    return request


async def _visible_for_update(user: User, request_id: int) -> CollabRequest:
    request = await CollabRequest.select_for_update().get_or_none(id=request_id)
    if request is None or user.id not in (request.sender_id, request.recipient_id):
        raise _not_found()
    return request


async def _pending_for_update(user: User, request_id: int, recipient_only: str) -> CollabRequest:
    request = await _visible_for_update(user, request_id)
    if request.recipient_id != user.id:
        raise OperationError.single(
            ("request",),
            f"Only the person asked can {recipient_only} a request.",
            ErrorCode.NOT_ALLOWED,
        )
    _require_pending(request)
    return request


def _require_pending(request: CollabRequest) -> None:
    if request.status != CollabRequestStatus.PENDING:
        raise OperationError.single(
            ("request",),
            f"This request is already {request.status.lower()}.",
            ErrorCode.INVALID_STATE,
        )


async def _respond(request: CollabRequest, status: CollabRequestStatus) -> None:
    request.status = status
    request.pending_key = None
    request.responded_at = datetime.now(UTC)
    await request.save(update_fields=["status", "pending_key", "responded_at"])


async def visible_request(user: User, request_id: int) -> CollabRequest | None:
    return await CollabRequest.get_or_none(
        Q(sender_id=user.id) | Q(recipient_id=user.id), id=request_id
    )


async def list_requests(
    user: User,
    direction: CollabRequestDirection,
    status: CollabRequestStatus | None,
    first: int | None,
    after: str | None,
) -> Page[CollabRequest]:
    """Requests the user sent or received, newest first, optionally of one status."""
    if direction is CollabRequestDirection.SENT:
        query = CollabRequest.filter(sender_id=user.id)
    else:
        query = CollabRequest.filter(recipient_id=user.id)
    if status is not None:
        query = query.filter(status=status)
    return await newest_first(query, _CURSOR, first, after)
