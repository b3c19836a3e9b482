"""Photo upload and download over HTTP: idempotent, refusing bad bytes, private."""

import io
import os
import threading

import pytest
import sqlalchemy as sa
from PIL import Image

from server.extensions import db
from server.models import Photo, PhotoUpload
from tests.helpers import add_user, assert_problem, file_report, login, report_body
from tests.photos import (
    SHARED,
    encode,
    grid_heic,
    heif_tiles,
    jpeg,
    photo_like,
    picture,
    png_claiming,
    sha,
    when,
)


def put(client, headers, data, content_type="image/jpeg", name=None):
    """Upload bytes under their hash (or `name`)."""
    return client.put(
        f"/api/v1/photos/{name or sha(data)}",
        data=data,
        headers={**headers, "Content-Type": content_type},
    )


class Fetched:
    """A response read whole and closed (file responses hold the file open)."""

    def __init__(self, response):
        with response:
            self.status_code = response.status_code
            self.headers = response.headers
            self.mimetype = response.mimetype
            self.data = response.get_data()
            self.json = response.json if response.is_json else None

    def get_data(self, as_text=False):
        """Return the body, like a Flask response."""
        return self.data.decode() if as_text else self.data


def fetch(client, url, headers, **extra):
    """GET `url` and return a closed Fetched response."""
    return Fetched(client.get(url, headers={**headers, **extra}))


def stored_files(app):
    """Return every file under MEDIA_ROOT except the scratch directory's."""
    root = app.config["MEDIA_ROOT"]
    return sorted(
        os.path.relpath(os.path.join(d, f), root) for d, _, files in os.walk(root) for f in files
    )


def photo_rows(app):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Photo))


