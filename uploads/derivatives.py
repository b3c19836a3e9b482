"""Decode a photo once, upright, and re-encode display and thumbnail JPEGs with no metadata."""

import io
import math
import os
import warnings
from dataclasses import dataclass

from PIL import Image, ImageCms
from pillow_heif import register_heif_opener

from uploads import heif
from uploads.errors import CorruptImage, DecompressionBomb
from uploads.sniff import PILLOW_FORMATS

register_heif_opener()

DISPLAY_SIDE = 1600
THUMB_SIDE = 320
DISPLAY_QUALITY = 82
THUMB_QUALITY = 75
_SRGB = ImageCms.createProfile("sRGB")
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


@dataclass(frozen=True)
class Decoded:
    """What one decode yields: upright size, the raw EXIF block, and both JPEGs."""

    width: int
    height: int
    exif: bytes
    display: bytes
    thumb: bytes


def _check_heif(path):
    """Refuse a HEIF file that libheif would decode with tiles missing."""
    if isinstance(path, str | os.PathLike):
        with open(path, "rb") as handle:
            heif.check_complete(handle)
    else:
        heif.check_complete(path)


def _open(path, media_type, max_pixels):
    if media_type == "image/heic":
        _check_heif(path)
    try:
        image = Image.open(path, formats=[PILLOW_FORMATS[media_type]])
    except Image.DecompressionBombError as error:
        raise DecompressionBomb(f"the image claims too many pixels: {error}") from None
    except Exception as error:  # Pillow raises many types for damaged headers
        raise CorruptImage(f"the image header cannot be read: {error}") from None
    width, height = image.size
    if width <= 0 or height <= 0:
        raise CorruptImage("the image has no pixels")
    if width * height > max_pixels:
        image.close()
        raise DecompressionBomb(
            f"{width}×{height} is {width * height:,} pixels; the limit is {max_pixels:,}"
        )
    return image


def _orientation(image):
    """Return the EXIF orientation (1 when absent, broken or absurd)."""
    try:
        value = image.getexif().get(0x0112, 1)
    except Exception:  # a broken EXIF block must not stop the photo
        return 1
    return value if value in UPRIGHT else 1


def _reduce_early(image, side):
    """Decode no more pixels than the display size needs (JPEG DCT scaling)."""
    width, height = image.size
    scale = side / max(width, height)
    if scale >= 1:
        return image
    wanted = (math.ceil(width * scale), math.ceil(height * scale))
    if image.format == "JPEG":
        image.draft("RGB", wanted)  # decodes at 1/2, 1/4 or 1/8 scale, never below `wanted`
        return image
    factor = int(1 / scale)
    if factor >= 2:
        # Other formats decode whole; halve early so later copies are small.
        image.load()
        return image.reduce(factor)
    return image


def _to_srgb(image):
    icc = image.info.get("icc_profile")
    if image.mode == "RGBA" or image.mode == "LA" or "transparency" in image.info:
        background = Image.new("RGB", image.size, "white")
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        image = background
    elif image.mode != "RGB":
        image = image.convert("RGB")
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            image = ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: keep the pixels as they are
    return image


def _jpeg(image, quality):
    image.info = {}  # nothing of the original travels: no EXIF, XMP, ICC or comments
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _fit(image, side, resample):
    width, height = image.size
    scale = side / max(width, height)
    if scale >= 1:
        return image
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return image.resize(size, resample, reducing_gap=3.0)


def decode(path, media_type, *, max_pixels):
    """Decode the photo at `path` and return its Decoded derivatives."""
    with warnings.catch_warnings():
        # Pillow warns about hostile EXIF and big images; our own checks decide.
        warnings.simplefilter("ignore")
        return _decode(path, media_type, max_pixels)


def _decode(path, media_type, max_pixels):
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
            image.load()
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
        except Image.DecompressionBombError as error:
            raise DecompressionBomb(str(error)) from None
        except Exception as error:  # truncated data, bad Huffman tables, broken HEIF boxes…
            raise CorruptImage(f"the image data cannot be decoded: {error}") from None
