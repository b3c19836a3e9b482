"""Benchmark the department queue's first page at 10,000 and 1,000,000 hazards.

    .venv/bin/python bench/department_queue.py [--small N] [--large N] [--backends B,B]

For each database: migrate a fresh one, load the demo district, bulk-insert a
realistic history (nine in ten hazards closed), and time the first page of 20 of
区消防救援支队's queue through the service (its queries and the records the API
returns) beside the equivalent hand-written SQL (the same page and its photo
citations, as plain rows), first at the small size and then
after growing the table to the large one. Targets: large ≤ 2× small, service ≤ 3×
hand-written SQL. PostgreSQL: TEST_POSTGRES_URL or postgres@127.0.0.1:5432/test
(schema bench_queue, dropped and made anew).
"""

import argparse
import time
from datetime import UTC, datetime

import sqlalchemy as sa

from bench.district_history import bulk_insert, fresh_app, references
from bench.timing import median_ms
from server.extensions import db
from server.models import User
from server.services import queues

HAND_WRITTEN = """
SELECT h.*, c.code, c.name_zh, d.code, t.code, s.code, m.code, g.code
FROM hazards h
JOIN categories c ON c.id = h.category_id
LEFT JOIN departments d ON d.id = h.lead_department_id
LEFT JOIN departments t ON t.id = h.territorial_department_id
LEFT JOIN areas s ON s.id = h.street_id
LEFT JOIN areas m ON m.id = h.community_id
LEFT JOIN areas g ON g.id = h.grid_id
WHERE h.lead_department_id = :dept
  AND h.status IN ('assigned', 'accepted', 'rectifying', 'rectified', 'verified')
ORDER BY h.deadline, h.id
LIMIT 21
"""
# The page's photo citations: the service fetches these too, for every record.
HAND_WRITTEN_PHOTOS = """
SELECT p.hazard_id, p.sha256, p.phase, p.flags, p.distance_m, f.sha256 IS NOT NULL
FROM hazard_photos p LEFT JOIN photos f ON f.sha256 = p.sha256
WHERE p.hazard_id IN ({ids})
ORDER BY p.hazard_id, p.position
"""


def measure(app):
    """Return (service ms, hand-written ms) for the fire department's first page."""
    with app.app_context():
        staff = db.session.scalar(sa.select(User).filter_by(username="fire"))
        dept = staff.department_id

        def service():
            _, records, _ = queues.queue(db.session, staff, "lead", limit=20, now=datetime.now(UTC))
            return records

        def hand_written():
            connection = db.session.connection()
            rows = connection.execute(sa.text(HAND_WRITTEN), {"dept": dept}).all()
            ids = ", ".join(f":i{n}" for n in range(len(rows)))
            photos = connection.execute(
                sa.text(HAND_WRITTEN_PHOTOS.format(ids=ids)),
                {f"i{n}": row.id for n, row in enumerate(rows)},
            ).all()
            return rows, photos

        return median_ms(service), median_ms(hand_written), len(service())


def plan(app):
    with app.app_context():
        engine = db.engine
        dept = db.session.scalar(sa.select(User.department_id).filter_by(username="fire"))
        prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
        lines = db.session.execute(sa.text(prefix + HAND_WRITTEN), {"dept": dept}).all()
        return [str(line[-1]) for line in lines][:4]


def run(backend, small, large):
    app = fresh_app(backend, "bench_queue")
    with app.app_context():
        refs = references(db.session)
        engine = db.engine
    print(f"\n{backend}")
    results = {}
    for seed, (size, add) in enumerate(((small, small), (large, large - small))):
        start = time.perf_counter()
        bulk_insert(engine, add, seed, refs)
        print(f"  loaded {add:,} hazards in {time.perf_counter() - start:.1f} s (total {size:,})")
        service_ms, sql_ms, n = measure(app)
        results[size] = (service_ms, sql_ms)
        print(
            f"  {size:>9,} hazards: service {service_ms:6.2f} ms, hand-written SQL "
            f"{sql_ms:6.2f} ms, ratio {service_ms / sql_ms:4.2f}× ({n} rows)"
        )
    print("  plan: " + " | ".join(plan(app)))
    growth = results[large][0] / results[small][0]
    ratio = results[large][0] / results[large][1]
    print(
        f"  {large:,} vs {small:,}: {growth:.2f}× (target ≤ 2×) "
        f"{'PASS' if growth <= 2 else 'FAIL'};  service vs SQL at {large:,}: {ratio:.2f}× "
        f"(target ≤ 3×) {'PASS' if ratio <= 3 else 'FAIL'}"
    )
    with app.app_context():
        db.engine.dispose()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        run(backend, args.small, args.large)


if __name__ == "__main__":
    main()
