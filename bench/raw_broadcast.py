"""The fan-out benchmark's floor: a raw websocket broadcast, no GraphQL, no broker, no database.

Plain Starlette on the same uvicorn as `app.py serve`. It speaks just enough graphql-transport-ws
for the benchmark's client (connection_init → connection_ack, subscribe, ping → pong), and
``POST /broadcast`` sends the request body, as a text frame, to every subscribed socket in a
plain loop, answering once every send has been handed to the transport.

Run: ``uvicorn bench.raw_broadcast:app`` (bench/fanout.py starts it).
"""

from __future__ import annotations

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

subscribers: set[WebSocket] = set()


async def graphql_ws(websocket: WebSocket) -> None:
    await websocket.accept(subprotocol="graphql-transport-ws")
    try:
        while True:
            message = orjson.loads(await websocket.receive_text())
            kind = message.get("type")
            if kind == "connection_init":
                await websocket.send_text('{"type":"connection_ack"}')
            elif kind == "subscribe":
                subscribers.add(websocket)
            elif kind == "ping":
                await websocket.send_text('{"type":"pong"}')
    except WebSocketDisconnect:
        pass
    finally:
        subscribers.discard(websocket)


async def broadcast(request: Request) -> PlainTextResponse:
    frame = (await request.body()).decode()
    for websocket in list(subscribers):
        await websocket.send_text(frame)
    return PlainTextResponse(str(len(subscribers)))


app = Starlette(
    routes=[
        WebSocketRoute("/graphql", graphql_ws),
        Route("/broadcast", broadcast, methods=["POST"]),
        Route("/health", lambda request: PlainTextResponse("ok"), methods=["GET"]),
    ]
)
