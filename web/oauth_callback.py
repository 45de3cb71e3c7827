"""``GET /oauth/callback/{platform}``: where a platform sends the browser back after the user
answered its consent screen. Whatever happened, the browser goes on (303) to the app's result
page, ``OAUTH_RESULT_URL``, with ``?platform=…&result=connected`` or ``result=error&code=…`` —
never a token or the platform's own message in the URL, and never a cached answer."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from resolvers.oauth import CallbackError, complete
from resolvers.services import Services
from settings import OAuthSettings


def oauth_callback_routes(settings: OAuthSettings) -> list[Route]:
    async def callback(request: Request) -> Response:
        services: Services = request.state.services
        platform = request.path_params["platform"]
        params = {k: v for k, v in request.query_params.items()}
        try:
            connected = await complete(services, platform, params)
        except CallbackError as error:
            target = result_url(settings.result_url, platform, "error", error.code)
        else:
            target = result_url(settings.result_url, connected.platform.value.lower(), "connected")
        response = RedirectResponse(target, status_code=303)
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"  # the callback URL holds the code
        return response

    return [Route("/oauth/callback/{platform}", callback, methods=["GET"])]


def result_url(base: str, platform: str, result: str, code: str | None = None) -> str:
    """``base`` with the outcome added to whatever query it already has."""
    parts = urlsplit(base)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in {"platform", "result", "code"}]
    query += [("platform", platform.lower()[:32]), ("result", result)]
    if code is not None:
        query.append(("code", code[:64]))
    return urlunsplit(parts._replace(query=urlencode(query)))
