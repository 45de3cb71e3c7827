"""The image proxy for platform avatars (GET /images/proxy) against a fake CDN on loopback:
only links this server signed, only the platforms' image hosts, never an internal address
(redirects included), only real images within the size limit, and cached."""

from __future__ import annotations

import io
import uuid
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from PIL import Image

from adapters.image_fetch import ImageFetcher, ImageFetchError
from adapters.ssrf import AddressGuard
from resolvers.image_proxy import proxied_url
from settings import IMAGE_PROXY_HOSTS, Settings, SettingsError
from tests import image_samples as samples
from tests.conftest import RunningServer
from tests.fakes import Reply
from tests.fakes.cdn import CDN_HOST, FakeCdn
from tests.fakes.dns import FakeDns

LOOKUP = """
query Lookup($platform: Platform!, $handle: String!) {
  platformLookup(platform: $platform, handle: $handle) { profile { avatarUrl } }
}"""


def path() -> str:
    return f"/{uuid.uuid4().hex}/avatar.jpeg"


def image_reply(data: bytes, content_type: str = "image/jpeg") -> Reply:
    return Reply(body=data, headers={"Content-Type": content_type})


def proxy_link(server: RunningServer, url: str, signed_for: str | None = None) -> str:
    signature = server.services.media.signer.sign(signed_for or url)
    return "/images/proxy?" + urlencode({"url": url, "sig": signature})


def refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == code


async def test_platform_avatars_are_handed_out_as_signed_proxy_links(
    gql, fake_providers, account, server: RunningServer
):
    handle = f"tt{uuid.uuid4().hex[:10]}"
    fake_providers.tiktok.add(handle)
    data = await gql.data(
        LOOKUP, {"platform": "TIKTOK", "handle": handle}, token=account.access_token
    )
    link = data["platformLookup"]["profile"]["avatarUrl"]
    parts = urlsplit(link)
    assert parts.path == "/images/proxy"
    query = parse_qs(parts.query)
    raw = query["url"][0]
    assert urlsplit(raw).hostname == "p16.tiktokcdn.com"  # the provider's own link, inside
    assert server.services.media.signer.verify(raw, query["sig"][0])


def test_a_link_off_the_platform_cdns_is_not_handed_out(server: RunningServer):
    media = server.services.media
    assert proxied_url(media, "https://evil.example.com/a.jpg") is None
    assert proxied_url(media, "https://169.254.169.254/a.jpg") is None
    assert proxied_url(media, None) is None


# Hostile clients first.


async def test_a_link_without_a_signature_is_refused(http, fake_cdn: FakeCdn):
    url = fake_cdn.put(path(), image_reply(samples.png()))
    refused(await http.get("/images/proxy?" + urlencode({"url": url})), 400, "BAD_REQUEST")
    refused(
        await http.get("/images/proxy?" + urlencode({"url": url, "sig": "x"})), 403, "FORBIDDEN"
    )


async def test_a_signature_for_another_url_is_refused(http, server, fake_cdn: FakeCdn):
    url = fake_cdn.put(path(), image_reply(samples.png()))
    other = fake_cdn.named_url("/someone-else.jpg")
    refused(await http.get(proxy_link(server, url, signed_for=other)), 403, "FORBIDDEN")
    assert fake_cdn.calls[urlsplit(url).path] == 0


async def test_even_a_signed_link_to_127_0_0_1_is_refused(http, server, fake_cdn: FakeCdn):
    # Signed (say the secret leaked), but 127.0.0.1 is no platform image host.
    url = fake_cdn.url + path()
    refused(await http.get(proxy_link(server, url)), 403, "FORBIDDEN")


@pytest.mark.parametrize(
    "location",
    [
        "http://10.0.0.1/avatar.jpeg",
        "http://169.254.169.254/latest/meta-data/",
        "http://internal.tiktokcdn.com/avatar.jpeg",  # a CDN name resolving to 10.0.0.1
        "LOOPBACK",  # a good image on loopback, but 127.0.0.1 is no CDN host
    ],
)
async def test_a_redirect_to_an_internal_address_is_not_followed(
    http, server, fake_cdn: FakeCdn, fake_dns: FakeDns, location: str
):
    fake_dns.add("internal.tiktokcdn.com", "10.0.0.1")
    if location == "LOOPBACK":
        fake_cdn.put(good := path(), image_reply(samples.png()))
        location = fake_cdn.url + good
    url = fake_cdn.put(path(), Reply(status=302, headers={"Location": location}))
    refused(await http.get(proxy_link(server, url)), 502, "BAD_GATEWAY")


@pytest.mark.parametrize(
    "reply",
    [
        Reply(body=b"<html>login</html>", headers={"Content-Type": "text/html"}),
        Reply(body=b"<html>login</html>", headers={"Content-Type": "image/jpeg"}),
        Reply(body=samples.SVG, headers={"Content-Type": "image/svg+xml"}),
        Reply(body=samples.png(), headers={}),
        Reply(status=403, body=b"expired", headers={"Content-Type": "image/jpeg"}),
    ],
    ids=["html", "html-as-jpeg", "svg", "untyped", "expired"],
)
async def test_an_answer_that_is_not_an_image_is_refused(http, server, fake_cdn, reply):
    url = fake_cdn.put(path(), reply)
    refused(await http.get(proxy_link(server, url)), 502, "BAD_GATEWAY")


async def test_an_oversized_answer_is_refused(http, server, fake_cdn: FakeCdn):
    big = samples.png() + b"\0" * (5 * 1024 * 1024)
    url = fake_cdn.put(path(), image_reply(big, "image/png"))
    refused(await http.get(proxy_link(server, url)), 502, "BAD_GATEWAY")


# What a good answer gives.


async def test_a_cdn_image_comes_back_re_encoded_clean_and_cached(http, server, fake_cdn):
    url = fake_cdn.put(path(), image_reply(samples.jpeg_with_gps_and_orientation()))
    first = await http.get(proxy_link(server, url))
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "image/webp"
    assert first.headers["x-content-type-options"] == "nosniff"
    assert "max-age=86400" in first.headers["cache-control"]
    image = Image.open(io.BytesIO(first.content))
    assert image.format == "WEBP" and len(image.getexif()) == 0
    second = await http.get(proxy_link(server, url))
    assert second.content == first.content
    assert fake_cdn.calls[urlsplit(url).path] == 1  # the second came from the cache


# The test switch: without it, the fake CDN on loopback is out of reach too.


async def test_without_the_test_switch_loopback_is_refused(fake_cdn: FakeCdn, fake_dns):
    url = fake_cdn.put(path(), image_reply(samples.png()))
    assert urlsplit(url).hostname == CDN_HOST
    guard = AddressGuard(fake_dns.resolve)
    strict = ImageFetcher(guard, IMAGE_PROXY_HOSTS, 5 * 1024 * 1024)
    with pytest.raises(ImageFetchError):
        await strict.fetch(url)  # plain http
    loopback_https = ImageFetcher(guard, IMAGE_PROXY_HOSTS, 5 * 1024 * 1024)
    with pytest.raises(ImageFetchError, match="non-public"):
        await loopback_https.fetch(url.replace("http://", "https://"))
    await strict.aclose()
    await loopback_https.aclose()
    assert fake_cdn.calls[urlsplit(url).path] == 0


def test_production_refuses_the_test_switch():
    with pytest.raises(SettingsError, match="IMAGE_PROXY_ALLOW_PRIVATE"):
        Settings.from_env(
            {
                "CREATORGRAPH_ENV": "production",
                "JWT_SECRET": "s" * 48,
                "IMAGE_PROXY_ALLOW_PRIVATE": "true",
            }
        )
