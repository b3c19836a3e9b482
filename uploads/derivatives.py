"""Decode a photo once, upright, and re-encode display and thumbnail JPEGs with no metadata."""

import io
import logging
import math
import os
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageCms, ImageMath
from pillow_heif import register_heif_opener

from uploads import heif
from uploads.errors import CorruptImage, DecompressionBomb
from uploads.sniff import PILLOW_FORMATS

register_heif_opener()
log = logging.getLogger(__name__)

DISPLAY_SIDE = 1600
THUMB_SIDE = 320
DISPLAY_QUALITY = 82
THUMB_QUALITY = 75
_SRGB = ImageCms.createProfile("sRGB")
# How a refusal names the format: the words a person knows it by.
FORMAT_NAMES = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WebP",
    "image/heic": "HEIC/HEIF",
}
# EXIF orientation → the transpose that makes the picture upright.
UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


# A photo to decode: a file's path, or a file open for reading (a stored original).
Source = str | os.PathLike[str] | BinaryIO


@dataclass(frozen=True)
class Decoded:
    """What one decode yields: upright size, the raw EXIF block, and both JPEGs."""

    width: int
    height: int
    exif: bytes
    display: bytes
    thumb: bytes


def _check_heif(path: Source) -> None:
    """Refuse a HEIF file that libheif would decode with tiles missing."""
    if isinstance(path, str | os.PathLike):
        with open(path, "rb") as handle:
            heif.check_complete(handle)
    else:
        heif.check_complete(path)


def _bomb(max_pixels: int) -> DecompressionBomb:
    """Return the refusal of an image Pillow found too large before we saw its size."""
    # Pillow refuses an image over twice its own limit while opening it; below that
    # the configured limit is the stricter one, and the one to quote.
    ceiling = 2 * Image.MAX_IMAGE_PIXELS if Image.MAX_IMAGE_PIXELS else max_pixels
    return DecompressionBomb(
        f"the image claims more pixels than the limit of {min(max_pixels, ceiling):,}"
    )


def _open(path: Source, media_type: str, max_pixels: int) -> Image.Image:
    name = FORMAT_NAMES[media_type]
    if media_type == "image/heic":
        _check_heif(path)
    try:
        image = Image.open(path, formats=[PILLOW_FORMATS[media_type]])
    except Image.DecompressionBombError:
        raise _bomb(max_pixels) from None
    except Exception:  # Pillow raises many types for damaged headers
        # Its messages quote the scratch file's path: keep them for the log only.
        log.info("unreadable %s header", name, exc_info=True)
        raise CorruptImage(
            f"the file is not a readable {name} image: its header is damaged or missing"
        ) from None
    width, height = image.size
    if width <= 0 or height <= 0:
        image.close()
        raise CorruptImage("the image has no pixels")
    if width * height > max_pixels:
        image.close()
        raise DecompressionBomb(
            f"{width}×{height} is {width * height:,} pixels; the limit is {max_pixels:,}"
        )
    return image


def _orientation(image: Image.Image) -> int:
    """Return the EXIF orientation (1 when absent, broken or absurd)."""
    try:
        value = image.getexif().get(0x0112, 1)
    except Exception:  # a broken EXIF block must not stop the photo
        return 1
    return value if value in UPRIGHT else 1


def _reduce_early(image: Image.Image, side: int) -> Image.Image:
    """Decode no more pixels than the display size needs, in a mode that averages."""
    width, height = image.size
    scale = side / max(width, height)
    if image.format == "JPEG":
        if scale < 1:
            wanted = (math.ceil(width * scale), math.ceil(height * scale))
            image.draft("RGB", wanted)  # decodes at 1/2, 1/4 or 1/8 scale, never below `wanted`
        image.load()
        return _averageable(image)
    # Other formats decode whole; halve early so later copies are small.
    image.load()
    image = _averageable(image)
    factor = int(1 / scale) if scale < 1 else 1
    return image.reduce(factor) if factor >= 2 else image


