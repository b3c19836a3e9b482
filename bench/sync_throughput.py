"""Benchmark offline sync: pushing a day's reports, replaying them, pulling pages.

    .venv/bin/python bench/sync_throughput.py [--mutations 1000] [--large 1000000]
                                              [--backends sqlite,postgresql]

For each database, side by side: 1,000 hazard.create mutations pushed through the
sync engine (validated, routed, with their events, change rows and receipts, one
transaction each) against plain executemany of the same hazard rows; the same
batch replayed (all duplicates); and one pull page of 500 from a device's feed
with 10,000 and then 1,000,000 hazards in the database. Targets: push at least
25% of executemany's rate, replay at least 4x faster than applying, and the pull
page at 1,000,000 at most 2x its time at 10,000.
"""

import argparse
import random
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from district_history import bulk_insert, fresh_app, references  # noqa: E402
from timing import median_ms  # noqa: E402

from server.extensions import db  # noqa: E402
from server.models import Category, Hazard, User  # noqa: E402
from server.services.demo import EAST, NORTH, SOUTH, WEST  # noqa: E402
from sync import feed, push  # noqa: E402


def mutations(count, start_seq=1):
    rng = random.Random(start_seq)
    now = datetime.now(UTC)
    return [push.Mutation(seq=start_seq + n, id=uuid.uuid4(), type="hazard.create",
                          entity_id=uuid.uuid4(), occurred_at=now,
                          data={"category": "fire_lane_blocked", "description": "压测",
                                "lat": rng.uniform(SOUTH, NORTH),
                                "lon": rng.uniform(WEST, EAST),
                                "observed_at": now.isoformat()})
            for n in range(count)]  # fmt: skip


def executemany_rate(app, count):
    """Insert `count` plain hazard rows with one executemany; return rows per second."""
    with app.app_context():
        reporter = db.session.scalar(sa.select(User.id).filter_by(username="gridworker"))
        category = db.session.scalar(sa.select(Category.id).filter_by(code="other"))
        now = datetime.now(UTC)
        rows = [{"id": uuid.uuid4(), "reporter_id": reporter, "category_id": category,
                 "description": "压测", "lat": 39.9, "lon": 116.65, "crs": "wgs84",
                 "observed_at": now, "received_at": now, "status": "reported",
                 "severity": "general", "version": 1, "payload_hash": "0" * 64,
                 "field_versions": {}} for _ in range(count)]  # fmt: skip
        connection = db.session.connection()
        start = time.perf_counter()
        connection.execute(sa.insert(Hazard.__table__), rows)
        db.session.commit()
        return count / (time.perf_counter() - start)


def run(backend, count, large):
    app = fresh_app(backend, "bench_sync")
    print(f"\n{backend}")
    baseline = executemany_rate(app, count)
    with app.app_context():
        user = db.session.scalar(sa.select(User).filter_by(username="gridworker"))
        batch = mutations(count)
        start = time.perf_counter()
        results = push.push(db.session, user, "bench-phone", batch)
        applied_s = time.perf_counter() - start
        assert all(r["status"] == "applied" for r in results), results[:3]
        start = time.perf_counter()
        again = push.push(db.session, user, "bench-phone", batch)
        replay_s = time.perf_counter() - start
        assert all(r["status"] == "duplicate" for r in again)
    rate = count / applied_s
    print(f"  executemany of {count:,} hazard rows: {baseline:10,.0f} rows/s")
    print(f"  push of {count:,} hazard.create:      {rate:10,.0f} mutations/s  = "
          f"{rate / baseline:6.1%} of executemany (target ≥ 25%) "
          f"{'PASS' if rate >= baseline / 4 else 'FAIL'}")  # fmt: skip
    print(f"  replay (all duplicate):          {count / replay_s:10,.0f} mutations/s  = "
          f"{applied_s / replay_s:4.1f}× faster than applying (target ≥ 4×) "
          f"{'PASS' if applied_s / replay_s >= 4 else 'FAIL'}")  # fmt: skip
    with app.app_context():
        refs = references(db.session)
        office = db.session.scalar(sa.select(User).filter_by(username="office"))
        secret = app.config["SECRET_KEY"]
        times = {}
        loaded = 0
        for size in (10_000, large):
            bulk_insert(db.engine, size - loaded, size, refs)
            loaded = size
            # A device mid-way through its first sync: one page of 500, by id.
            first = feed.pull(db.session, office, None, limit=500, secret=secret)
            middle = feed.pull(db.session, office, first.cursor, limit=500, secret=secret)
            times[size] = median_ms(
                lambda c=middle.cursor: feed.pull(db.session, office, c, limit=500, secret=secret),
                10,
            )
            print(f"  pull page of 500 with {size:>9,} hazards: {times[size]:7.1f} ms")
        growth = times[large] / times[10_000]
        print(f"  {large:,} vs 10,000: {growth:.2f}× (target ≤ 2×) "
              f"{'PASS' if growth <= 2 else 'FAIL'}")  # fmt: skip
        db.engine.dispose()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutations", type=int, default=1000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        run(backend, args.mutations, args.large)


if __name__ == "__main__":
    main()
