"""Avatar uploads end to end (POST /uploads/avatar on the real server), hostile clients first,
and the rule for avatar URLs given in profileUpdate."""

from __future__ import annotations

import asyncio
import io

import httpx
import pytest
from PIL import Image

from adapters.ratelimit import RateLimiter
from tests import image_samples as samples
from tests.conftest import Account, GraphQLClient, RunningServer, register
from tests.fakes.dns import FakeDns

UPDATE = """
mutation Update($input: ProfileUpdateInput!) {
  profileUpdate(input: $input) {
    profile { avatarUrl rizzScore }
    userErrors { field message code }
  }
}"""


async def upload(
    http: httpx.AsyncClient,
    account: Account | None,
    data: bytes,
    filename: str = "me.png",
    content_type: str = "image/png",
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {account.access_token}"} if account else {}
    files = {"file": (filename, data, content_type)}
    return await http.post("/uploads/avatar", files=files, headers=headers)


def refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json()["errors"][0]["extensions"]["code"] == code


async def update(gql: GraphQLClient, account: Account, **fields: object) -> dict:
    data = await gql.data(UPDATE, {"input": fields}, token=account.access_token)
    return data["profileUpdate"]


# Hostile clients first.


async def test_a_script_renamed_jpg_is_refused(http, account):
    refused(
        await upload(http, account, samples.SCRIPT, "cat.jpg", "image/jpeg"),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
    )


async def test_an_svg_with_a_script_is_refused(http, account):
    refused(
        await upload(http, account, samples.SVG, "me.svg", "image/svg+xml"),
        415,
        "UNSUPPORTED_MEDIA_TYPE",
    )


async def test_50_megabytes_declared_are_refused_before_the_body_is_read(server, account):
    # A raw connection: the headers announce 50 MB, and only the first kilobyte ever comes.
    host, port = server.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    head = (
        "POST /uploads/avatar HTTP/1.1\r\n"
        f"Host: {host}\r\n"
        f"Authorization: Bearer {account.access_token}\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\n"
        f"Content-Length: {50 * 1024 * 1024}\r\n\r\n"
    )
    writer.write(head.encode() + b"\0" * 1024)
    await writer.drain()
    try:
        answer = await asyncio.wait_for(reader.read(4096), timeout=10)
    finally:
        writer.close()
    assert answer.startswith(b"HTTP/1.1 413"), answer[:100]
    assert b"PAYLOAD_TOO_LARGE" in answer


async def test_50_megabytes_streamed_are_refused_before_their_end(server, account):
    # Chunked, with no length announced: the answer comes once the cap is passed, while the
    # client still has most of the 50 MB to send.
    host, port = server.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        (
            "POST /uploads/avatar HTTP/1.1\r\n"
            f"Host: {host}\r\n"
            f"Authorization: Bearer {account.access_token}\r\n"
            "Content-Type: multipart/form-data; boundary=x\r\n"
            "Transfer-Encoding: chunked\r\n\r\n"
        ).encode()
    )
    part = b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n'
    writer.write(b"%x\r\n%s\r\n" % (len(part), part))
    answer = asyncio.create_task(reader.read(4096))
    chunk = b"\0" * (64 * 1024)
    sent = 0
    try:
        async with asyncio.timeout(30):  # a server that stopped reading would block the drain
            while sent < 50 * 1024 * 1024 and not answer.done():
                writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                await writer.drain()
                sent += len(chunk)
                await asyncio.sleep(0)
    except ConnectionError:
        pass  # the server answered and closed: what we are after
    try:
        response = await asyncio.wait_for(answer, timeout=10)
    finally:
        writer.close()
    assert response.startswith(b"HTTP/1.1 413"), response[:100]
    # Kernel buffers on loopback take a few megabytes the server never reads; not 50.
    assert sent < 25 * 1024 * 1024


async def test_a_file_over_5_megabytes_in_a_form_is_refused(http, account):
    refused(await upload(http, account, b"\0" * (5 * 1024 * 1024 + 10)), 413, "PAYLOAD_TOO_LARGE")


async def test_a_20000_square_png_bomb_is_refused(http, account):
    refused(await upload(http, account, samples.png_bomb()), 400, "IMAGE_TOO_LARGE")


async def test_a_truncated_jpeg_is_refused(http, account):
    data = samples.truncated_jpeg()
    refused(await upload(http, account, data, "a.jpg", "image/jpeg"), 400, "INVALID_IMAGE")


async def test_an_upload_needs_a_signed_in_user(http):
    response = await upload(http, None, samples.png())
    refused(response, 401, "UNAUTHENTICATED")
    bad = await http.post(
        "/uploads/avatar",
        files={"file": ("a.png", samples.png())},
        headers={"Authorization": "Bearer not-a-token"},
    )
    refused(bad, 401, "UNAUTHENTICATED")


async def test_an_upload_needs_a_multipart_form_with_a_file(http, account):
    auth = {"Authorization": f"Bearer {account.access_token}"}
    response = await http.post(
        "/uploads/avatar", content=samples.png(), headers={**auth, "Content-Type": "image/png"}
    )
    refused(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    response = await http.post(
        "/uploads/avatar",
        data={"other": "x"},
        files={"picture": ("a.png", samples.png())},
        headers=auth,
    )
    refused(response, 400, "BAD_REQUEST")


async def test_uploads_are_rate_limited_per_user(
    http, gql, server: RunningServer, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(server.services.media, "upload_limiter", RateLimiter("2/minute"))
    account, other = await register(gql), await register(gql)
    for _ in range(2):
        assert (await upload(http, account, samples.png())).status_code == 200
    response = await upload(http, account, samples.png())
    refused(response, 429, "RATE_LIMITED")
    assert int(response.headers["retry-after"]) >= 1
    assert (await upload(http, other, samples.png())).status_code == 200


# What a good upload gives.


async def test_a_png_becomes_the_avatar_in_every_size_served_for_a_year(http, gql, account):
    before = await update(gql, account, bio="hello")
    response = await upload(http, account, samples.png(640, 480))
    assert response.status_code == 200, response.text
    url = response.json()["avatarUrl"]
    assert url.startswith("/media/avatars/") and url.endswith("/512.webp")
    profile = (await update(gql, account, bio="hello"))["profile"]
    assert profile["avatarUrl"] == url
    assert profile["rizzScore"] > before["profile"]["rizzScore"]  # completeness counts it

    for size in (512, 256, 64):
        for extension, content_type, pillow_format in (
            ("webp", "image/webp", "WEBP"),
            ("jpg", "image/jpeg", "JPEG"),
        ):
            served = await http.get(url.replace("512.webp", f"{size}.{extension}"))
            assert served.status_code == 200
            assert served.headers["content-type"] == content_type
            assert served.headers["x-content-type-options"] == "nosniff"
            assert "max-age=31536000" in served.headers["cache-control"]
            image = Image.open(io.BytesIO(served.content))
            assert image.format == pillow_format and image.size == (size, size)


async def test_an_uploaded_jpeg_is_served_without_its_gps_location(http, account):
    data = samples.jpeg_with_gps_and_orientation()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(samples.GPS_IFD)
    response = await upload(http, account, data, "holiday.jpg", "image/jpeg")
    url = response.json()["avatarUrl"]
    for name in ("512.webp", "64.jpg"):
        served = await http.get(url.replace("512.webp", name))
        image = Image.open(io.BytesIO(served.content))
        assert len(image.getexif()) == 0
        assert not image.getexif().get_ifd(samples.GPS_IFD)
        assert b"SpyCam" not in served.content


async def test_a_new_avatar_removes_the_previous_files(http, gql, account):
    first = (await upload(http, account, samples.png(color="red"))).json()["avatarUrl"]
    second = (await upload(http, account, samples.png(color="blue"))).json()["avatarUrl"]
    assert first != second
    for name in ("512.webp", "256.jpg", "64.webp"):
        assert (await http.get(first.replace("512.webp", name))).status_code == 404
    assert (await http.get(second)).status_code == 200
    # Leaving uploads for a link removes the last upload too.
    payload = await update(gql, account, avatarUrl="https://cdn.example.com/me.png")
    assert payload["userErrors"] == []
    assert (await http.get(second)).status_code == 404


async def test_an_image_larger_than_the_general_body_cap_is_taken(http, account):
    data = samples.noisy_png()
    assert len(data) > 256 * 1024
    response = await upload(http, account, data)
    assert response.status_code == 200, response.text


async def test_media_serves_only_stored_images(http):
    for path in (
        "/media/../settings.py",
        "/media/avatars/x/..%2f..%2fjwt-secret",
        "/media/avatars/1/abc/512.png",
        "/media/nothing.webp",
    ):
        assert (await http.get(path)).status_code == 404, path


# The avatarUrl rule of profileUpdate.


@pytest.mark.parametrize(
    "url",
    [
        "http://cdn.example.com/a.png",  # https only
        "https://169.254.169.254/latest/meta-data/",
        "https://127.0.0.1/a.png",
        "https://10.0.0.1/a.png",
        "https://[::1]/a.png",
        "https://internal.example.com/a.png",  # a name resolving to 10.0.0.1
        "https://unresolvable.example.com/a.png",
        "/media/avatars/1/abc/512.webp",  # not this user's upload
    ],
)
async def test_avatar_urls_on_internal_hosts_are_refused(gql, account, fake_dns: FakeDns, url: str):
    fake_dns.add("internal.example.com", "10.0.0.1")
    payload = await update(gql, account, avatarUrl=url)
    assert [e["code"] for e in payload["userErrors"]] == ["INVALID"], payload
    assert payload["userErrors"][0]["field"] == ["avatarUrl"]


async def test_someone_elses_upload_is_not_an_avatar_url_for_you(http, gql, account):
    other = await register(gql)
    theirs = (await upload(http, other, samples.png())).json()["avatarUrl"]
    payload = await update(gql, account, avatarUrl=theirs)
    assert [e["code"] for e in payload["userErrors"]] == ["INVALID"]
    assert (await http.get(theirs)).status_code == 200  # and their files stay


async def test_your_own_upload_and_a_public_https_url_are_accepted(http, gql, account):
    own = (await upload(http, account, samples.png())).json()["avatarUrl"]
    assert (await update(gql, account, avatarUrl=own))["userErrors"] == []
    payload = await update(gql, account, avatarUrl="https://cdn.example.com/a.png")
    assert payload["userErrors"] == []
    assert payload["profile"]["avatarUrl"] == "https://cdn.example.com/a.png"
