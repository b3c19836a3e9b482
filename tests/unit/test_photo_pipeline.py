"""The photo pipeline without a server: sniffing, EXIF, derivatives, flags, storage."""

import io
import os
from datetime import UTC, datetime, timedelta

import exifread
import pytest
from PIL import Image, ImageChops

from tests.photos import (
    SHARED,
    encode,
    exif_block,
    grid_heic,
    heif_tiles,
    hostile_exifs,
    jpeg,
    photo_like,
    picture,
    png_claiming,
    when,
)
from uploads import heif
from uploads.authenticity import Rules, assess
from uploads.derivatives import decode
from uploads.errors import CorruptImage, DecompressionBomb, HashMismatch, TooLarge
from uploads.exif import SHANGHAI, ExifFacts, read_exif
from uploads.intake import receive
from uploads.sniff import claim_matches, sniff
from uploads.storage import LocalStorage, photo_key

LIMIT = 100_000_000


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "image/heic"),
        (b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1heicmiaf", "image/heic"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", None),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00isommp42", None),
        (b"%PDF-1.7\n%\xff\xd8\xff", None),
        (b"<!DOCTYPE html><img src=x>", None),
        (b"PK\x03\x04\x14\x00\x00\x00", None),
        (b"\x7fELF\x02\x01\x01\x00", None),
        (b"MZ\x90\x00\x03\x00", None),
        (b"GIF89a\x01\x00\x01\x00", None),
        (b"", None),
    ],
)
def test_sniff_names_only_the_four_accepted_formats(head, expected):
    assert sniff(head) == expected


@pytest.mark.parametrize(
    ("claimed", "sniffed", "ok"),
    [
        ("image/jpeg", "image/jpeg", True),
        ("image/jpg", "image/jpeg", True),
        ("IMAGE/JPEG; charset=binary", "image/jpeg", True),
        (None, "image/png", True),
        ("application/octet-stream", "image/webp", True),
        ("image/heif", "image/heic", True),
        ("image/png", "image/jpeg", False),
        ("text/html", "image/jpeg", False),
        ("application/pdf", "image/png", False),
    ],
)
def test_a_claimed_type_must_agree_with_the_bytes(claimed, sniffed, ok):
    assert claim_matches(claimed, sniffed) is ok


def test_exif_gives_gps_time_with_offset_and_camera():
    raw = exif_block(
        lat=39.9095,
        lon=-116.6571,
        taken=when("2026-06-03T08:10:00"),
        offset="+03:00",
        make="HUAWEI",
        model="Mate 60",
        orientation=6,
    )
    facts = read_exif(raw.tobytes())
    assert facts.status == "ok" and facts.camera
    assert facts.gps_lat == pytest.approx(39.9095, abs=1e-6)
    assert facts.gps_lon == pytest.approx(-116.6571, abs=1e-6)
    assert facts.taken_at == datetime(2026, 6, 3, 5, 10, tzinfo=UTC)
    assert not facts.offset_assumed
    assert (facts.make, facts.model, facts.orientation) == ("HUAWEI", "Mate 60", 6)


def test_exif_time_without_offset_is_taken_as_shanghai_time():
    facts = read_exif(exif_block(taken=when("2026-06-03T08:10:00"), offset=None).tobytes())
    assert facts.taken_at == datetime(2026, 6, 3, 8, 10, tzinfo=SHANGHAI)
    assert facts.offset_assumed


@pytest.mark.parametrize("name", sorted(hostile_exifs()))
def test_hostile_exif_never_raises_and_yields_no_false_facts(name):
    facts = read_exif(hostile_exifs()[name])
    assert facts.status in ("ok", "unreadable")
    assert facts.gps_lat is None and facts.taken_at is None


def test_editor_exif_without_camera_data_counts_as_no_exif():
    with Image.open(SHARED / "xmp_no_exif.jpg") as image:
        facts = read_exif(image.info["exif"])
    assert facts.status == "ok" and not facts.camera


