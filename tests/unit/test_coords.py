"""Chinese map datums convert to WGS-84 within a metre."""

import pytest
from geopy.distance import geodesic

from server.services.coords import from_wgs84, to_wgs84

# Points across China: Tongzhou, Shanghai Bund, Guangzhou, Urumqi, Harbin.
POINTS = [
    (39.9093, 116.6570),
    (31.2400, 121.4900),
    (23.1291, 113.2644),
    (43.8256, 87.6168),
    (45.8038, 126.5350),
]


@pytest.mark.parametrize("crs", ["gcj02", "bd09"])
@pytest.mark.parametrize("point", POINTS)
def test_round_trip_through_a_chinese_datum_is_within_a_metre(point, crs):
    shifted = from_wgs84(*point, crs)
    assert geodesic(point, shifted).meters > 50  # the offset is real
    assert geodesic(point, to_wgs84(*shifted, crs)).meters < 1


def test_published_gcj02_test_point_converts_back():
    # Tiananmen: WGS-84 (39.908692, 116.397477) is GCJ-02 (39.910093, 116.403719)
    # on Chinese map services, to about a metre.
    lat, lon = to_wgs84(39.910093, 116.403719, "gcj02")
    assert geodesic((lat, lon), (39.908692, 116.397477)).meters < 2


def test_points_outside_china_are_left_alone():
    assert to_wgs84(48.8584, 2.2945, "gcj02") == (48.8584, 2.2945)


def test_unknown_datum_is_refused():
    with pytest.raises(ValueError):
        to_wgs84(39.9, 116.6, "utm")
