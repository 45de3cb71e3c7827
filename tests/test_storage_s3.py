"""S3-compatible storage (adapters/storage_s3.py) against moto's S3 server on loopback, the
local stand-in for the real service: objects written with their type and caching, a prefix
deleted whole, and the app storing avatars there when a bucket is configured."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from aiobotocore.session import get_session
from moto.server import ThreadedMotoServer

from adapters.storage_s3 import S3Location, S3Storage
from settings import Settings, SettingsError
from tests import image_samples as samples
from tests.conftest import (
    GraphQLClient,
    RunningServer,
    free_port,
    register,
    server_environment,
    uses_postgres,
)
from tests.server_process import served

KEYS = {"access_key_id": "testing", "secret_access_key": "testing"}


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
async def bucket(moto_url: str) -> S3Location:
    name = f"avatars-{uuid.uuid4().hex[:12]}"
    async with get_session().create_client(
        "s3",
        region_name="us-east-1",
        endpoint_url=moto_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ) as client:
        await client.create_bucket(Bucket=name)
    return S3Location(name, moto_url, "us-east-1", **KEYS)


async def keys_in(location: S3Location) -> dict[str, dict]:
    async with get_session().create_client(
        "s3",
        region_name=location.region,
        endpoint_url=location.endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ) as client:
        listed = await client.list_objects_v2(Bucket=location.bucket)
        found = {}
        for item in listed.get("Contents", []):
            head = await client.head_object(Bucket=location.bucket, Key=item["Key"])
            found[item["Key"]] = {
                "type": head["ContentType"],
                "cache": head.get("CacheControl"),
            }
        return found


async def test_objects_are_stored_with_their_type_and_a_year_of_caching(bucket: S3Location):
    async with S3Storage.open(bucket, "https://media.example.com") as storage:
        await storage.put("avatars/1/abc/512.webp", b"RIFF....WEBP", "image/webp")
        assert storage.url("avatars/1/abc/512.webp") == (
            "https://media.example.com/avatars/1/abc/512.webp"
        )
    stored = await keys_in(bucket)
    assert stored == {
        "avatars/1/abc/512.webp": {
            "type": "image/webp",
            "cache": "public, max-age=31536000, immutable",
        }
    }


async def test_deleting_a_prefix_removes_all_of_it_and_nothing_else(bucket: S3Location):
    async with S3Storage.open(bucket, "https://media.example.com") as storage:
        for name in ("512.webp", "256.webp", "64.jpg"):
            await storage.put(f"avatars/1/old/{name}", b"x", "image/webp")
        await storage.put("avatars/1/older/512.webp", b"x", "image/webp")  # shares a prefix
        await storage.put("avatars/2/old/512.webp", b"x", "image/webp")
        await storage.delete("avatars/1/old")
    assert set(await keys_in(bucket)) == {"avatars/1/older/512.webp", "avatars/2/old/512.webp"}


async def test_keys_the_server_would_never_make_are_refused(bucket: S3Location):
    async with S3Storage.open(bucket, "https://media.example.com") as storage:
        for key in ("../etc/passwd", "/abs", "a/../b", ""):
            with pytest.raises(ValueError):
                await storage.put(key, b"x", "image/webp")


@pytest.fixture
async def s3_server(
    server: RunningServer, bucket: S3Location
) -> AsyncIterator[tuple[str, S3Location]]:
    """A server of its own that stores avatars in the bucket (a child process: one ORM context
    per process), after the session server has prepared the database it shares on PostgreSQL."""
    env = server_environment(
        S3_BUCKET=bucket.bucket,
        S3_ENDPOINT_URL=bucket.endpoint_url or "",
        S3_REGION="us-east-1",
        S3_ACCESS_KEY_ID="testing",
        S3_SECRET_ACCESS_KEY="testing",
        MEDIA_BASE_URL="https://media.example.com",
    )
    if not uses_postgres():
        directory = Path(tempfile.mkdtemp(prefix="creatorgraph-s3-"))
        env["DATABASE_URL"] = f"sqlite://{directory / 'test.sqlite3'}"
    async with served(env) as process:
        yield process.url, bucket


async def test_with_a_bucket_configured_avatars_are_stored_there(s3_server):
    url, bucket = s3_server
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        account = await register(GraphQLClient(http))
        headers = {"Authorization": f"Bearer {account.access_token}"}
        first = await http.post(
            "/uploads/avatar", files={"file": ("a.png", samples.png())}, headers=headers
        )
        assert first.status_code == 200, first.text
        avatar = first.json()["avatarUrl"]
        assert avatar.startswith("https://media.example.com/avatars/")
        key = avatar.removeprefix("https://media.example.com/")
        stored = await keys_in(bucket)
        assert stored[key]["type"] == "image/webp" and len(stored) == 6
        assert (await http.get("/media/" + key)).status_code == 404  # the bucket serves them

        second = await http.post(
            "/uploads/avatar", files={"file": ("b.png", samples.png())}, headers=headers
        )
        new_key = second.json()["avatarUrl"].removeprefix("https://media.example.com/")
        remaining = await keys_in(bucket)
        assert new_key in remaining and key not in remaining and len(remaining) == 6


def test_a_bucket_without_a_public_base_url_is_refused_at_startup():
    with pytest.raises(SettingsError, match="MEDIA_BASE_URL"):
        Settings.from_env({"JWT_SECRET": "s" * 48, "S3_BUCKET": "avatars"})