@pytest.mark.parametrize(
    ("name", "lat", "lon"),
    [
        ("gps_DSCN0010.jpg", 43.4674, 11.8851),
        ("gps_DSCN0021.jpg", 43.4671, 11.8845),
        ("hdr_iphone_hdr_YES.jpg", 40.4470, -3.7248),
        ("mobile_HMD_Nokia_8.3_5G.jpg", 60.1467, 24.9068),
        ("mobile_HMD_Nokia_8.3_5G.heif", 40.7887, -4.0051),
        ("tests_67-0_length_string.jpg", 51.0250, 7.5919),
    ],
)
def test_real_camera_photos_give_their_gps(name, lat, lon):
    decoded = decode(
        SHARED / name, "image/heic" if name.endswith("heif") else "image/jpeg", max_pixels=LIMIT
    )
    facts = read_exif(decoded.exif)
    assert (round(facts.gps_lat, 4), round(facts.gps_lon, 4)) == (lat, lon)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_comes_out_upright(orientation):
    decoded = decode(
        SHARED / f"orientation_landscape_{orientation}.jpg", "image/jpeg", max_pixels=LIMIT
    )
    reference = decode(SHARED / "orientation_landscape_1.jpg", "image/jpeg", max_pixels=LIMIT)
    with (
        Image.open(io.BytesIO(decoded.display)) as got,
        Image.open(io.BytesIO(reference.display)) as want,
    ):
        assert got.size == want.size == (600, 450)
        small_got = got.convert("L").resize((60, 45))
        small_want = want.convert("L").resize((60, 45))
        diff = sum(
            abs(a - b) for a, b in zip(small_got.tobytes(), small_want.tobytes(), strict=True)
        ) / (60 * 45)
    assert diff < 12, f"orientation {orientation} is not upright (mean difference {diff:.1f})"


def test_derivatives_are_bounded_and_keep_the_aspect_ratio():
    decoded = decode(SHARED / "mobile_HMD_Nokia_8.3_5G.jpg", "image/jpeg", max_pixels=LIMIT)
    assert (decoded.width, decoded.height) == (4608, 1976)
    with (
        Image.open(io.BytesIO(decoded.display)) as display,
        Image.open(io.BytesIO(decoded.thumb)) as thumb,
    ):
        assert max(display.size) == 1600 and max(thumb.size) == 320
        assert display.size[0] / display.size[1] == pytest.approx(4608 / 1976, rel=0.01)


def test_small_photos_are_not_enlarged():
    decoded = decode(io.BytesIO(jpeg(size=(300, 200))), "image/jpeg", max_pixels=LIMIT)
    with Image.open(io.BytesIO(decoded.display)) as display:
        assert display.size == (300, 200)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_derivatives_carry_no_metadata_at_all(fmt):
    exif = exif_block(lat=39.91, lon=116.67, taken=when("2026-06-03T08:10:00"))
    data = encode(picture(), fmt, exif=exif, icc_profile=b"fake-profile-serial-12345")
    decoded = decode(
        io.BytesIO(data),
        {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "HEIF": "image/heic"}[fmt],
        max_pixels=LIMIT,
    )
    assert read_exif(decoded.exif).gps_lat == pytest.approx(39.91, abs=1e-6)
    for derivative in (decoded.display, decoded.thumb):
        assert exifread.process_file(io.BytesIO(derivative), details=True) == {}
        with Image.open(io.BytesIO(derivative)) as image:
            assert image.format == "JPEG"
            assert not set(image.info) & {"exif", "xmp", "icc_profile", "comment", "photoshop"}
            assert len(image.getexif()) == 0
        assert b"Xiaomi" not in derivative and b"serial" not in derivative


def test_transparent_png_is_flattened_on_white():
    image = Image.new("RGBA", (100, 100), (255, 0, 0, 0))
    decoded = decode(io.BytesIO(encode(image, "PNG")), "image/png", max_pixels=LIMIT)
    with Image.open(io.BytesIO(decoded.display)) as display:
        assert display.convert("RGB").getpixel((50, 50)) > (240, 240, 240)


