"""A real browser (issue 8, "Done when"): a page served from a second loopback port runs a query,
a mutation and a subscription against the server in headless Chromium — all three succeed when
``CORS_ORIGINS`` lists the page's origin, and all three are refused when it does not; and
GraphiQL renders from this server alone. Needs Debian's ``chromium``: skipped without it, except
in CI (``CI`` set), where it fails."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RunningServer, free_port, server_environment, uses_postgres
from tests.server_process import served

CHROMIUM_OPTIONS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_binary() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("CI runs the browser tests: install Debian's chromium (.ci/run does)")
    pytest.skip("needs Debian's chromium (apt-get install chromium)")


PAGE = Path(__file__).resolve().parent / "fakes" / "cross_origin_page.html"


class PageOrigin:
    """A plain HTTP server on its own loopback port: serves the test page (with the API's URL
    filled in) and receives the page's report."""

    def __init__(self) -> None:
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.api_url = ""
        self.reports: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        origin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path != "/":
                    self.send_error(404)
                    return
                body = PAGE.read_text().replace("{{API_URL}}", origin.api_url).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                report = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                loop.call_soon_threadsafe(origin.reports.put_nowait, report)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        http = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        thread = threading.Thread(target=http.serve_forever, daemon=True)
        thread.start()
        try:
            yield
        finally:
            http.shutdown()
            http.server_close()


@contextlib.asynccontextmanager
async def chromium(url: str) -> AsyncIterator[None]:
    """Headless Chromium showing ``url``, stopped (with its helper processes) afterwards."""
    profile = tempfile.mkdtemp(prefix="creatorgraph-chromium-")
    process = await asyncio.create_subprocess_exec(
        chromium_binary(),
        *CHROMIUM_OPTIONS,
        f"--user-data-dir={profile}",
        url,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the renderers go with it
    )
    try:
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            async with asyncio.timeout(10):
                await process.wait()
        except TimeoutError:
            os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
        shutil.rmtree(profile, ignore_errors=True)


async def run_page(cors_origins: str | None, page: PageOrigin) -> dict[str, Any]:
    """Serves the API with ``CORS_ORIGINS`` (the page's origin unless given), opens the page in
    Chromium and returns what the page reports."""
    chromium_binary()
    env = server_environment(CORS_ORIGINS=page.origin if cors_origins is None else cors_origins)
    if not uses_postgres():
        env["DATABASE_URL"] = f"sqlite://{Path(tempfile.mkdtemp()) / 'browser.sqlite3'}"
    async with served(env) as api:
        page.api_url = api.url
        with page.running():
            async with chromium(page.origin + "/"):
                return await asyncio.wait_for(page.reports.get(), 60)


async def test_a_page_on_a_listed_origin_queries_mutates_and_subscribes(server: RunningServer):
    report = await run_page(None, PageOrigin())
    assert report["query"]["ok"], report
    assert report["query"]["value"]["data"] == {"__typename": "Query"}, report
    registered = report["mutation"]
    assert registered["ok"], report
    assert registered["value"]["accessToken"]
    assert registered["value"]["requestId"], "X-Request-ID must be readable by the page"
    event = report["subscription"]
    assert event["ok"], report
    assert event["value"] == {"data": {"profileStatsEvents": {"totalFollowers": 4321}}}


async def test_a_page_on_an_unlisted_origin_is_refused_everything(server: RunningServer):
    report = await run_page("", PageOrigin())
    assert report["query"]["ok"] is False and "Failed to fetch" in report["query"]["error"]
    assert report["mutation"]["ok"] is False, report
    assert "Failed to fetch" in report["mutation"]["error"]
    # Refused at the handshake: the socket never opened.
    assert report["subscription"]["ok"] is False, report
    assert "opened=false" in report["subscription"]["error"], report


async def test_graphiql_renders_from_this_server_alone_within_its_policy(server: RunningServer):
    """The IDE loads its vendored assets and runs with no Content-Security-Policy violation."""
    profile = tempfile.mkdtemp(prefix="creatorgraph-chromium-")
    try:
        done = await asyncio.create_subprocess_exec(
            chromium_binary(),
            *CHROMIUM_OPTIONS,
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--log-level=0",
            "--virtual-time-budget=10000",
            "--dump-dom",
            server.url + "/graphql",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        dom, log = await asyncio.wait_for(done.communicate(), 60)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert b"graphiql-editor" in dom, log.decode()[-2000:]
    console = [line for line in log.decode().splitlines() if ":CONSOLE" in line]
    assert not [line for line in console if "Content Security Policy" in line], console
