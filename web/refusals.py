"""Requests to /graphql refused before any GraphQL runs (wrong method or content type, a body
too large, a batch, malformed JSON) answered as GraphQL clients expect: a JSON body
``{"errors": [{"message", "extensions": {"code"}}]}`` with the HTTP status that says why.

Strawberry raises ``HTTPException`` for these and its Starlette view renders them as plain text;
``JsonRefusals`` renders them here instead, in one place.
"""

from __future__ import annotations

from typing import Any

import orjson
from cross_web import HTTPException
from starlette.responses import Response
from starlette.types import Send
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET

CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


def error_body(message: str, code: str) -> bytes:
    return orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})


async def send_json(send: Send, status: int, body: bytes, *headers: tuple[bytes, bytes]) -> None:
    """Answers with a JSON body from a pure ASGI layer: the refusals here, and the layers that
    answer a GraphQL request themselves (the response cache, the compiled reads)."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def refusal(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    body = error_body(message, CODES.get(status, "BAD_REQUEST"))
    return Response(body, status_code=status, headers=headers, media_type="application/json")


def _as_refusal(error: HTTPException) -> Response:
    cause = error.__cause__
    if (
        isinstance(cause, InvalidOperationTypeError)
        and cause.operation_type is OperationType.MUTATION
    ):
        # A mutation sent with GET: the method is what is wrong (RFC 9110: 405 names the allowed).
        return refusal(405, error.reason, {"Allow": "POST"})
    if error.status_code == 405:
        return refusal(405, error.reason, {"Allow": "GET, POST"})
    return refusal(error.status_code, error.reason)


class JsonRefusals:
    """Mixed into the Strawberry ASGI view (app.py's ``GraphQLApp``)."""

    multipart_uploads_enabled: bool

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        try:
            return await super().run(request, context, root_value)  # type: ignore[misc]  # a mixin: Strawberry's view, next in the MRO, defines it
        except HTTPException as error:
            return _as_refusal(error)

    async def parse_http_body(self, request: Any) -> Any:
        # Strawberry answers any other content type with 400; 415 is the status that says so.
        if request.method == "POST":
            content_type, _ = parse_content_type(request.content_type or "")
            multipart = self.multipart_uploads_enabled and content_type == "multipart/form-data"
            if "application/json" not in content_type and not multipart:
                raise HTTPException(415, "Send the operation as application/json.")
        return await super().parse_http_body(request)  # type: ignore[misc]  # a mixin: Strawberry's view, next in the MRO, defines it
