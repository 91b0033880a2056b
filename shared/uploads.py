"""Uploaded images: trusted only after Pillow has decoded them, and stored only as our own re-encoding.

The client's file name and content type are ignored. The bytes are sniffed by Pillow, the pixel
count is checked from the header *before* decoding (a 50 KB PNG can claim 100 000 × 100 000 pixels),
the image is decoded in full, then re-encoded from its pixels: metadata (EXIF, GPS, comments) and
anything smuggled after the image data are gone. Files get random names under the media directory.

Both functions are CPU or disk work: operations yield them as ``Compute`` effects.
"""

from __future__ import annotations

import io
import os
import secrets
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from shared.errors import ForumError, Invalid, PayloadTooLarge, UnsupportedMediaType
from shared.i18n import _l

ACCEPTED = frozenset({"PNG", "JPEG", "GIF", "WEBP"})
MEDIA_URL = "/media/"
MAX_PIXELS = 40_000_000   # 40 megapixels decode to 160 MB of RGBA: the most one upload may cost


@dataclass(frozen=True, slots=True)
class ProcessedImage:
    data: bytes
    content_type: str     # of the re-encoded image: image/jpeg or image/png
    extension: str        # ".jpg" or ".png"
    width: int
    height: int


def process_image(data: bytes, max_bytes: int, max_pixels: int = MAX_PIXELS,
                  field: str = "image") -> ProcessedImage:
    """Check, decode and re-encode an uploaded image (JPEG stays JPEG; PNG, GIF and WebP become PNG).

    Too large: 413. Not PNG, JPEG, GIF or WebP: 415. Too many pixels or not decodable: 422 on ``field``.
    Animated images keep their first frame.
    """
    if len(data) > max_bytes:
        raise PayloadTooLarge(_l("%(field)s: the image must be at most %(bytes)d bytes", field=field, bytes=max_bytes))
    try:
        with Image.open(io.BytesIO(data)) as probe:     # reads the header only
            kind, (width, height) = probe.format, probe.size
            if kind not in ACCEPTED:
                raise UnsupportedMediaType(_l("%(field)s: only PNG, JPEG, GIF and WebP images are accepted", field=field))
            if width * height > max_pixels:
                raise Invalid.one(field, _l("the image has more than %(pixels)d pixels", pixels=max_pixels))
            probe.verify()                               # structure and checksums, no pixels yet
        with Image.open(io.BytesIO(data)) as image:      # verify() spends the image: open it again
            image.load()
            return _reencode(ImageOps.exif_transpose(image), kind == "JPEG")
    except ForumError:
        raise
    except Image.DecompressionBombError:
        raise Invalid.one(field, _l("the image has more than %(pixels)d pixels", pixels=max_pixels)) from None
    except UnidentifiedImageError:
        raise UnsupportedMediaType(_l("%(field)s: only PNG, JPEG, GIF and WebP images are accepted", field=field)) from None
    except Exception:  # Pillow's decoders raise many kinds of error on hostile input
        raise Invalid.one(field, _l("the image is damaged or could not be decoded")) from None


def _reencode(image: Image.Image, jpeg: bool) -> ProcessedImage:
    """Pixels only: a fresh file with no metadata."""
    out = io.BytesIO()
    if jpeg:
        image.convert("RGB").save(out, "JPEG", quality=90, optimize=True)
        content_type, extension = "image/jpeg", ".jpg"
    else:
        has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        image.convert("RGBA" if has_alpha else "RGB").save(out, "PNG", optimize=True)
        content_type, extension = "image/png", ".png"
    return ProcessedImage(out.getvalue(), content_type, extension, image.width, image.height)


def save_image(img: ProcessedImage, media_dir: str) -> str:
    """Write the image under a random name in ``media_dir``; returns its URL path ``/media/<name>``."""
    os.makedirs(media_dir, exist_ok=True)
    name = secrets.token_hex(16) + img.extension
    with open(os.path.join(media_dir, name), "xb") as out:   # "x": never overwrite anything
        out.write(img.data)
    return MEDIA_URL + name
