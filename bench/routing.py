"""Benchmark point-in-polygon routing: STRtree index against a naive polygon loop.

    .venv/bin/python bench/routing.py [--points 100000] [--grids 1000]

The demo district is cut into about 1,000 grid polygons (with its streets and
communities above them, as in production). 100,000 random points in and around
it are located three ways, side by side on one core: the production AreaIndex one
point at a time, the same index for a whole batch at once, and a naive loop that
tests every grid polygon. Targets: at least 100,000 points/s, and at least 20× the
naive loop.
"""

import argparse
import time
from types import SimpleNamespace

import numpy as np
from shapely.geometry import Point, shape

from server.demo import EAST, NORTH, SOUTH, WEST, district_geojson
from server.services.areas import AreaIndex


def scaled_district(grids):
    """Return area rows: the demo's district, streets, communities, and ~`grids` grids."""
    rows = []
    for n, feature in enumerate(district_geojson()["features"]):
        if feature["properties"]["level"] != "grid":
            rows.append(
                SimpleNamespace(
                    id=n + 1, level=feature["properties"]["level"], geometry=feature["geometry"]
                )
            )
    columns = int(round((grids * (EAST - WEST) / (NORTH - SOUTH)) ** 0.5))
    rows_of_cells = int(round(grids / columns))
    width, height = (EAST - WEST) / columns, (NORTH - SOUTH) / rows_of_cells
    for i in range(columns):
        for j in range(rows_of_cells):
            w, s = WEST + i * width, SOUTH + j * height
            ring = [[w, s], [w + width, s], [w + width, s + height], [w, s + height], [w, s]]
            rows.append(
                SimpleNamespace(
                    id=len(rows) + 1,
                    level="grid",
                    geometry={"type": "Polygon", "coordinates": [ring]},
                )
            )
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--grids", type=int, default=1000)
    args = parser.parse_args()

    rows = scaled_district(args.grids)
    grid_rows = [r for r in rows if r.level == "grid"]
    index = AreaIndex(rows)
    rng = np.random.default_rng(7)
    margin = 0.01  # some points fall outside the district, as real reports do
    lats = rng.uniform(SOUTH - margin, NORTH + margin, args.points)
    lons = rng.uniform(WEST - margin, EAST + margin, args.points)
    print(f"{len(grid_rows)} grid polygons ({len(rows)} areas in all), {args.points:,} points")

    start = time.perf_counter()
    single = [index.locate(lat, lon).grid_id for lat, lon in zip(lats, lons, strict=True)]
    single_s = time.perf_counter() - start

    start = time.perf_counter()
    batch = index.locate_many(lats, lons)["grid"]
    batch_s = time.perf_counter() - start

    polygons = [(r.id, shape(r.geometry)) for r in grid_rows]
    sample = min(args.points, 5_000)  # the naive loop is slow; time a sample and scale
    start = time.perf_counter()
    naive = []
    for lat, lon in zip(lats[:sample], lons[:sample], strict=True):
        point = Point(lon, lat)
        naive.append(next((gid for gid, poly in polygons if poly.contains(point)), None))
    naive_rate = sample / (time.perf_counter() - start)

    agree = all((a or 0) == (b or 0) for a, b in zip(naive, single[:sample], strict=True))
    agree &= all((a or 0) == int(b) for a, b in zip(single, batch, strict=True))
    rates = {
        "index, one point at a time": args.points / single_s,
        "index, whole batch": args.points / batch_s,
        "naive loop over polygons": naive_rate,
    }
    for label, rate in rates.items():
        print(f"  {label:<28} {rate:>12,.0f} points/s")
    best = rates["index, whole batch"]
    print(f"one point at a time vs naive: {rates['index, one point at a time'] / naive_rate:6.1f}×")
    print(
        f"batch vs naive:               {best / naive_rate:6.1f}×   (target ≥ 20×)  "
        f"{'PASS' if best / naive_rate >= 20 else 'FAIL'}"
    )
    print(
        f"batch rate:                   {best:,.0f}/s   (target ≥ 100,000/s)  "
        f"{'PASS' if best >= 100_000 else 'FAIL'}"
    )
    print(f"all three methods agree on every point: {agree}")


if __name__ == "__main__":
    main()