@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in SHARED.iterdir() if p.suffix in (".jpg", ".heif")),
)
def test_every_real_camera_photo_is_accepted_once(client, demo, app, name):
    headers = login(client, "volunteer")
    data = (SHARED / name).read_bytes()
    content_type = "image/heic" if name.endswith(".heif") else "image/jpeg"
    first = put(client, headers, data, content_type)
    assert first.status_code == 201, first.json
    assert first.json["sha256"] == sha(data) and first.json["size"] == len(data)
    again = put(client, headers, data, content_type)
    assert again.status_code == 200 and again.json == first.json
    assert photo_rows(app) == 1
    digest = sha(data)
    assert stored_files(app) == [
        f"display/{digest[:2]}/{digest[2:4]}/{digest}.jpg",
        f"original/{digest[:2]}/{digest[2:4]}/{digest}",
        f"thumb/{digest[:2]}/{digest[2:4]}/{digest}.jpg",
    ]
    original = fetch(client, f"/api/v1/photos/{digest}/original", login(client, "office"))
    assert original.data == data  # kept byte for byte


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp"), ("HEIF", "image/heic")],
)
def test_each_accepted_format_gets_jpeg_derivatives(client, demo, fmt, content_type):
    headers = login(client, "volunteer")
    data = encode(picture((2400, 1200)), fmt)
    response = put(client, headers, data, content_type)
    assert response.status_code == 201
    assert response.json["media_type"] == content_type
    assert (response.json["width"], response.json["height"]) == (2400, 1200)
    for kind, side in (("display", 1600), ("thumb", 320)):
        got = fetch(client, f"/api/v1/photos/{sha(data)}/{kind}", headers)
        assert got.status_code == 200 and got.mimetype == "image/jpeg"
        with Image.open(io.BytesIO(got.data)) as image:
            assert image.format == "JPEG" and image.size == (side, side // 2)


NOKIA = (SHARED / "mobile_HMD_Nokia_8.3_5G.heif").read_bytes()


def _pdf_with_jpeg():
    return b"%PDF-1.4\n1 0 obj<</Length 9999>>stream\n" + jpeg() + b"\nendstream\n%%EOF"


REFUSED = [
    pytest.param(_pdf_with_jpeg(), "image/jpeg", 415, id="pdf-named-jpeg"),
    pytest.param(b"<html><script>alert(1)</script></html>", "image/jpeg", 415, id="html"),
    pytest.param(b"PK\x03\x04" + b"\x00" * 200, "image/jpeg", 415, id="zip"),
    pytest.param(b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "image/jpeg", 415, id="executable"),
    pytest.param(encode(picture(), "GIF"), "image/gif", 415, id="gif"),
    pytest.param(b"", "image/jpeg", 415, id="empty"),
    pytest.param(jpeg(), "image/png", 415, id="jpeg-claimed-as-png"),
    pytest.param(jpeg(), "text/html", 415, id="jpeg-claimed-as-html"),
    pytest.param(
        (SHARED / "hdr_iphone_hdr_YES.jpg").read_bytes()[:500_000],
        "image/jpeg",
        422,
        id="truncated-jpeg",
    ),
    pytest.param(b"\xff\xd8\xff\xe0" + os.urandom(3000), "image/jpeg", 422, id="jpeg-garbage"),
    pytest.param(png_claiming(30_000, 30_000), "image/png", 422, id="png-bomb"),
    pytest.param(png_claiming(12_000, 9_000), "image/png", 422, id="png-over-limit"),
    pytest.param(encode(picture(), "PNG")[:200], "image/png", 422, id="truncated-png"),
    pytest.param(NOKIA[: len(NOKIA) // 2], "image/heic", 422, id="heif-cut-to-half"),
    pytest.param(NOKIA[:-2], "image/heif", 422, id="heif-missing-its-last-2-bytes"),
]


@pytest.mark.parametrize(("data", "content_type", "status"), REFUSED)
def test_refused_upload_leaves_no_file_and_no_row(client, demo, app, data, content_type, status):
    response = put(client, login(client, "volunteer"), data, content_type)
    assert_problem(response, status)
    assert photo_rows(app) == 0
    assert stored_files(app) == []


def _tile_zeroed(data, index):
    """Return a grid HEIF with one tile's bytes zeroed: all there, but undecodable."""
    offset, length = heif_tiles(data)[index]
    return data[:offset] + bytes(length) + data[offset + length :]


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda: grid_heic()[: len(grid_heic()) // 2], id="iphone-like-cut-to-half"),
        pytest.param(lambda: grid_heic()[:-1], id="iphone-like-missing-its-last-byte"),
        pytest.param(lambda: _tile_zeroed(grid_heic(), 3), id="iphone-like-with-a-zeroed-tile"),
        pytest.param(lambda: _tile_zeroed(NOKIA, 62), id="real-heif-with-a-zeroed-tile"),
    ],
)
def test_a_damaged_heic_is_refused_as_corrupt_and_not_stored(client, demo, app, damage):
    response = put(client, login(client, "volunteer"), damage(), "image/heic")
    assert assert_problem(response, 422)["code"] == "corrupt_image"
    assert photo_rows(app) == 0
    assert stored_files(app) == []


@pytest.mark.parametrize(
    "image",
    [
        pytest.param(lambda: photo_like((3300, 2200)).quantize(64), id="palette"),
        pytest.param(lambda: photo_like((3300, 2200)).convert("1"), id="bilevel"),
        pytest.param(
            lambda: (
                photo_like((3300, 2200)).convert("L").point(lambda v: v * 257, "I").convert("I;16")
            ),
            id="16-bit-grey",
        ),
    ],
)
def test_large_palette_bilevel_and_16_bit_pngs_are_accepted(client, demo, image):
    headers = login(client, "volunteer")
    data = encode(image(), "PNG")
    response = put(client, headers, data, "image/png")
    assert response.status_code == 201, response.json
    assert (response.json["width"], response.json["height"]) == (3300, 2200)
    got = fetch(client, f"/api/v1/photos/{sha(data)}/display", headers)
    with Image.open(io.BytesIO(got.data)) as display:
        assert display.mode == "RGB" and display.size == (1600, 1067)


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        pytest.param(b"\x89PNG\r\n\x1a\n" + b"\x00" * 300, "image/png", id="unreadable-png"),
        pytest.param(b"\xff\xd8\xff\xe0" + b"\x00" * 300, "image/jpeg", id="unreadable-jpeg"),
        pytest.param(NOKIA[:3000], "image/heic", id="unreadable-heic"),
        pytest.param(encode(picture(), "PNG")[:200], "image/png", id="truncated-png"),
        pytest.param(NOKIA[:-2], "image/heic", id="truncated-heic"),
    ],
)
def test_a_refusal_names_no_server_path(client, demo, app, data, content_type):
    detail = assert_problem(put(client, login(client, "volunteer"), data, content_type), 422)[
        "detail"
    ]
    media_root = os.path.realpath(app.config["MEDIA_ROOT"])
    for path in (app.config["MEDIA_ROOT"], media_root, os.path.join("tmp", "upload-")):
        assert path not in detail
    assert "upload-" not in detail and "BytesIO" not in detail


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(png_claiming(2_000, 1_000), id="over-the-configured-limit"),
        pytest.param(png_claiming(30_000, 30_000), id="over-pillows-own-limit-too"),
    ],
)
def test_a_bomb_refusal_quotes_the_configured_pixel_limit(app_with, data):
    app = app_with(PHOTO_MAX_PIXELS=1_000_000)
    client = app.test_client()
    response = put(client, login(client, "volunteer"), data, "image/png")
    body = assert_problem(response, 422)
    assert body["code"] == "decompression_bomb"
    assert "1,000,000" in body["detail"]
    assert f"{Image.MAX_IMAGE_PIXELS * 2:,}" not in body["detail"]
    assert stored_files(app) == [] and photo_rows(app) == 0


