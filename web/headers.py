"""Security headers on every HTTP response.

- ``X-Content-Type-Options: nosniff``: a JSON answer is never reinterpreted as a script or page.
- ``Referrer-Policy: no-referrer``: GraphiQL keeps the query and its variables in the page URL,
  and nothing here needs to tell another site where a visitor came from, so no URL leaves.
- ``Content-Security-Policy: default-src 'none'; frame-ancestors 'none'`` on answers that set
  none themselves: an API response loads nothing and is framed by no one. The GraphiQL page
  brings its own policy.
- ``Strict-Transport-Security`` in production only: development runs on plain HTTP on localhost,
  where a remembered HSTS entry would break other local servers.
- ``Cache-Control: no-store`` on every answer to a request other than GET, HEAD or OPTIONS:
  every POST to ``/graphql`` (accountRegister, tokenCreate and tokenRefresh answer with tokens)
  and every REST write. GET queries keep their own caching rules; GET cannot carry a mutation.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_POLICY = "default-src 'none'; frame-ancestors 'none'"
# A year; subdomains are the operator's to decide, so they are not included.
HSTS = "max-age=31536000"


_REPLACED = frozenset({b"x-content-type-options", b"referrer-policy", b"strict-transport-security"})
_POLICY = b"content-security-policy"
_CACHE_CONTROL = b"cache-control"


class SecurityHeadersMiddleware:
    """Adds the headers as raw pairs, built once: every response passes here, and rewriting them
    through ``MutableHeaders`` (a scan of every header per name set) cost more than the rest of
    a response-cache hit's layers together."""

    def __init__(self, app: ASGIApp, *, production: bool) -> None:
        self.app = app
        self.production = production
        self.fixed: list[tuple[bytes, bytes]] = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
        ]
        if production:
            self.fixed.append((b"strict-transport-security", HSTS.encode()))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        writes = scope["method"] not in {"GET", "HEAD", "OPTIONS"}
        replaced = _REPLACED | {_CACHE_CONTROL} if writes else _REPLACED

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() not in replaced
                ]
                if not any(name.lower() == _POLICY for name, _ in headers):
                    headers.append((_POLICY, API_POLICY.encode()))
                headers += self.fixed
                if writes:
                    headers.append((_CACHE_CONTROL, b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
