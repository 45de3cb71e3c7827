"""Untrusted bytes to clean avatars (adapters/images.py): only real JPEG, PNG and WebP images,
no bombs, and nothing of the original's metadata in what comes out."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from adapters.images import (
    AVATAR_SIZES,
    ImageProblem,
    ImageRejectedError,
    avatar_renditions,
    proxied_image,
)
from tests import image_samples as samples


def problem(data: bytes) -> ImageProblem:
    with pytest.raises(ImageRejectedError) as refused:
        avatar_renditions(data)
    return refused.value.problem


@pytest.mark.parametrize(
    "data",
    [samples.SCRIPT, samples.SVG, b"%PDF-1.7\n", b"GIF89a" + b"\0" * 64, b""],
    ids=["script", "svg", "pdf", "gif", "empty"],
)
def test_anything_but_jpeg_png_or_webp_is_not_an_image(data: bytes):
    assert problem(data) is ImageProblem.NOT_AN_IMAGE


def test_a_png_declaring_20000_pixels_square_is_refused_from_its_header():
    bomb = samples.png_bomb()
    assert len(bomb) < 200
    assert problem(bomb) is ImageProblem.TOO_MANY_PIXELS


def test_one_side_over_4096_is_refused():
    assert problem(samples.png_bomb(4097, 10)) is ImageProblem.TOO_MANY_PIXELS


@pytest.mark.parametrize("limit", [4_000, 6_000], ids=["error", "warning"])
def test_pillows_decompression_bomb_check_refuses_with_its_warning_as_an_error(
    monkeypatch: pytest.MonkeyPatch, limit: int
):
    # 10,000 pixels: over twice 4,000 (Pillow raises), between 6,000 and 12,000 (it warns).
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", limit)
    assert problem(samples.png(100, 100)) is ImageProblem.TOO_MANY_PIXELS


def test_a_truncated_jpeg_is_refused_as_damaged():
    assert problem(samples.truncated_jpeg()) is ImageProblem.CORRUPT


def test_renditions_are_squares_in_webp_and_jpeg():
    renditions = avatar_renditions(samples.png(300, 200))
    produced = {(r.size, r.extension) for r in renditions}
    assert produced == {(s, e) for s in AVATAR_SIZES for e in ("webp", "jpg")}
    for rendition in renditions:
        image = Image.open(io.BytesIO(rendition.data))
        assert image.format == {"webp": "WEBP", "jpg": "JPEG"}[rendition.extension]
        assert image.size == (rendition.size, rendition.size)


def test_gps_exif_xmp_icc_and_comments_are_gone_from_every_rendition():
    for rendition in avatar_renditions(samples.jpeg_with_gps_and_orientation()):
        image = Image.open(io.BytesIO(rendition.data))
        assert len(image.getexif()) == 0, rendition
        assert not {"exif", "xmp", "icc_profile", "comment"} & set(image.info), image.info
        assert b"SpyCam" not in rendition.data and b"where I live" not in rendition.data


def test_the_exif_orientation_is_applied_before_it_is_stripped():
    # Stored 200×100 with red on top; "turn 90° clockwise" puts the red on the right.
    rendition = avatar_renditions(samples.jpeg_with_gps_and_orientation())[0]
    image = Image.open(io.BytesIO(rendition.data)).convert("RGB")
    middle = image.height // 2
    left, right = image.getpixel((10, middle)), image.getpixel((image.width - 10, middle))
    assert isinstance(left, tuple) and isinstance(right, tuple)
    assert left[2] > 200 and left[0] < 60  # blue
    assert right[0] > 200 and right[2] < 60  # red


def test_a_proxied_image_keeps_its_proportions_within_512():
    image = Image.open(io.BytesIO(proxied_image(samples.png(1024, 256))))
    assert image.format == "WEBP" and image.size == (512, 128)
