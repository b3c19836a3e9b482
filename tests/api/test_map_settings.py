"""The console's map: tile settings, areas and hazards in the datum of the tiles."""

import pytest

from server.services.coords import from_wgs84
from tests.helpers import assert_problem, login


def test_without_a_tile_server_the_map_has_no_tiles(client, demo):
    answer = client.get("/api/v1/map", headers=login(client, "office"))
    assert answer.status_code == 200
    assert answer.json == {"tile_url": None, "tile_crs": "gcj02"}


def test_the_intranet_tile_server_and_its_datum_are_handed_to_the_console(app_with, tmp_path):
    (tmp_path / "index.html").write_text("<!doctype html><title>console</title>")
    app = app_with(
        MAP_TILE_URL="http://{s}.tiles.intranet/{z}/{x}/{y}.png",
        MAP_TILE_CRS="wgs84",
        CONSOLE_DIR=str(tmp_path),
    )
    client = app.test_client()
    answer = client.get("/api/v1/map", headers=login(client, "fire"))
    assert answer.json == {
        "tile_url": "http://{s}.tiles.intranet/{z}/{x}/{y}.png",
        "tile_crs": "wgs84",
    }
    # The console's page may then load images from that host, and from no other.
    with client.get("/console/") as page:
        csp = page.headers["Content-Security-Policy"]
    assert "img-src 'self' data: blob: http://*.tiles.intranet;" in csp
    assert "connect-src 'self';" in csp


def test_a_tile_datum_no_tile_server_uses_stops_the_server_at_start(app_with):
    with pytest.raises(ValueError, match="MAP_TILE_CRS"):
        app_with(MAP_TILE_URL="http://tiles.intranet/{z}/{x}/{y}.png", MAP_TILE_CRS="bd09")


def test_the_map_settings_need_a_sign_in(client, demo):
    assert_problem(client.get("/api/v1/map"), 401)


def test_areas_come_in_gcj02_for_chinese_tiles(client, demo):
    office = login(client, "office")
    wgs = client.get("/api/v1/areas", headers=office).json["features"]
    gcj = client.get("/api/v1/areas?crs=gcj02", headers=office).json["features"]
    assert [f["id"] for f in gcj] == [f["id"] for f in wgs]
    lon, lat = wgs[0]["geometry"]["coordinates"][0][0]
    moved_lat, moved_lon = from_wgs84(lat, lon, "gcj02")
    assert gcj[0]["geometry"]["coordinates"][0][0] == pytest.approx([moved_lon, moved_lat])
    # In Beijing GCJ-02 lies a few hundred metres off WGS-84: the polygons really moved.
    assert abs(moved_lon - lon) > 0.001
    assert_problem(client.get("/api/v1/areas?crs=mars", headers=office), 422)


def test_hazards_geojson_comes_in_gcj02_too(client, demo):
    office = login(client, "office")
    wgs = client.get("/api/v1/hazards.geojson?limit=5", headers=office).json
    gcj = client.get("/api/v1/hazards.geojson?limit=5&crs=gcj02", headers=office).json
    assert gcj["crs_name"] == "gcj02"
    lon, lat = wgs["features"][0]["geometry"]["coordinates"]
    moved_lat, moved_lon = from_wgs84(lat, lon, "gcj02")
    assert gcj["features"][0]["geometry"]["coordinates"] == pytest.approx([moved_lon, moved_lat])


def test_the_map_takes_its_points_in_pages_of_up_to_2000_the_list_in_pages_of_200(app_with):
    app = app_with(MAP_PAGE_SIZE_MAX=3)
    client = app.test_client()
    office = login(client, "office")
    points = client.get("/api/v1/hazards.geojson?limit=2000", headers=office)
    assert points.status_code == 200
    assert len(points.json["features"]) == 3 and points.json["next"]  # the setting holds it
    refused = client.get("/api/v1/hazards.geojson?limit=2001", headers=office)
    assert_problem(refused, 422)
    assert_problem(client.get("/api/v1/hazards?limit=201", headers=office), 422)
