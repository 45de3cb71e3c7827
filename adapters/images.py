"""Untrusted image bytes in, clean images out (Pillow).

Only JPEG, PNG and WebP are even tried (anything else, an SVG or a script with an image's name,
is not an image here). The dimensions are read from the header and checked before a single
pixel is decoded, and Pillow's own decompression-bomb check runs with its warning raised as an
error. What comes out is re-encoded from the pixels alone: the EXIF orientation is applied first,
then every piece of metadata (EXIF with GPS, XMP, ICC profile, comments) is left behind.

CPU-bound and blocking: callers run these in a worker thread (``asyncio.to_thread``).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from enum import StrEnum

from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
MAX_SIDE = 4096
# Avatar sizes, each a centred square crop: 512 for profile pages, 256 for lists, 64 for chat.
AVATAR_SIZES = (512, 256, 64)
# Proxied platform avatars are shown small; larger answers are scaled down to fit this.
PROXY_MAX_SIDE = 512
WEBP_QUALITY = 85
JPEG_QUALITY = 85


class ImageProblem(StrEnum):
    NOT_AN_IMAGE = "NOT_AN_IMAGE"  # not JPEG, PNG or WebP (a script, an SVG, a PDF…)
    TOO_MANY_PIXELS = "TOO_MANY_PIXELS"  # wider or taller than MAX_SIDE, or a bomb
    CORRUPT = "CORRUPT"  # claims a format but does not decode (truncated, damaged)


class ImageRejectedError(Exception):
    def __init__(self, problem: ImageProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Rendition:
    size: int
    extension: str  # "webp" or "jpg"
    content_type: str
    data: bytes


def avatar_renditions(data: bytes) -> list[Rendition]:
    """Each of AVATAR_SIZES as a square WebP and a JPEG (for clients without WebP)."""
    image = _clean_pixels(data)
    renditions = []
    for size in AVATAR_SIZES:
        square = ImageOps.fit(image, (size, size), Image.Resampling.LANCZOS)
        renditions.append(Rendition(size, "webp", "image/webp", _webp(square)))
        renditions.append(Rendition(size, "jpg", "image/jpeg", _jpeg(square)))
    return renditions


def proxied_image(data: bytes) -> bytes:
    """A platform avatar re-encoded as WebP within PROXY_MAX_SIDE, keeping its proportions."""
    image = _clean_pixels(data)
    image.thumbnail((PROXY_MAX_SIDE, PROXY_MAX_SIDE), Image.Resampling.LANCZOS)
    return _webp(image)


def _clean_pixels(data: bytes) -> Image.Image:
    """The upright pixels of ``data`` in a new image that carries no metadata at all."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            # Image.open reads the header only; ``formats`` keeps every other decoder away.
            with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as opened:
                if opened.width > MAX_SIDE or opened.height > MAX_SIDE:
                    raise ImageRejectedError(
                        ImageProblem.TOO_MANY_PIXELS,
                        f"The image is {opened.width}×{opened.height}; "
                        f"at most {MAX_SIDE}×{MAX_SIDE} is accepted.",
                    )
                opened.load()
                upright = ImageOps.exif_transpose(opened)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageRejectedError(
                ImageProblem.TOO_MANY_PIXELS, "The image has too many pixels."
            ) from exc
        except UnidentifiedImageError as exc:
            raise ImageRejectedError(
                ImageProblem.NOT_AN_IMAGE, "Upload a JPEG, PNG or WebP image."
            ) from exc
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise ImageRejectedError(
                ImageProblem.CORRUPT, "The image is damaged or incomplete."
            ) from exc
    mode = "RGBA" if _has_alpha(upright) else "RGB"
    converted = upright.convert(mode)
    # Built from raw pixels: nothing of ``info`` (EXIF, XMP, ICC, comments) comes along.
    return Image.frombytes(mode, converted.size, converted.tobytes())


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in {"RGBA", "LA", "PA"} or (
        image.mode == "P" and "transparency" in image.info
    )


def _webp(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "WEBP", quality=WEBP_QUALITY, method=4)
    return out.getvalue()


def _jpeg(image: Image.Image) -> bytes:
    if image.mode == "RGBA":
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        image = background
    out = io.BytesIO()
    image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return out.getvalue()
