"""GraphiQL served whole by this server, so the IDE renders without internet access.

Strawberry's page loads seven pinned assets from unpkg, each with an ``integrity`` hash. The same
files are vendored under ``web/static/graphiql/`` (``python -m web.graphiql_vendor`` refreshes and
verifies them); the page is rendered with those URLs rewritten to ``/graphiql/…`` and the integrity
attributes kept, so the browser still refuses any byte that differs. The page's own inline script
and style are allowed by hash in its Content-Security-Policy; nothing else runs.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.http.ides import get_graphql_ide_html

CDN = "https://unpkg.com/"
ASSET_PREFIX = "/graphiql/"
ASSET_DIR = Path(__file__).resolve().parent / "static" / "graphiql"
# Versioned paths never change content: a browser may keep them for a year without asking.
ASSET_CACHE_CONTROL = b"public, max-age=31536000, immutable"

_ASSET = re.compile(r'(?:src|href)="' + re.escape(CDN) + r'([^"]+)"\s+integrity="([^"]+)"')
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
_INLINE_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Asset:
    path: str  # under the CDN root and ASSET_DIR: "react@18.2.0/umd/react.production.min.js"
    integrity: str  # "sha384-…", as in the page


def referenced_assets() -> list[Asset]:
    """The CDN assets Strawberry's installed GraphiQL page references, with their hashes."""
    return [Asset(path, integrity) for path, integrity in _ASSET.findall(_upstream_page())]


def sri_sha384(content: bytes) -> str:
    """The Subresource Integrity value of ``content``."""
    return "sha384-" + base64.b64encode(hashlib.sha384(content).digest()).decode()


@cache
def offline_page() -> tuple[str, str]:
    """The page with local asset URLs, and the Content-Security-Policy that lets it run."""
    page = _upstream_page().replace(CDN, ASSET_PREFIX)
    scripts = " ".join(_csp_hash(s) for s in _INLINE_SCRIPT.findall(page))
    styles = " ".join(_csp_hash(s) for s in _INLINE_STYLE.findall(page))
    policy = "; ".join(
        [
            "default-src 'none'",
            f"script-src 'self' {scripts}",
            f"style-src 'self' {styles}",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )
    return page, policy


def graphiql_response() -> HTMLResponse:
    page, policy = offline_page()
    return HTMLResponse(page, headers={"Content-Security-Policy": policy})


def asset_routes() -> list[BaseRoute]:
    """``/graphiql/…``: the vendored files, cached for a year (their paths carry the version)."""
    return [Mount(ASSET_PREFIX.rstrip("/"), app=_LongLived(StaticFiles(directory=ASSET_DIR)))]


class _LongLived:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_cached(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                message["headers"] = [
                    *message.get("headers", []),
                    (b"cache-control", ASSET_CACHE_CONTROL),
                ]
            await send(message)

        await self.app(scope, receive, send_cached)


def _upstream_page() -> str:
    return get_graphql_ide_html("graphiql")


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"
