"""``GET /images/proxy?url=…&sig=…``: platform avatars through this server (resolvers/
image_proxy.py). 400 without both parameters, 403 for a link this server did not sign or may not
fetch, 502 when the CDN's answer is unusable; otherwise the re-encoded image (WebP), cacheable
for as long as the server caches it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from resolvers.image_proxy import ProxyRefusedError, ProxyUpstreamError, proxied_image_bytes
from resolvers.services import Services
from web.refusals import error_body

PROXY_PATH = "/images/proxy"


def _refuse(status: int, message: str, code: str) -> Response:
    # Refusals are cached briefly: a CDN hiccup should not stick, a bad link need not be retried.
    return Response(
        error_body(message, code),
        status,
        headers={"Cache-Control": "public, max-age=60"},
        media_type="application/json",
    )


def image_proxy_routes(cache_seconds: int) -> list[Route]:
    async def proxy(request: Request) -> Response:
        services: Services = request.state.services
        url = request.query_params.get("url", "")
        signature = request.query_params.get("sig", "")
        if not url or not signature:
            return _refuse(400, "Give both url and sig.", "BAD_REQUEST")
        try:
            image = await proxied_image_bytes(services.media, url, signature)
        except ProxyRefusedError as exc:
            return _refuse(403, str(exc), "FORBIDDEN")
        except ProxyUpstreamError:
            return _refuse(502, "The image could not be fetched.", "BAD_GATEWAY")
        return Response(
            image,
            200,
            headers={
                "Cache-Control": f"public, max-age={cache_seconds}",
                "X-Content-Type-Options": "nosniff",
            },
            media_type="image/webp",
        )

    return [Route(PROXY_PATH, proxy, methods=["GET", "HEAD"])]