def _eight_bit(image: Image.Image) -> Image.Image:
    """Return 16-bit greyscale as 8-bit L (or LA for a transparent grey), scaled, not clipped."""
    # Pillow reads a 16-bit greyscale PNG as I;16 (older versions: I); converting
    # that straight to L clips everything above 255 to white.
    wide = image if image.mode == "I" else image.convert("I")
    grey = wide.point(lambda value: value / 257).convert("L")  # 65535 → 255
    key = image.info.get("transparency")
    grey.info.pop("transparency", None)  # a 16-bit value: means nothing in 8 bits
    if isinstance(key, int):
        alpha = ImageMath.lambda_eval(lambda args: (args["wide"] != key) * 255, wide=wide)
        grey.putalpha(alpha.convert("L"))
    return grey


def _averageable(image: Image.Image) -> Image.Image:
    """Return the image in a mode whose pixels can be averaged: 8 bits, no palette, no key."""
    # Reducing and resizing average neighbouring pixels: palette indices, a 1-bit
    # pattern or a transparent colour key do not survive that; 16 bits cannot be
    # reduced at all. Ordinary photos (RGB, L, CMYK, RGBA) pass through untouched.
    mode = image.mode
    if mode == "I" or mode.startswith("I;16"):
        return _eight_bit(image)
    if image.has_transparency_data and mode not in ("LA", "RGBA"):
        return image.convert("LA" if mode in ("1", "L", "La") else "RGBA")
    if mode in ("1", "P"):
        return image.convert("L" if mode == "1" else "RGB")
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    icc = image.info.get("icc_profile")
    if image.mode in ("LA", "RGBA"):
        background = Image.new("RGB", image.size, "white")
        background.paste(image.convert("RGBA"), mask=image.getchannel("A"))
        image = background
    elif image.mode != "RGB":
        image = image.convert("RGB")
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            # Pillow types the result as optional: None comes only with inPlace=True.
            image = ImageCms.profileToProfile(  # type: ignore[assignment]
                image, source, _SRGB, outputMode="RGB"
            )
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: keep the pixels as they are
    return image


def _jpeg(image: Image.Image, quality: int) -> bytes:
    image.info = {}  # nothing of the original travels: no EXIF, XMP, ICC or comments
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _fit(image: Image.Image, side: int, resample: Image.Resampling) -> Image.Image:
    width, height = image.size
    scale = side / max(width, height)
    if scale >= 1:
        return image
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return image.resize(size, resample, reducing_gap=3.0)


def decode(path: Source, media_type: str, *, max_pixels: int) -> Decoded:
    """Decode the photo at `path` and return its Decoded derivatives."""
    with warnings.catch_warnings():
        # Pillow warns about hostile EXIF and big images; our own checks decide.
        warnings.simplefilter("ignore")
        return _decode(path, media_type, max_pixels)


def _decode(path: Source, media_type: str, max_pixels: int) -> Decoded:
    source = _open(path, media_type, max_pixels)
    with source:
        try:
            exif = source.info.get("exif") or b""
            orientation = _orientation(source)
            width, height = source.size
            if orientation in (5, 6, 7, 8):  # stored on its side
                width, height = height, width
            if media_type == "image/heic":
                source.load()
                if heif.has_blank_tile(source):
                    raise CorruptImage(heif.BLANK_TILE)
            image = _reduce_early(source, DISPLAY_SIDE)
            if orientation in UPRIGHT:
                image = image.transpose(UPRIGHT[orientation])
            image = _to_srgb(image)
            display = _fit(image, DISPLAY_SIDE, Image.Resampling.LANCZOS)
            thumb = _fit(display, THUMB_SIDE, Image.Resampling.BICUBIC)
            return Decoded(
                width,
                height,
                exif,
                _jpeg(display, DISPLAY_QUALITY),
                _jpeg(thumb, THUMB_QUALITY),
            )
        except CorruptImage:
            raise
        except Image.DecompressionBombError:
            raise _bomb(max_pixels) from None
        except Exception:  # truncated data, bad Huffman tables, broken HEIF boxes…
            # The library's words name files and internals: keep them for the log.
            log.info("undecodable %s", media_type, exc_info=True)
            raise CorruptImage(
                f"the {FORMAT_NAMES[media_type]} image is damaged or incomplete: "
                "its picture cannot be decoded whole"
            ) from None
