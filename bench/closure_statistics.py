"""Benchmark the closure statistics on a large district history.

    .venv/bin/python bench/closure_statistics.py [--hazards 1000000] [--backends sqlite,postgresql]

Loads a realistic history (bench/district_history.py) into a fresh database of
each kind, then times, side by side: the summary grouped by street for one month
(figures, rates, percentiles and totals, as the API returns them), the weekly
export (district sheet plus a sheet per department, as XLSX), and the single
hand-written SQL query that computes the same counts by street for that period.
Each is timed in turn with its hand-written query (medians of --runs, alternating).
Targets: each at most 2× its hand-written query. Only grouped rows ever reach
Python (a few dozen), never the hazards themselves.
"""

import argparse
import time
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from bench.district_history import bulk_insert, fresh_app, references
from bench.timing import side_by_side_ms
from server.extensions import db
from server.services import exports, stats

# The same counts by street, written by hand (the figures the weekly table shows).
HAND_WRITTEN = """
SELECT a.code, a.name, count(*),
  sum(CASE WHEN h.status NOT IN ('invalid', 'duplicate') THEN 1 ELSE 0 END),
  sum(CASE WHEN h.status NOT IN ('invalid', 'duplicate') AND h.assigned_at IS NOT NULL
      THEN 1 ELSE 0 END),
  sum(CASE WHEN h.status IN ('rectified', 'verified', 'closed') THEN 1 ELSE 0 END),
  sum(CASE WHEN h.status IN ('verified', 'closed') THEN 1 ELSE 0 END),
  sum(CASE WHEN h.status = 'closed' THEN 1 ELSE 0 END),
  sum(CASE WHEN h.status = 'closed' AND h.closed_at <= h.deadline THEN 1 ELSE 0 END),
  sum(CASE WHEN h.status = 'closed' OR (h.status IN ('reported', 'assigned', 'accepted',
      'rectifying', 'rectified', 'verified') AND h.deadline < :now) THEN 1 ELSE 0 END),
  sum(CASE WHEN h.status IN ('reported', 'assigned', 'accepted', 'rectifying', 'rectified',
      'verified') THEN 1 ELSE 0 END),
  sum(CASE WHEN h.status IN ('reported', 'assigned', 'accepted', 'rectifying', 'rectified',
      'verified') AND h.deadline < :now THEN 1 ELSE 0 END),
  sum(CASE WHEN h.reopen_count > 0 THEN 1 ELSE 0 END),
  sum(CASE WHEN h.return_count > 0 THEN 1 ELSE 0 END),
  sum(CASE WHEN u.role = 'volunteer' THEN 1 ELSE 0 END),
  sum(CASE WHEN u.role = 'grid_worker' THEN 1 ELSE 0 END)
FROM hazards h
JOIN users u ON u.id = h.reporter_id
LEFT JOIN areas a ON a.id = h.street_id
WHERE h.received_at >= :start AND h.received_at < :end
GROUP BY a.code, a.name
"""
# Every sheet's counts at once: by lead department and street (the district rows are
# their sums). Shown for comparison, not the target's baseline (see below).
BY_DEPARTMENT = HAND_WRITTEN.replace(
    "SELECT a.code", "SELECT h.lead_department_id, a.code"
).replace("GROUP BY a.code", "GROUP BY h.lead_department_id, a.code")


def run(backend, count, runs):
    app = fresh_app(backend, "bench_stats")
    now = datetime.now(UTC)
    with app.app_context():
        start = time.perf_counter()
        bulk_insert(db.engine, count, 1, references(db.session), now=now)
        print(f"\n{backend}: loaded {count:,} hazards in {time.perf_counter() - start:.1f} s")
        today = now.date()
        month = stats.period(
            date(today.year, today.month, 1) - timedelta(days=31), date(today.year, today.month, 1)
        )
        monday = today - timedelta(days=today.weekday() + 7)
        week = stats.Period(monday, monday + timedelta(days=7))
        name = stats.district_name(db.session)
        connection = db.session.connection()

        def hand_params(the_period):
            params = {"now": now, "start": the_period.start_at, "end": the_period.end_at}
            if backend == "sqlite":  # stored as naive UTC text there
                params = {
                    k: v.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
                    for k, v in params.items()
                }
            return params

        def hand(the_period):
            return connection.execute(sa.text(HAND_WRITTEN), hand_params(the_period)).all()

        def by_department(the_period):
            return connection.execute(sa.text(BY_DEPARTMENT), hand_params(the_period)).all()

        def summary():
            return stats.summary(db.session, month, "street", now=now)

        def weekly():
            title, rows, total, departments = stats.weekly_report(
                db.session, week, now=now, district_name=name
            )
            return exports.to_xlsx(exports.weekly_sheets(title, rows, total, departments))

        in_month = sum(r[2] for r in hand(month))
        in_week = sum(r[2] for r in hand(week))
        # The weekly table is one street query plus one per department: its baseline
        # is the hand-written query run as many times.
        sheets = len(weekly_report_departments(week, now, name)) + 1
        summary_ms, month_ms = side_by_side_ms(summary, lambda: hand(month), runs)
        weekly_ms, week_ms = side_by_side_ms(weekly, lambda: hand(week), runs)
        results = {
            f"summary by street, a month ({in_month:,} hazards)": (summary_ms, month_ms),
            f"weekly export, XLSX ({in_week:,} hazards, {sheets} sheets)": (
                weekly_ms,
                week_ms * sheets,
            ),
        }
        rows, total = summary()
        assert total["reported"] == in_month, (total["reported"], in_month)
        for label, (ours, baseline) in results.items():
            ratio = ours / baseline
            print(
                f"  {label}: {ours:8.1f} ms; hand-written SQL {baseline:8.1f} ms; "
                f"{ratio:4.2f}× (target ≤ 2×) {'PASS' if ratio <= 2 else 'FAIL'}"
            )
        # Not the target: the weekly table's figures alone (no XLSX) beside one query
        # that counts every sheet's rows at once, without percentiles.
        figures_ms, one_query_ms = side_by_side_ms(
            lambda: stats.weekly_report(db.session, week, now=now, district_name=name),
            lambda: by_department(week),
            runs,
        )
        print(
            f"  for comparison, the weekly figures without the XLSX: {figures_ms:8.1f} ms; "
            f"one hand-written query by department and street, counts only: "
            f"{one_query_ms:6.1f} ms ({figures_ms / one_query_ms:4.2f}×)"
        )
        print(f"  rows that reached Python for the summary: {len(rows) + 1}")
        db.engine.dispose()


def weekly_report_departments(week, now, name):
    return stats.weekly_report(db.session, week, now=now, district_name=name)[3]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hazards", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        run(backend, args.hazards, args.runs)


if __name__ == "__main__":
    main()
