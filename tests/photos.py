"""Make test photos: real formats with chosen EXIF, and hostile files."""

import functools
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


def photo_like(size):
    """Return an RGB image with smooth detail everywhere, as a camera photo has."""
    width, height = size
    ramp = Image.linear_gradient("L")
    red = ramp.resize(size)
    green = ramp.rotate(90).resize(size)
    blue = Image.radial_gradient("L").resize(size)
    image = Image.merge("RGB", (red, green, blue))
    for i in range(0, min(size), 7):  # fine lines, so no tile is flat
        image.putpixel((i, i), (0, 0, 0))
        image.putpixel((width - 1 - i, i), (255, 255, 255))
    return image


@functools.cache
def grid_heic(size=(1536, 1024), tile=512, **colour):
    """Return an iPhone-like HEIC: a grid of 512-pixel HEVC tiles with camera EXIF.

    `colour` takes pillow_heif's NCLX settings (matrix_coefficients, full_range_flag).
    """
    exif = exif_block(lat=39.91, lon=116.67, make="Apple", model="iPhone 15")
    return encode(photo_like(size), "HEIF", exif=exif, quality=60, tile_size=tile, **colour)


def _boxes(data, start, end):
    """Yield (type, payload start, end) of the ISO-BMFF boxes in data[start:end]."""
    while start < end:
        size, kind = struct.unpack(">I4s", data[start : start + 8])
        header = 8
        if size == 1:
            size, header = struct.unpack(">Q", data[start + 8 : start + 16])[0], 16
        size = size or end - start
        yield kind, start + header, start + size
        start += size


def heif_tiles(data):
    """Return (offset, length) in the file of each tile of a grid HEIF, in grid order.

    A reader of its own, apart from the one under test, so the tests damage
    exactly the bytes they mean to.
    """
    meta = next((s + 4, e) for kind, s, e in _boxes(data, 0, len(data)) if kind == b"meta")
    boxes = {kind: (s, e) for kind, s, e in _boxes(data, *meta)}

    start, end = boxes[b"iref"]
    width = 2 if data[start] == 0 else 4
    tiles = []
    for kind, s, _ in _boxes(data, start + 4, end):
        if kind == b"dimg":
            count = int.from_bytes(data[s + width : s + width + 2])
            first = s + width + 2
            tiles = [
                int.from_bytes(data[first + i * width : first + (i + 1) * width])
                for i in range(count)
            ]

    start, _ = boxes[b"iloc"]
    version = data[start]
    pos = start + 4
    sizes = int.from_bytes(data[pos : pos + 2])
    offset_size, length_size, base_size = sizes >> 12, (sizes >> 8) & 15, (sizes >> 4) & 15
    index_size = sizes & 15 if version else 0
    pos += 2

    def read(n):
        nonlocal pos
        pos += n
        return int.from_bytes(data[pos - n : pos])

    located = {}
    for _ in range(read(2 if version < 2 else 4)):
        item = read(2 if version < 2 else 4)
        if version:
            read(2)  # construction method: tiles lie in the file itself
        read(2)
        base = read(base_size)
        extents = []
        for _ in range(read(2)):
            read(index_size)
            extents.append((base + read(offset_size), read(length_size)))
        located[item] = extents[0]
    return [located[tile] for tile in tiles]