def test_bytes_that_do_not_hash_to_the_name_are_refused(client, demo, app):
    response = put(client, login(client, "volunteer"), jpeg(), name="0" * 64)
    assert assert_problem(response, 422)["code"] == "sha256_mismatch"
    assert stored_files(app) == [] and photo_rows(app) == 0


@pytest.mark.parametrize("name", ["ABC", "0" * 63, "G" * 64, "A" * 64])
def test_a_name_that_is_not_a_sha256_is_refused(client, demo, name):
    response = put(client, login(client, "volunteer"), jpeg(), name=name)
    assert "sha256" in assert_problem(response, 422)["errors"]


def test_upload_over_the_size_limit_is_413_and_stores_nothing(app_with):
    app = app_with(PHOTO_MAX_BYTES=50_000)
    client = app.test_client()
    headers = login(client, "volunteer")
    big = (SHARED / "gps_DSCN0010.jpg").read_bytes()
    assert_problem(put(client, headers, big), 413)
    assert stored_files(app) == [] and photo_rows(app) == 0
    assert put(client, headers, jpeg(size=(200, 100))).status_code == 201


def test_upload_needs_a_token(client, demo, app):
    assert_problem(client.put(f"/api/v1/photos/{sha(jpeg())}", data=jpeg()), 401)
    assert stored_files(app) == []


def test_the_same_photo_sent_twice_at_once_is_stored_once(app, demo):
    headers = login(app.test_client(), "volunteer")
    data = (SHARED / "hdr_iphone_hdr_YES.jpg").read_bytes()
    responses = []
    barrier = threading.Barrier(3)

    def send():
        barrier.wait()
        responses.append(put(app.test_client(), headers, data))

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status_code for r in responses) == [200, 200, 201]
    assert photo_rows(app) == 1
    assert len(stored_files(app)) == 3
    assert not os.listdir(os.path.join(app.config["MEDIA_ROOT"], "tmp"))


