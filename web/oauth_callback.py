"""The browser's part of an OAuth flow, on this server.

``GET /oauth/start/{platform}?flow=…`` (the ``authorizationUrl`` that ``socialAccountAuthorize``
returns) binds the flow to the browser that opens it — a cookie holding a random secret whose
hash the flow keeps — and sends the browser on (303) to the platform's consent screen.
``GET /oauth/callback/{platform}`` is where the platform sends the browser back; it finishes
the flow only in that same browser (resolvers/oauth.py says why), clears the cookie, and sends
the browser on (303) to the app's result page, ``OAUTH_RESULT_URL``, with
``?platform=…&result=connected`` or ``result=error&code=…`` — never a token or the platform's
own message in the URL, and never a cached answer.

The cookie is HttpOnly and SameSite=Lax (sent on the platform's top-level redirect back, not on
cross-site subrequests), one per platform (two tabs may connect two platforms at once), and
lives as long as a flow. Over https it is ``__Host-``-prefixed, which browsers accept only
Secure, without a Domain and with Path=/: no sibling subdomain can plant one (a planted cookie
would carry its planter's binding). Over plain http (development) it is a plain name scoped to
Path=/oauth.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from resolvers.oauth import CallbackError, complete, start
from resolvers.services import Services
from settings import OAuthSettings


def oauth_callback_routes(settings: OAuthSettings) -> list[Route]:
    secure = (settings.redirect_base_url or "").startswith("https://")

    def cookie_name(platform: str) -> str:
        name = f"cg_oauth_{platform.lower()[:16]}"
        return f"__Host-{name}" if secure else name

    def redirect(target: str) -> RedirectResponse:
        response = RedirectResponse(target, status_code=303)
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"  # our URLs hold a flow id or a code
        return response

    def set_binding(response: Response, platform: str, value: str, max_age: int) -> None:
        response.set_cookie(
            cookie_name(platform),
            value,
            max_age=max_age,
            path="/" if secure else "/oauth",
            secure=secure,
            httponly=True,
            samesite="lax",
        )

    async def begin(request: Request) -> Response:
        services: Services = request.state.services
        platform = request.path_params["platform"]
        try:
            started = await start(services, platform, request.query_params.get("flow") or "")
        except CallbackError as error:
            return redirect(result_url(settings.result_url, platform, "error", error.code))
        response = redirect(started.authorization_url)
        set_binding(response, platform, started.binding, services.oauth_state_seconds)
        return response

    async def callback(request: Request) -> Response:
        services: Services = request.state.services
        platform = request.path_params["platform"]
        params = {k: v for k, v in request.query_params.items()}
        binding = request.cookies.get(cookie_name(platform))
        try:
            connected = await complete(services, platform, params, binding)
        except CallbackError as error:
            target = result_url(settings.result_url, platform, "error", error.code)
        else:
            target = result_url(settings.result_url, connected.platform.value.lower(), "connected")
        response = redirect(target)
        if binding is not None:
            set_binding(response, platform, "", 0)
        return response

    return [
        Route("/oauth/start/{platform}", begin, methods=["GET"]),
        Route("/oauth/callback/{platform}", callback, methods=["GET"]),
    ]


def result_url(base: str, platform: str, result: str, code: str | None = None) -> str:
    """``base`` with the outcome added to whatever query it already has."""
    parts = urlsplit(base)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in {"platform", "result", "code"}]
    query += [("platform", platform.lower()[:32]), ("result", result)]
    if code is not None:
        query.append(("code", code[:64]))
    return urlunsplit(parts._replace(query=urlencode(query)))
