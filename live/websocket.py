"""One websocket as the transport sees it: text frames out, a size cap on what comes in, and
the process-wide pieces (hub, limits) its protocol handler needs, handed in by the view."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from json import JSONDecodeError
from typing import TYPE_CHECKING, Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import (
    NonJsonMessageReceived,
    NonTextMessageReceived,
    WebSocketDisconnected,
)

if TYPE_CHECKING:
    from strawberry.http.async_base_view import AsyncBaseHTTPView

    from adapters.metrics import Metrics
    from live.hub import SubscriptionHub
    from settings import Settings


@dataclass(frozen=True, slots=True)
class LiveLimits:
    max_message_bytes: int = 64 * 1024
    send_queue_frames: int = 256
    max_tokens: int = 3000

    @classmethod
    def from_settings(cls, settings: Settings) -> LiveLimits:
        return cls(
            max_message_bytes=settings.ws_max_message_bytes,
            send_queue_frames=settings.ws_send_queue_frames,
            max_tokens=settings.max_tokens,
        )


class LiveWebSocketAdapter(ASGIWebSocketAdapter):
    """Text frames out (graphql-ws clients need them), and a cap on what comes in. The view
    builds one per connection with the process's hub, limits and metrics
    (``functools.partial``)."""

    def __init__(
        self,
        view: AsyncBaseHTTPView[Any, Any, Any, Any, Any, Any, Any],
        request: WebSocket,
        response: WebSocket,
        *,
        hub: SubscriptionHub,
        limits: LiveLimits,
        metrics: Metrics,
    ) -> None:
        super().__init__(view, request, response)
        self.hub = hub
        self.limits = limits
        self.metrics = metrics

    async def iter_json(
        self, *, ignore_parsing_errors: bool = False
    ) -> AsyncGenerator[object, None]:
        limit = self.limits.max_message_bytes
        try:
            while self.ws.application_state != WebSocketState.DISCONNECTED:
                try:
                    text = await self.ws.receive_text()
                    if len(text) > limit or len(text.encode()) > limit:
                        await self.close(1009, f"Messages are limited to {limit} bytes")
                        return
                    yield self.view.decode_json(text)
                except JSONDecodeError as e:
                    if not ignore_parsing_errors:
                        raise NonJsonMessageReceived from e
        except KeyError as e:
            raise NonTextMessageReceived from e
        except WebSocketDisconnect:
            pass

    async def send_json(self, message: Mapping[str, object]) -> None:
        encoded = self.view.encode_json(message)
        await self.send_text(encoded.decode() if isinstance(encoded, bytes) else encoded)

    async def send_text(self, frame: str) -> None:
        try:
            await self.ws.send_text(frame)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc
