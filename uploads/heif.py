"""Find the HEIC/HEIF damage that libheif decodes around instead of reporting.

libheif builds a phone photo from a grid of separately coded tiles. A tile it
cannot read (its bytes cut off, missing or garbled) is skipped with a warning
and left blank, and pillow_heif passes no warning on: a photo cut to half its
bytes decodes "whole", with flat green tiles. So before decoding, the file's
item table (ISO/IEC 14496-12 boxes: `iloc`, `iinf`, `iref`) must account for
every byte it points at; after decoding, no grid tile may be left blank.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, cast

from PIL import Image, ImageChops

from uploads.errors import CorruptImage

INCOMPLETE = (
    "the HEIC/HEIF file is incomplete: it ends before the image data it describes "
    "(the upload or the copy was probably cut off)"
)
DAMAGED = "the HEIC/HEIF file is damaged: its structure cannot be read"
MISSING_TILES = "the HEIC/HEIF image is damaged: tiles of the picture are missing"
BLANK_TILE = "the HEIC/HEIF image is damaged: part of the picture cannot be decoded"

# Item types made from other items rather than from bytes of their own.
DERIVED = {"grid", "iovl", "iden"}
# A meta box is a few kilobytes; one far larger is not a photo's.
MAX_META = 16 * 1024 * 1024


@dataclass(frozen=True)
class Item:
    """One item of a HEIF file: its type, where its bytes lie, what it is made of."""

    id: int
    type: str
    construction_method: int  # 0: bytes in the file, 1: in the meta box's idat
    data_reference: int  # 0: this file
    extents: tuple[tuple[int, int], ...]  # (offset, length); length 0: to the end
    parts: tuple[int, ...]  # the items it is derived from (a grid's tiles)


# Where an iloc box says an item's bytes are: (construction method, data reference, extents).
Location = tuple[int, int, tuple[tuple[int, int], ...]]


class _Bytes:
    """Read big-endian numbers from a buffer, refusing to read past `end`."""

    def __init__(self, data: bytes, start: int, end: int) -> None:
        self.data, self.pos, self.end = data, start, end

    def uint(self, size: int) -> int:
        """Read an unsigned big-endian number of `size` bytes."""
        if size > 8 or self.pos + size > self.end:
            raise CorruptImage(DAMAGED)
        value = int.from_bytes(self.data[self.pos : self.pos + size], "big")
        self.pos += size
        return value

    def kind(self) -> str:
        """Read a four-character box or item type."""
        text = self.data[self.pos : self.pos + 4].decode("latin-1")
        self.uint(4)
        return text


def _box_header(head: bytes, available: int, problem: str) -> tuple[str, int, int]:
    """Return (type, header length, box length) of the box whose first bytes are `head`."""
    if available < 8:
        raise CorruptImage(problem)
    size = int.from_bytes(head[:4], "big")
    kind = head[4:8].decode("latin-1")
    header = 8
    if size == 1:
        if available < 16:
            raise CorruptImage(problem)
        size, header = int.from_bytes(head[8:16], "big"), 16
    elif size == 0:  # the last box runs to the end of the file
        size = available
    if size < header:
        raise CorruptImage(DAMAGED)
    if size > available:
        raise CorruptImage(problem)
    return kind, header, size


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[str, int, int]]:
    """Yield (type, payload start, end) of the boxes in data[start:end]."""
    while start < end:
        kind, header, size = _box_header(data[start : start + 16], end - start, DAMAGED)
        yield kind, start + header, start + size
        start += size


def _meta(handle: BinaryIO, length: int) -> bytes:
    """Return the meta box's payload, checking that every top-level box fits in the file."""
    meta = None
    position = 0
    while position < length:
        handle.seek(position)
        kind, header, size = _box_header(handle.read(16), length - position, INCOMPLETE)
        if kind == "meta":
            if meta is not None or size > MAX_META:
                raise CorruptImage(DAMAGED)
            handle.seek(position + header)
            meta = handle.read(size - header)
        position += size
    if meta is None:
        raise CorruptImage(DAMAGED)
    return meta


def _locations(data: bytes, start: int, end: int) -> dict[int, Location]:
    """Return {item id: (construction method, data reference, extents)} from an iloc box."""
    read = _Bytes(data, start, end)
    version = read.uint(1)
    read.uint(3)
    if version > 2:
        raise CorruptImage(DAMAGED)
    sizes = read.uint(2)
    offset_size, length_size, base_size = sizes >> 12, (sizes >> 8) & 15, (sizes >> 4) & 15
    index_size = sizes & 15 if version else 0
    ids = 2 if version < 2 else 4
    located = {}
    for _ in range(read.uint(ids)):
        item = read.uint(ids)
        method = read.uint(2) & 15 if version else 0
        reference = read.uint(2)
        base = read.uint(base_size)
        extents = []
        for _ in range(read.uint(2)):
            read.uint(index_size)
            extents.append((base + read.uint(offset_size), read.uint(length_size)))
        located[item] = (method, reference, tuple(extents))
    return located