def test_original_is_for_the_office_only(client, demo):
    volunteer = login(client, "volunteer")
    data = jpeg(lat=39.91, lon=116.67)
    put(client, volunteer, data)
    file_report(client, volunteer, photos=[sha(data)])
    assert_problem(fetch(client, f"/api/v1/photos/{sha(data)}/original", volunteer), 404)
    assert_problem(
        fetch(client, f"/api/v1/photos/{sha(data)}/original", login(client, "fire")), 404
    )
    office = fetch(client, f"/api/v1/photos/{sha(data)}/original", login(client, "office"))
    assert office.status_code == 200 and office.data == data
    assert office.headers["Content-Disposition"].startswith("attachment")
    assert office.headers["X-Content-Type-Options"] == "nosniff"


def test_derivatives_are_seen_by_those_who_see_a_hazard_citing_them(client, demo):
    add_user(client.application, "stranger", "volunteer", "stranger-pass")
    volunteer = login(client, "volunteer")
    cited, uncited = jpeg(make="A"), jpeg(make="B")
    put(client, volunteer, cited)
    put(client, volunteer, uncited)
    file_report(client, volunteer, photos=[sha(cited)])  # fire lane, in the grid worker's grid
    expected = {
        "volunteer": (200, 200),  # uploader
        "gridworker": (200, 404),  # sees the hazard in their grid
        "fire": (200, 404),  # lead department
        "zhongcang": (200, 404),  # street office of the street
        "office": (200, 404),  # derivatives follow the hazards, not the uploads
        "stranger": (404, 404),
    }
    for username, (want_cited, want_uncited) in expected.items():
        password = "stranger-pass" if username == "stranger" else "demo-pass-2026"
        headers = login(client, username, password=password)
        got = [
            fetch(client, f"/api/v1/photos/{sha(d)}/thumb", headers).status_code
            for d in (cited, uncited)
        ]
        assert got == [want_cited, want_uncited], username


def test_photo_that_never_arrived_is_404_for_everyone(client, demo):
    office = login(client, "office")
    hazard = file_report(client, login(client, "volunteer"), photos=["c" * 64])
    assert_problem(fetch(client, f"/api/v1/photos/{'c' * 64}/thumb", office), 404)
    detail = client.get(f"/api/v1/hazards/{hazard['id']}", headers=office).json["photo_details"]
    assert detail == [
        {"sha256": "c" * 64, "phase": "report", "missing": True, "flags": None, "distance_m": None}
    ]


def test_derivatives_are_cached_forever_and_revalidate_by_hash(client, demo):
    headers = login(client, "volunteer")
    data = jpeg()
    put(client, headers, data)
    first = fetch(client, f"/api/v1/photos/{sha(data)}/display", headers)
    assert first.headers["ETag"] == f'"{sha(data)}-display"'
    cache = first.headers["Cache-Control"]
    assert "private" in cache and "immutable" in cache and "max-age=31536000" in cache
    again = fetch(
        client,
        f"/api/v1/photos/{sha(data)}/display",
        headers,
        **{"If-None-Match": first.headers["ETag"]},
    )
    assert again.status_code == 304 and again.data == b""


def _flags(client, hazard_id):
    details = client.get(f"/api/v1/hazards/{hazard_id}", headers=login(client, "office")).json
    return {d["sha256"]: (d["flags"], d["distance_m"]) for d in details["photo_details"]}


def _here_now_photo(body, **overrides):
    args = dict(
        lat=body["lat"], lon=body["lon"], taken=when("2026-06-03T09:00:00"), offset="+08:00"
    )
    args.update(overrides)
    return jpeg(**args)


