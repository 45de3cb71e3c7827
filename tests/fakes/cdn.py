"""A platform image CDN on loopback for the image proxy: each test puts the answers it needs
under paths of its own (an image, a redirect, a page, something too large)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.fakes.server import FakeProvider, Reply

# The CDN's name as the tests' DNS gives it (tests/fakes/dns.py): a TikTok CDN host, on loopback.
CDN_HOST = "p16-sign.tiktokcdn.com"


class FakeCdn(FakeProvider):
    def __init__(self) -> None:
        super().__init__()
        self.files: dict[str, Reply] = {}

    def put(self, path: str, reply: Reply) -> str:
        """Serves ``reply`` at ``path``; returns its URL under the CDN's name."""
        self.files[path] = reply
        return self.named_url(path)

    def named_url(self, path: str) -> str:
        port = self.url.rsplit(":", 1)[1]
        return f"http://{CDN_HOST}:{port}{path}"

    def routes(self) -> list[Route]:
        async def serve(request: Request) -> Response:
            path = request.url.path
            self.calls[path] += 1
            reply = self.files.get(path)
            if reply is None:
                return Response(b"not found", 404, media_type="text/plain")
            return Response(reply.body or b"", reply.status, headers=reply.headers)

        return [Route("/{path:path}", serve)]
