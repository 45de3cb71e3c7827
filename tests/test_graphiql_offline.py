"""GraphiQL without internet (issue 8, item 9): the page references only this server, every asset
it loads is served here with the hash its ``integrity`` attribute names, and its
Content-Security-Policy lets exactly its own script and style run. Still off in production."""

from __future__ import annotations

import base64
import hashlib
import re
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import RunningServer, server_environment, uses_postgres
from tests.server_process import served
from web.graphiql import sri_sha384

HTML = {"Accept": "text/html"}


async def graphiql_page(http: httpx.AsyncClient) -> httpx.Response:
    response = await http.get("/graphql", headers=HTML)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    return response


async def test_the_page_references_no_other_host(http: httpx.AsyncClient):
    page = (await graphiql_page(http)).text
    urls = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert len(urls) >= 7
    for url in urls:
        assert url.startswith(("/", "data:")) and not url.startswith("//"), url
    assert "unpkg" not in page


async def test_every_asset_is_served_with_the_hash_the_page_names(http: httpx.AsyncClient):
    page = (await graphiql_page(http)).text
    assets = re.findall(r'(?:src|href)="([^"]+)"\s+integrity="([^"]+)"', page)
    assert len(assets) == 7
    for path, integrity in assets:
        response = await http.get(path)
        assert response.status_code == 200, path
        assert sri_sha384(response.content) == integrity, path
        assert "immutable" in response.headers["cache-control"]


async def test_the_policy_runs_the_page_own_script_and_style_and_nothing_else(
    http: httpx.AsyncClient,
):
    response = await graphiql_page(http)
    directives = response.headers["content-security-policy"].split("; ")
    policy = {name: value for name, _, value in (d.partition(" ") for d in directives)}
    assert policy["default-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    inline_script = re.search(r"<script>(.*?)</script>", response.text, re.DOTALL)
    inline_style = re.search(r"<style>(.*?)</style>", response.text, re.DOTALL)
    assert inline_script and inline_style
    assert policy["script-src"] == f"'self' {csp_hash(inline_script.group(1))}"
    assert policy["style-src"] == f"'self' {csp_hash(inline_style.group(1))}"
    assert policy["connect-src"] == "'self'"


def csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@pytest.fixture(scope="module")
async def production_url(server: RunningServer) -> AsyncIterator[str]:
    env = server_environment(CREATORGRAPH_ENV="production")
    if not uses_postgres():
        env["DATABASE_URL"] = f"sqlite://{Path(tempfile.mkdtemp()) / 'production.sqlite3'}"
    async with served(env) as process:
        yield process.url


async def test_production_serves_neither_the_page_nor_its_assets(production_url: str):
    async with httpx.AsyncClient(base_url=production_url) as client:
        page = await client.get("/graphql", headers=HTML)
        assert "GraphiQL" not in page.text
        asset = await client.get("/graphiql/react@18.2.0/umd/react.production.min.js")
        assert asset.status_code == 404
