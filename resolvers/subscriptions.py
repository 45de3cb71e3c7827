"""Who may listen to what: the websocket's one authentication, and each topic's authorization.

A websocket authenticates once, in ``connection_init``; the token's expiry is kept so the
connection can be closed when it runs out. Each subscription is then authorized for its topic:
only participants hear a conversation, only the owner hears their notifications, and only
visible profiles (public, or your own) can be watched. What you may not see answers exactly
like what does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.tokens import InvalidTokenError
from models import ConversationParticipant, User
from resolvers import auth
from resolvers.chat.events import conversation_topic
from resolvers.errors import ErrorCode, NotAuthenticatedError, OperationError
from resolvers.notifications import notification_topic
from resolvers.profile_reads import ProfileRow, profile_of, visible_profile
from resolvers.services import Services
from resolvers.stats_events import profile_topic


@dataclass(frozen=True, slots=True)
class ConnectionSession:
    user: User
    expires_at: int  # epoch seconds: the connection closes then


async def authenticate_connection(services: Services, authorization: object) -> ConnectionSession:
    """``connectionParams.authorization`` = "Bearer <access token>"; anything else is refused."""
    token = auth.bearer_token(authorization)
    if token is None:
        raise NotAuthenticatedError("Send connectionParams.authorization = 'Bearer <token>'.")
    user = await auth.authenticate(services, token)
    try:
        claims = services.tokens.decode(token, "access")
    except InvalidTokenError as exc:  # expired between the two checks
        raise NotAuthenticatedError(exc.reason) from exc
    return ConnectionSession(user, claims.expires_at)


async def conversation_events_topic(viewer: User, conversation_id: int) -> str:
    if not await ConversationParticipant.exists(conversation_id=conversation_id, user_id=viewer.id):
        raise OperationError.single(
            ("conversation",), "No conversation with this ID.", ErrorCode.NOT_FOUND
        )
    return conversation_topic(conversation_id)


def notification_events_topic(viewer: User) -> str:
    return notification_topic(viewer.id)


async def profile_stats_topic(viewer: User, profile_id: int | None) -> tuple[str, ProfileRow]:
    """The topic of a visible profile's stats (default: the viewer's own)."""
    if profile_id is None:
        profile = ProfileRow.from_model(await profile_of(viewer))
    else:
        found = await visible_profile(viewer, profile_id)
        if found is None:
            raise OperationError.single(
                ("profile",), "No profile with this ID.", ErrorCode.NOT_FOUND
            )
        profile = found.profile
    return profile_topic(profile.id), profile


async def still_visible(viewer: User, profile_id: int) -> bool:
    """Checked at each event, so a profile that turns private stops being watched."""
    return await visible_profile(viewer, profile_id) is not None
