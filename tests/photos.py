"""Make test photos: real formats with chosen EXIF, and hostile files."""

import hashlib
import io
import struct
import zlib
from datetime import datetime
from fractions import Fraction

from PIL import Image
from pillow_heif import register_heif_opener

register_heif_opener()

SHARED = __import__("pathlib").Path(__file__).resolve().parents[2] / "shared" / "photos"


def sha(data):
    """Return the hex SHA-256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def _dms(value):
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = Fraction((value - degrees - minutes / 60) * 3600).limit_denominator(10_000)
    return (Fraction(degrees), Fraction(minutes), seconds)


def exif_block(
    *,
    lat=None,
    lon=None,
    taken=None,
    offset="+08:00",
    make="Xiaomi",
    model="Redmi Note 12",
    orientation=1,
):
    """Return a Pillow Exif with camera, time and GPS tags as given."""
    exif = Image.Exif()
    if make:
        exif[0x010F] = make
    if model:
        exif[0x0110] = model
    exif[0x0112] = orientation
    if taken is not None:
        ifd = exif.get_ifd(0x8769)
        ifd[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")
        if offset:
            ifd[0x9011] = offset
    if lat is not None:
        gps = exif.get_ifd(0x8825)
        gps[1] = "N" if lat >= 0 else "S"
        gps[2] = _dms(lat)
        gps[3] = "E" if lon >= 0 else "W"
        gps[4] = _dms(lon)
    return exif


def picture(size=(800, 600), colour=(200, 80, 40)):
    """Return an RGB image with a diagonal so orientation mistakes show."""
    image = Image.new("RGB", size, colour)
    for i in range(min(size)):
        image.putpixel((i, i), (0, 0, 0))
    image.paste((20, 160, 60), (0, 0, size[0] // 4, size[1] // 4))
    return image


def encode(image, fmt, exif=None, **params):
    """Return the bytes of `image` saved as `fmt` with optional EXIF."""
    buffer = io.BytesIO()
    if exif is not None:
        params["exif"] = exif.tobytes() if isinstance(exif, Image.Exif) else exif
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def jpeg(size=(800, 600), **exif_args):
    """Return a JPEG; EXIF tags only when any are asked for."""
    exif = exif_block(**exif_args) if exif_args else None
    return encode(picture(size), "JPEG", exif=exif, quality=90)


def png_claiming(width, height):
    """Return a tiny PNG whose header claims width×height pixels (a decompression bomb)."""
    data = encode(Image.new("L", (8, 8)), "PNG")
    ihdr = struct.pack(">II", width, height) + data[24:29]
    crc = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF)
    return data[:16] + ihdr + crc + data[33:]


def tiff_with_entries(entries, next_ifd=0, extra=b""):
    """Return big-endian TIFF bytes with one IFD of (tag, type, count, value) entries."""
    body = struct.pack(">H", len(entries))
    for tag, kind, count, value in entries:
        body += struct.pack(">HHII", tag, kind, count, value)
    body += struct.pack(">I", next_ifd)
    return b"MM\x00*" + struct.pack(">I", 8) + body + extra


def hostile_exifs():
    """Return named raw EXIF blocks that have crashed or hung EXIF readers."""
    ifd_loop = tiff_with_entries([(0x010F, 2, 4, 0x41424300)], next_ifd=8)
    huge_count = tiff_with_entries([(0x010F, 2, 0x7FFFFFFF, 0x100), (0x8825, 4, 1, 8)])
    wrong_types = tiff_with_entries([(0x0112, 2, 4, 0x39393900), (0x8769, 3, 1, 0xFFFF0000)])
    gps_nonsense = (
        tiff_with_entries([(0x8825, 4, 1, 26)])
        + tiff_with_entries(
            [(1, 2, 2, 0x4E000000), (2, 5, 3, 0xFFFF), (3, 2, 2, 0x45000000), (4, 5, 3, 8)]
        )[8:]
    )
    return {
        "ifd-loop": b"Exif\x00\x00" + ifd_loop,
        "huge-count": b"Exif\x00\x00" + huge_count,
        "wrong-types": b"Exif\x00\x00" + wrong_types,
        "gps-nonsense": b"Exif\x00\x00" + gps_nonsense,
        "garbage": b"Exif\x00\x00" + b"\xff" * 200,
        "not-tiff": b"Exif\x00\x00" + b"hello world" * 10,
    }


def when(text):
    """Parse an ISO time for tests."""
    return datetime.fromisoformat(text)
