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

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_POLICY = "default-src 'none'; frame-ancestors 'none'"
# A year; subdomains are the operator's to decide, so they are not included.
HSTS = "max-age=31536000"


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, production: bool) -> None:
        self.app = app
        self.production = production

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        writes = scope["method"] not in {"GET", "HEAD", "OPTIONS"}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                headers.setdefault("Content-Security-Policy", API_POLICY)
                if self.production:
                    headers["Strict-Transport-Security"] = HSTS
                if writes:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