def test_truncated_jpeg_is_corrupt():
    data = (SHARED / "hdr_iphone_hdr_YES.jpg").read_bytes()
    with pytest.raises(CorruptImage):
        decode(io.BytesIO(data[: len(data) // 2]), "image/jpeg", max_pixels=LIMIT)


def test_image_over_the_pixel_limit_is_a_bomb_before_decoding():
    with pytest.raises(DecompressionBomb):
        decode(io.BytesIO(jpeg(size=(2000, 1000))), "image/jpeg", max_pixels=1_999_999)


NOKIA = (SHARED / "mobile_HMD_Nokia_8.3_5G.heif").read_bytes()


def _nokia_cuts():
    """Return named lengths to cut the real HEIF to: in every part of it, to its last byte."""
    tiles = heif_tiles(NOKIA)
    first, middle, last = tiles[0], tiles[len(tiles) // 2], tiles[-1]
    cuts = {
        "in-the-file-type": 20,
        "in-the-item-table": 1000,
        "before-the-image-data": first[0],
        "mid-first-tile": first[0] + first[1] // 2,
        "between-two-tiles": middle[0],
        "mid-middle-tile": middle[0] + middle[1] // 2,
        "start-of-last-tile": last[0],
        "mid-last-tile": last[0] + last[1] // 2,
        "half": len(NOKIA) // 2,
        "last-2-bytes-missing": len(NOKIA) - 2,
        "last-byte-missing": len(NOKIA) - 1,
    }
    cuts.update({f"at-{i}-of-8": len(NOKIA) * i // 8 for i in range(1, 8)})
    return cuts


@pytest.mark.parametrize(
    "length",
    [pytest.param(at, id=name) for name, at in sorted(_nokia_cuts().items(), key=lambda c: c[1])],
)
def test_a_real_heif_cut_short_anywhere_is_corrupt(length):
    with pytest.raises(CorruptImage):
        decode(io.BytesIO(NOKIA[:length]), "image/heic", max_pixels=LIMIT)
    # Found from the item table alone, before a pixel is decoded.
    with pytest.raises(CorruptImage, match="incomplete"):
        heif.check_complete(io.BytesIO(NOKIA[:length]))


def test_whole_heif_files_pass_the_item_table_check():
    for data in (NOKIA, grid_heic(), encode(picture(), "HEIF")):
        heif.check_complete(io.BytesIO(data))


def _damaged(data, tile, how):
    """Return `data` with one tile damaged `how`; the file keeps its length unless cut."""
    offset, length = heif_tiles(data)[tile]
    damaged = bytearray(data)
    if how == "cut-mid-tile":
        return data[: offset + length // 2]
    if how == "zeroed":
        damaged[offset : offset + length] = bytes(length)
    elif how == "slice-header-garbled":  # the coded tile is there but cannot be decoded
        damaged[offset + 6 : offset + 40] = b"\xa5" * 34
    elif how == "nal-length-broken":
        damaged[offset : offset + 4] = b"\xff\xff\xff\xf0"
    elif how == "reference-lost":  # the grid names a tile the file does not hold
        refs = data.index(b"dimg") + 8  # after the grid's item id and the reference count
        count = int.from_bytes(data[refs - 2 : refs])
        at = refs + 2 * (tile % count)  # 16-bit item ids
        damaged[at : at + 2] = b"\xff\xff"
    return bytes(damaged)


@pytest.mark.parametrize("tile", [0, 2, -1], ids=["first-tile", "a-middle-tile", "last-tile"])
@pytest.mark.parametrize(
    "how", ["cut-mid-tile", "zeroed", "slice-header-garbled", "nal-length-broken", "reference-lost"]
)
def test_a_grid_heic_with_a_damaged_tile_is_corrupt(tile, how):
    data = grid_heic()
    with pytest.raises(CorruptImage):
        decode(io.BytesIO(_damaged(data, tile, how)), "image/heic", max_pixels=LIMIT)


@pytest.mark.parametrize("missing", [1, 2])
def test_a_grid_heic_missing_its_last_bytes_is_corrupt(missing):
    data = grid_heic()
    with pytest.raises(CorruptImage):
        decode(io.BytesIO(data[:-missing]), "image/heic", max_pixels=LIMIT)


def test_an_intact_grid_heic_decodes_whole():
    data = grid_heic()
    assert len(heif_tiles(data)) == 6
    decoded = decode(io.BytesIO(data), "image/heic", max_pixels=LIMIT)
    assert (decoded.width, decoded.height) == (1536, 1024)
    assert read_exif(decoded.exif).model == "iPhone 15"
    with Image.open(io.BytesIO(decoded.display)) as display:
        want = photo_like((1536, 1024))
        diff = ImageChops.difference(display.convert("RGB"), want).convert("L")
        assert max(diff.histogram()[64:]) < 0.001 * 1536 * 1024  # nothing is far off


@pytest.mark.parametrize(
    "colour",
    [
        pytest.param({"matrix_coefficients": 6, "full_range_flag": 1}, id="bt601-full-range"),
        pytest.param({"matrix_coefficients": 1, "full_range_flag": 0}, id="bt709-limited-range"),
        pytest.param({"matrix_coefficients": 9, "full_range_flag": 1}, id="bt2020-full-range"),
    ],
)
def test_a_blank_tile_is_found_whatever_the_colour_matrix(colour):
    data = grid_heic(**colour)
    decode(io.BytesIO(data), "image/heic", max_pixels=LIMIT)
    with pytest.raises(CorruptImage, match="cannot be decoded"):
        decode(io.BytesIO(_damaged(data, 4, "zeroed")), "image/heic", max_pixels=LIMIT)


@pytest.mark.parametrize("green", [(0, 255, 0), (0, 200, 0), (0, 40, 0)])
def test_a_flat_green_that_a_camera_can_make_is_not_taken_for_a_blank_tile(green):
    image = photo_like((1536, 1024))
    image.paste(green, (0, 0, 1100, 1024))  # covers whole tiles
    decode(io.BytesIO(encode(image, "HEIF", tile_size=512)), "image/heic", max_pixels=LIMIT)


def test_a_real_heif_with_a_damaged_tile_is_corrupt():
    with pytest.raises(CorruptImage):
        decode(io.BytesIO(_damaged(NOKIA, 30, "zeroed")), "image/heic", max_pixels=LIMIT)


WHITE = (255, 255, 255)
ORANGE, SKY = (200, 80, 40), (40, 200, 250)  # greys 111 and 158
MODE_CASES = {
    # Pillow's mode as read back: (make it from an RGBA picture, expected left, right colour)
    "1": (
        lambda im: im.convert("L").point(lambda v: 255 * (v > 130)).convert("1"),
        (0,) * 3,
        WHITE,
    ),
    "P": (lambda im: im.convert("RGB").quantize(4), ORANGE, SKY),
    "P-transparent": (lambda im: im.quantize(4), ORANGE, WHITE),
    "L": (lambda im: im.convert("L"), (111,) * 3, (158,) * 3),
    "L-transparent": (lambda im: _keyed(im.convert("L"), 158), (111,) * 3, WHITE),
    "LA": (lambda im: im.convert("LA"), (111,) * 3, WHITE),
    "I;16": (lambda im: _sixteen_bit(im.convert("L")), (111,) * 3, (158,) * 3),
    "I;16-transparent": (
        lambda im: _keyed(_sixteen_bit(im.convert("L")), 158 * 257),
        (111,) * 3,
        WHITE,
    ),
    "RGB-transparent": (lambda im: _keyed(im.convert("RGB"), SKY), ORANGE, WHITE),
    "RGBA": (lambda im: im, ORANGE, WHITE),
    "CMYK": (lambda im: im.convert("RGB").convert("CMYK"), ORANGE, SKY),
}


def _keyed(image, colour):
    """Mark one colour transparent, as a PNG tRNS chunk does."""
    image.info["transparency"] = colour
    return image


def _sixteen_bit(image):
    """Return a 16-bit greyscale copy of an 8-bit one, the way a 16-bit PNG holds it."""
    return image.point(lambda v: v * 257, "I").convert("I;16")


def _two_colours(size):
    """Return an RGBA picture: left half opaque orange, right half sky blue and transparent."""
    image = Image.new("RGBA", size, (*ORANGE, 255))
    image.paste((*SKY, 0), (size[0] // 2, 0, size[0], size[1]))
    return image


@pytest.mark.parametrize("size", [(600, 400), (4000, 2400)], ids=["small", "over-3200-px"])
@pytest.mark.parametrize("mode", sorted(MODE_CASES))
def test_every_image_mode_gives_upright_rgb_derivatives(mode, size):
    make, left, right = MODE_CASES[mode]
    image = make(_two_colours(size))
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    params = {"transparency": image.info["transparency"]} if "transparency" in image.info else {}
    data = encode(image, fmt, exif=exif_block(orientation=6), **params)
    with Image.open(io.BytesIO(data)) as reopened:
        assert reopened.mode == mode.split("-")[0]  # Pillow reads it back in that mode
    decoded = decode(io.BytesIO(data), f"image/{fmt.lower()}", max_pixels=LIMIT)
    assert (decoded.width, decoded.height) == (size[1], size[0])
    with Image.open(io.BytesIO(decoded.display)) as display:
        assert display.mode == "RGB"
        side = min(1600, size[0])
        assert display.size == (side * size[1] // size[0], side)
        # Orientation 6: the picture's left half is now on top.
        top = display.getpixel((display.width // 2, display.height // 4))
        bottom = display.getpixel((display.width // 2, display.height * 3 // 4))
    assert all(abs(a - b) <= 12 for a, b in zip(top, left, strict=True)), top
    assert all(abs(a - b) <= 12 for a, b in zip(bottom, right, strict=True)), bottom


def test_messages_name_no_server_path(tmp_path):
    scratch = tmp_path / "media" / "tmp"
    scratch.mkdir(parents=True)
    for name, data, media_type in [
        ("upload-png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "image/png"),
        ("upload-jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 100, "image/jpeg"),
        ("upload-heic", NOKIA[:2000], "image/heic"),
    ]:
        (scratch / name).write_bytes(data)
        with pytest.raises(CorruptImage) as refused:
            decode(scratch / name, media_type, max_pixels=LIMIT)
        assert str(tmp_path) not in refused.value.message and name not in refused.value.message


def test_a_bomb_pillow_refuses_is_reported_with_the_configured_limit():
    with pytest.raises(DecompressionBomb) as refused:
        decode(io.BytesIO(png_claiming(30_000, 30_000)), "image/png", max_pixels=1_000_000)
    assert "1,000,000" in refused.value.message
    assert f"{Image.MAX_IMAGE_PIXELS * 2:,}" not in refused.value.message


NOW = datetime(2026, 6, 3, 9, 0, tzinfo=UTC)
HERE = dict(lat=39.9100, lon=116.6700)


def facts(**overrides):
    """Return ExifFacts of a camera photo taken here, now."""
    base = dict(
        status="ok",
        taken_at=NOW - timedelta(minutes=5),
        gps_lat=39.9100,
        gps_lon=116.6700,
        camera=True,
    )
    base.update(overrides)
    return ExifFacts(**base)


@pytest.mark.parametrize(
    ("exif", "reused", "flags"),
    [
        (facts(), False, ()),
        (facts(gps_lat=39.9120), False, ("location_mismatch",)),  # about 222 m north
        (facts(gps_lat=39.9115), False, ()),  # about 167 m: within 200 m
        (facts(taken_at=NOW - timedelta(hours=25)), False, ("stale",)),
        (facts(taken_at=NOW - timedelta(hours=23)), False, ()),
        (facts(taken_at=NOW + timedelta(minutes=30)), False, ("stale",)),
        (facts(taken_at=NOW + timedelta(minutes=5)), False, ()),
        (ExifFacts(status="none"), False, ("no_exif",)),
        (ExifFacts(status="unreadable"), False, ("no_exif",)),
        (facts(camera=False, gps_lat=None, gps_lon=None), False, ("no_exif",)),
        (facts(), True, ("reused",)),
    ],
)
def test_authenticity_flags(exif, reused, flags):
    result = assess(exif, observed_at=NOW, reused=reused, **HERE)
    assert result.flags == flags


def test_distance_is_geodesic_and_thresholds_are_settings():
    result = assess(facts(gps_lat=39.9200), observed_at=NOW, reused=False, **HERE)
    assert result.distance_m == pytest.approx(1110.9, abs=2)
    lenient = Rules(max_distance_m=2000)
    assert (
        assess(facts(gps_lat=39.92), observed_at=NOW, reused=False, rules=lenient, **HERE).flags
        == ()
    )


def test_receive_checks_size_and_hash_and_leaves_no_scratch_file(tmp_path):
    data = jpeg()
    from tests.photos import sha

    with pytest.raises(HashMismatch):
        receive(io.BytesIO(data), "0" * 64, scratch_dir=tmp_path, max_bytes=10**7)
    with pytest.raises(TooLarge):
        receive(io.BytesIO(data), sha(data), scratch_dir=tmp_path, max_bytes=len(data) - 1)
    assert os.listdir(tmp_path) == []
    received = receive(io.BytesIO(data), sha(data), scratch_dir=tmp_path, max_bytes=len(data))
    assert received.path.read_bytes() == data
    received.discard()
    assert os.listdir(tmp_path) == []


def test_local_storage_is_sharded_atomic_and_confined(tmp_path):
    storage = LocalStorage(tmp_path)
    key = photo_key("display", "ab" * 32)
    assert key == f"display/ab/ab/{'ab' * 32}.jpg"
    storage.put(key, b"one")
    storage.put(key, b"two")
    with storage.open(key) as handle:
        assert handle.read() == b"two"
    assert storage.exists(key)
    assert [p.name for p in (tmp_path / "display/ab/ab").iterdir()] == [f"{'ab' * 32}.jpg"]
    storage.delete(key)
    assert not storage.exists(key)
    with pytest.raises(ValueError):
        storage.put("../escape", b"x")
