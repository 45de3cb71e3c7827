"""The request context: built fresh for every request and every websocket connection."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from models import User
from resolvers import auth
from resolvers.errors import NotAuthenticatedError
from resolvers.services import Services
from schema.errors import unauthenticated
from schema.loaders import Loaders
from schema.operation_record import OperationRecord


@dataclass(slots=True)
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    services: Services
    request_id: str
    authorization: str | None
    loaders: Loaders = field(default_factory=Loaders)
    operation: OperationRecord | None = None  # set per operation (schema/operation_observer.py)
    _viewer: User | None = None
    _viewer_error: str | None = None
    _resolved: bool = False
    _viewer_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def authenticated_as(self, user: User) -> None:
        """A websocket's viewer, authenticated once at connection_init."""
        self._viewer, self._viewer_error, self._resolved = user, None, True

    @property
    def known_user_id(self) -> int | None:
        """The signed-in user's id once this request has authenticated, else None: for logs
        and metrics, which must not authenticate on their own."""
        return self._viewer.id if self._viewer is not None else None

    async def viewer(self) -> User | None:
        """The signed-in user, or None when no token was sent. A token that was sent but is
        invalid is an error, so clients learn to refresh instead of silently acting anonymous."""
        if not self._resolved:
            async with self._viewer_lock:  # sibling fields wait for the one authentication
                if not self._resolved:
                    token = auth.bearer_token(self.authorization)
                    if token is not None:
                        try:
                            self._viewer = await auth.authenticate(self.services, token)
                        except NotAuthenticatedError as exc:
                            self._viewer_error = str(exc)
                    elif self.authorization:
                        self._viewer_error = "Send the token as 'Authorization: Bearer <token>'."
                    self._resolved = True
        if self._viewer_error is not None:
            raise unauthenticated(self._viewer_error)
        return self._viewer

    async def require_viewer(self) -> User:
        user = await self.viewer()
        if user is None:
            raise unauthenticated()
        return user


Info = strawberry.Info[Context, None]
