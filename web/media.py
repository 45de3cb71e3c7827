"""``GET /media/<key>``: the files of local storage (adapters/storage.py), when this app serves
them itself. Each upload has a URL of its own that never changes content, so browsers and CDNs
may keep it a year; only the image types the server writes are served, each with its own type
(never sniffed: ``X-Content-Type-Options: nosniff`` comes from web/headers.py on every answer,
and again here for a copy of this route behind another stack)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from adapters.storage import LocalStorage, valid_key
from web.refusals import error_body

CONTENT_TYPES = {".webp": "image/webp", ".jpg": "image/jpeg"}
IMMUTABLE = "public, max-age=31536000, immutable"


def media_routes(storage: LocalStorage, path: str = "/media") -> list[Route]:
    async def media(request: Request) -> Response:
        key = request.path_params["key"]
        suffix = "." + key.rpartition(".")[2]
        if not valid_key(key) or suffix not in CONTENT_TYPES or not storage.path(key).is_file():
            return Response(
                error_body("No such file.", "NOT_FOUND"), 404, media_type="application/json"
            )
        return FileResponse(
            storage.path(key),
            media_type=CONTENT_TYPES[suffix],
            headers={"Cache-Control": IMMUTABLE, "X-Content-Type-Options": "nosniff"},
        )

    return [Route(path + "/{key:path}", media, methods=["GET", "HEAD"])]