@pytest.mark.parametrize("photo_first", [True, False], ids=["photo-first", "record-first"])
@pytest.mark.parametrize(
    ("overrides", "flags"),
    [
        ({}, []),
        ({"lat": 39.95}, ["location_mismatch"]),
        ({"taken": when("2026-05-30T09:00:00")}, ["stale"]),
        ({"taken": when("2026-06-03T11:00:00")}, ["stale"]),
        ({"taken": when("2026-06-03T10:15:00"), "offset": "+09:00"}, []),
        ({"lat": None, "lon": None, "taken": None, "make": None, "model": None}, ["no_exif"]),
    ],
)
def test_flags_are_computed_whichever_arrives_first(client, demo, photo_first, overrides, flags):
    headers = login(client, "volunteer")
    body = report_body(observed_at="2026-06-03T09:15:00+08:00")
    data = _here_now_photo(body, **overrides)
    body["photos"] = [sha(data)]
    if photo_first:
        put(client, headers, data)
    response = client.post("/api/v1/hazards", json=body, headers=headers)
    if not photo_first:
        put(client, headers, data)
    got_flags, distance = _flags(client, response.json["id"])[sha(data)]
    assert got_flags == flags
    if "lat" in overrides and overrides["lat"] is None:
        assert distance is None
    elif "location_mismatch" in flags:
        assert distance > 200
    else:
        assert distance < 5


def test_a_real_photo_at_its_own_place_and_time_raises_no_flag(client, demo):
    headers = login(client, "volunteer")
    data = (SHARED / "gps_DSCN0010.jpg").read_bytes()
    put(client, headers, data)
    # Taken 2008-10-22 16:28:39 with no offset in EXIF: read as Shanghai time.
    hazard = file_report(
        client,
        headers,
        lat=43.4674,
        lon=11.8851,
        photos=[sha(data)],
        observed_at="2008-10-22T16:40:00+08:00",
    )
    flags, distance = _flags(client, hazard["id"])[sha(data)]
    assert flags == [] and distance < 20


def test_the_same_photo_on_two_hazards_is_flagged_reused_on_both(client, demo):
    headers = login(client, "volunteer")
    body = report_body()
    data = _here_now_photo(body)
    put(client, headers, data)
    first = file_report(
        client, headers, photos=[sha(data)], observed_at="2026-06-03T09:15:00+08:00"
    )
    second = file_report(
        client, headers, photos=[sha(data)], observed_at="2026-06-03T09:20:00+08:00"
    )
    assert _flags(client, first["id"])[sha(data)][0] == ["reused"]
    assert _flags(client, second["id"])[sha(data)][0] == ["reused"]


def test_only_the_office_sees_flags(client, demo):
    headers = login(client, "volunteer")
    data = jpeg()
    put(client, headers, data)
    hazard = file_report(client, headers, photos=[sha(data)])
    for username in ("volunteer", "gridworker", "fire"):
        detail = client.get(
            f"/api/v1/hazards/{hazard['id']}", headers=login(client, username)
        ).json["photo_details"]
        assert detail == [{"sha256": sha(data), "phase": "report", "missing": False}]


def test_a_second_uploader_of_the_same_bytes_may_see_them_too(client, demo, app):
    data = jpeg()
    assert put(client, login(client, "volunteer"), data).status_code == 201
    grid = login(client, "gridworker")
    assert put(client, grid, data).status_code == 200
    assert fetch(client, f"/api/v1/photos/{sha(data)}/thumb", grid).status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PhotoUpload)) == 2


def test_photos_reprocess_rebuilds_lost_derivatives_and_flags(client, demo, app):
    headers = login(client, "volunteer")
    data = jpeg(lat=39.95, lon=116.67)
    put(client, headers, data)
    hazard = file_report(client, headers, photos=[sha(data)])
    display = os.path.join(
        app.config["MEDIA_ROOT"], "display", sha(data)[:2], sha(data)[2:4], f"{sha(data)}.jpg"
    )
    with open(display, "rb") as handle:
        before = handle.read()
    os.remove(display)
    with app.app_context():
        db.session.execute(sa.text("UPDATE hazard_photos SET flags = NULL"))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["photos-reprocess"])
    assert result.exit_code == 0 and "reprocessed: 1" in result.output, result.output
    with open(display, "rb") as handle:
        assert handle.read() == before
    assert "location_mismatch" in _flags(client, hazard["id"])[sha(data)][0]


def test_openapi_documents_the_photo_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "image/heic" in paths["/api/v1/photos/{sha256}"]["put"]["requestBody"]["content"]
    assert "/api/v1/photos/{sha256}/original" in paths