def _types(data: bytes, start: int, end: int) -> dict[int, str]:
    """Return {item id: item type} from an iinf box."""
    read = _Bytes(data, start, end)
    version = read.uint(1)
    read.uint(3)
    read.uint(2 if version == 0 else 4)  # entry count: the boxes that follow say it too
    types = {}
    for kind, entry_start, entry_end in _boxes(data, read.pos, end):
        if kind != "infe":
            continue
        entry = _Bytes(data, entry_start, entry_end)
        entry_version = entry.uint(1)
        entry.uint(3)
        if entry_version < 2:  # old entries name no type; never an image
            continue
        item = entry.uint(2 if entry_version == 2 else 4)
        entry.uint(2)  # protection index
        types[item] = entry.kind()
    return types


def _parts(data: bytes, start: int, end: int) -> dict[int, tuple[int, ...]]:
    """Return {item id: the items it is derived from} from an iref box's 'dimg' references."""
    read = _Bytes(data, start, end)
    version = read.uint(1)
    read.uint(3)
    ids = 2 if version == 0 else 4
    parts: dict[int, tuple[int, ...]] = {}
    for kind, ref_start, ref_end in _boxes(data, read.pos, end):
        if kind != "dimg":
            continue
        ref = _Bytes(data, ref_start, ref_end)
        item = ref.uint(ids)
        parts[item] = parts.get(item, ()) + tuple(ref.uint(ids) for _ in range(ref.uint(2)))
    return parts


def _read(handle: BinaryIO) -> tuple[dict[int, Item], int, int]:
    """Return the items of a HEIF file, its idat's length and the file's length."""
    handle.seek(0, 2)
    length = handle.tell()
    meta = _meta(handle, length)
    boxes: dict[str, tuple[int, int]] = {}
    for kind, start, end in _boxes(meta, 4, len(meta)):  # meta is a full box: skip 4 bytes
        boxes.setdefault(kind, (start, end))
    if "iloc" not in boxes:
        raise CorruptImage(DAMAGED)
    located = _locations(meta, *boxes["iloc"])
    types = _types(meta, *boxes["iinf"]) if "iinf" in boxes else {}
    parts = _parts(meta, *boxes["iref"]) if "iref" in boxes else {}
    idat = boxes["idat"][1] - boxes["idat"][0] if "idat" in boxes else 0
    items = {}
    for item in located.keys() | types.keys():
        method, reference, extents = located.get(item, (0, 0, ()))
        items[item] = Item(
            item, types.get(item, ""), method, reference, extents, parts.get(item, ())
        )
    return items, idat, length


def check_complete(handle: BinaryIO) -> None:
    """Refuse a HEIF file that lacks bytes its items point at, or tiles its images need."""
    items, idat, length = _read(handle)
    handle.seek(0)
    for item in items.values():
        if item.data_reference != 0:
            continue  # data in another file: libheif refuses it when it is needed
        room = {0: length, 1: idat}.get(item.construction_method)
        if room is None:
            continue  # bytes taken from other items, which are checked themselves
        if any(offset + size > room for offset, size in item.extents):
            raise CorruptImage(INCOMPLETE if item.construction_method == 0 else DAMAGED)
    for item in items.values():
        for part in item.parts:
            tile = items.get(part)
            if tile is None or (tile.type not in DERIVED and not tile.extents):
                raise CorruptImage(MISSING_TILES)


# Probe the decoded picture every this many pixels for a blank tile.
PROBE = 32
# A tile libheif could not decode keeps the zeros it was allocated with (Y = Cb =
# Cr = 0). Every YCbCr matrix turns that into one flat, pure, dark green: R = B = 0,
# G from 77 (BT.709, limited range) to 136 (BT.601). A camera never makes a flat
# patch of that; saturated green (a lit exit sign) clips at 255, well above it.
BLANK_GREEN = range(70, 141)


def _blank(image: Image.Image, box: tuple[int, int, int, int]) -> bool:
    """Say whether the pixels in `box` are all one colour that a blank tile decodes to."""
    # An RGB(A) image (has_blank_tile checks) has one (min, max) per band.
    extrema = cast(tuple[tuple[int, int], ...], image.crop(box).getextrema())
    (_, red), (green, green_high), (_, blue) = extrema[:3]
    return red == 0 and blue == 0 and green == green_high and green in BLANK_GREEN


def has_blank_tile(image: Image.Image) -> bool:
    """Say whether libheif left a tile of this decoded grid image blank."""
    if not image.info.get("tiling") or image.mode not in ("RGB", "RGBA"):
        return False
    width, height = image.size
    columns, rows = max(1, width // PROBE), max(1, height // PROBE)
    # One pixel from the middle of each PROBE×PROBE cell; a blank tile holds whole cells.
    samples = image.resize((columns, rows), Image.Resampling.NEAREST)
    red, green, blue = samples.split()[:3]
    zero = [255] + [0] * 255
    dark_green = [255 if value in BLANK_GREEN else 0 for value in range(256)]
    suspect = ImageChops.multiply(
        ImageChops.multiply(red.point(zero), blue.point(zero)), green.point(dark_green)
    )
    if suspect.getbbox() is None:
        return False
    cell_w, cell_h = width / columns, height / rows
    for index, value in enumerate(suspect.tobytes()):
        if value:
            x, y = index % columns, index // columns
            box = (int(x * cell_w), int(y * cell_h), int((x + 1) * cell_w), int((y + 1) * cell_h))
            if _blank(image, box):
                return True
    return False
