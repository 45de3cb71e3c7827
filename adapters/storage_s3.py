"""S3-compatible storage (AWS S3, Cloudflare R2, MinIO, …) behind the same interface as the
local directory (adapters/storage.py), through aiobotocore: botocore's S3 client (signing,
retries, addressing styles, error codes) on asyncio.

Objects are written with their content type and a year of caching: each upload has keys of its
own that never change content. ``url(key)`` is under ``MEDIA_BASE_URL`` (the bucket's public URL
or a CDN in front of it); this app does not serve the bucket.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session

from adapters.storage import valid_key

if TYPE_CHECKING:  # the stubs are a development dependency
    from types_aiobotocore_s3 import S3Client

IMMUTABLE = "public, max-age=31536000, immutable"
DELETE_BATCH = 1000  # the most keys one DeleteObjects request takes


@dataclass(frozen=True, slots=True)
class S3Location:
    bucket: str
    endpoint_url: str | None  # None: AWS itself, by region
    region: str | None
    access_key_id: str | None  # None: the default credential chain (environment, role)
    secret_access_key: str | None


class S3Storage:
    def __init__(self, client: S3Client, bucket: str, base_url: str) -> None:
        self._client = client
        self.bucket = bucket
        self.base_url = base_url.rstrip("/")

    @classmethod
    @asynccontextmanager
    async def open(cls, location: S3Location, base_url: str) -> AsyncIterator[S3Storage]:
        """A storage with its own client (one connection pool), closed on exit: the app's
        lifespan holds it for the life of the process."""
        config = AioConfig(
            connect_timeout=5,
            read_timeout=30,
            retries={"max_attempts": 3, "mode": "standard"},
            # Path-style works on every S3-compatible service; virtual hosts only on some.
            s3={"addressing_style": "path"} if location.endpoint_url else None,
        )
        async with get_session().create_client(
            "s3",
            region_name=location.region,
            endpoint_url=location.endpoint_url,
            aws_access_key_id=location.access_key_id,
            aws_secret_access_key=location.secret_access_key,
            config=config,
        ) as client:
            yield cls(client, location.bucket, base_url)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        if not valid_key(key):
            raise ValueError(f"not a storage key: {key!r}")
        await self._client.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=data,
            ContentType=content_type,
            CacheControl=IMMUTABLE,
        )

    async def delete(self, prefix: str) -> None:
        if not valid_key(prefix.rstrip("/")):
            raise ValueError(f"not a storage key: {prefix!r}")
        prefix = prefix.rstrip("/") + "/"
        paginator = self._client.get_paginator("list_objects_v2")
        async for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            keys = [item["Key"] for item in page.get("Contents", []) if "Key" in item]
            for start in range(0, len(keys), DELETE_BATCH):
                batch = keys[start : start + DELETE_BATCH]
                await self._client.delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True},
                )

    def url(self, key: str) -> str:
        return f"{self.base_url}/{key}"
