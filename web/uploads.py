"""``POST /uploads/avatar``: a multipart form with one image in the field ``file`` and a Bearer
token; answers ``{"avatarUrl": …}``. Refusals are JSON with a code, as the GraphQL edge sends
them: 400 (no file, malformed form, damaged image, too many pixels), 401, 413 (more than the
upload cap, refused while the body streams in), 415 (not multipart, not a JPEG, PNG or WebP), 429.

The body cap itself sits in ``BodySizeLimitMiddleware`` (a per-path limit, app.py), so a 50 MB
body is cut off at the cap, not read to its end.
"""

from __future__ import annotations

import orjson
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters.images import ImageProblem, ImageRejectedError
from resolvers import auth
from resolvers.avatars import upload_avatar
from resolvers.errors import NotAuthenticatedError, RateLimitedError
from resolvers.services import Services
from web.refusals import error_body

AVATAR_PATH = "/uploads/avatar"
# Room for the multipart boundaries and part headers around a file of the largest size.
MULTIPART_OVERHEAD = 16 * 1024

_PROBLEMS = {
    ImageProblem.NOT_AN_IMAGE: (415, "UNSUPPORTED_MEDIA_TYPE"),
    ImageProblem.TOO_MANY_PIXELS: (400, "IMAGE_TOO_LARGE"),
    ImageProblem.CORRUPT: (400, "INVALID_IMAGE"),
}


class _FileTooLargeError(Exception):
    pass


class _BadFormError(Exception):
    pass


def _refuse(
    status: int, message: str, code: str, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        error_body(message, code), status, headers=headers, media_type="application/json"
    )


def avatar_routes(max_bytes: int) -> list[Route]:
    async def avatar(request: Request) -> Response:
        services: Services = request.state.services
        token = auth.bearer_token(request.headers.get("authorization"))
        try:
            if token is None:
                raise NotAuthenticatedError("Send an access token: Authorization: Bearer …")
            user = await auth.authenticate(services, token)
        except NotAuthenticatedError as exc:
            return _refuse(401, str(exc), "UNAUTHENTICATED", {"WWW-Authenticate": "Bearer"})
        if not (request.headers.get("content-type") or "").startswith("multipart/form-data"):
            return _refuse(415, "Send the image as multipart/form-data.", "UNSUPPORTED_MEDIA_TYPE")

        async def read() -> bytes:
            try:
                form = await request.form(max_files=1, max_fields=10)
            except HTTPException as exc:
                raise _BadFormError(exc.detail) from exc
            try:
                file = form.get("file")
                if not isinstance(file, UploadFile):
                    raise _BadFormError("Send the image in the form field 'file'.")
                data = await file.read(max_bytes + 1)
                if len(data) > max_bytes:
                    raise _FileTooLargeError
                return data
            finally:
                await form.close()

        try:
            url = await upload_avatar(services, user, read)
        except RateLimitedError as exc:
            return _refuse(
                429,
                str(exc),
                "RATE_LIMITED",
                {"Retry-After": str(exc.retry_after_seconds)},
            )
        except _FileTooLargeError:
            mib = max_bytes // (1024 * 1024)
            return _refuse(413, f"The image is larger than {mib} MB.", "PAYLOAD_TOO_LARGE")
        except _BadFormError as exc:
            return _refuse(400, str(exc), "BAD_REQUEST")
        except ImageRejectedError as exc:
            status, code = _PROBLEMS[exc.problem]
            return _refuse(status, str(exc), code)
        return Response(orjson.dumps({"avatarUrl": url}), 200, media_type="application/json")

    return [Route(AVATAR_PATH, avatar, methods=["POST"])]
