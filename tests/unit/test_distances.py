"""Distances between reports agree with the WGS-84 geodesic, near and far."""

import pytest
from geopy.distance import geodesic

from server.services.routing import metres

# Tongzhou, Guangzhou, Harbin, and the equator and the far north for the ellipsoid's ends.
POINTS = [(39.9093, 116.6570), (23.1291, 113.2644), (45.8038, 126.5350), (0.0, 10.0), (78.2, 15.6)]
# Degrees of latitude and longitude apart: a hotspot's scatter, the duplicate radius,
# about a kilometre (the last the flat formula takes), and beyond it.
OFFSETS = [(0.00003, -0.00004), (0.00027, 0.0), (0.0, -0.00035), (0.009, 0.0099), (0.02, -0.03)]


@pytest.mark.parametrize("point", POINTS)
@pytest.mark.parametrize("offset", OFFSETS)
def test_metres_agree_with_the_geodesic_to_a_millimetre(point, offset):
    other = (point[0] + offset[0], point[1] + offset[1])
    assert metres(*point, *other) == pytest.approx(geodesic(point, other).meters, abs=1e-3)
    assert metres(*other, *point) == pytest.approx(metres(*point, *other), abs=1e-9)


def test_the_same_point_is_no_distance():
    assert metres(39.9093, 116.6570, 39.9093, 116.6570) == 0.0
