"""Benchmark offline sync: pushing a day's reports, replaying them, pulling pages.

    .venv/bin/python bench/sync_throughput.py [--mutations 1000] [--large 1000000]
                                              [--backends sqlite,postgresql] [--push-only]

For each database, side by side: 1,000 hazard.create mutations pushed through
the sync engine (validated, routed, with their events, change rows and receipts,
in one transaction) against plain executemany of the same rows (per report: the
hazard, its report and route events, its change row, its receipt: copies of what
a first push wrote); the same batch replayed (all duplicates), each the median
of three, each phase including the write-back of SQLite's WAL; one pull page of
500 from a device's feed with 10,000 and then 1,000,000 hazards in the database;
and at 50,000 bulk-loaded hazards (and those pushed), the office's first sync cut
at page 37 and resumed (SPEC §9 scenario 12): timed, its memory per page
measured, its result checked against the server's set. Targets: push at least
25% of executemany's rate, replay at least 4x faster than applying, and the pull
page at 1,000,000 at most 2x its time at 10,000.

Next to the push figures, a hotspot (SPEC §3): 1,000 reports of one category at one
spot (a blocked fire lane every volunteer walks past, GPS scatter of a few metres)
against 1,000 spread over the district, pushed in turn on a database of their own,
the median of five each (the two differ by little more than the machine's noise),
and the duplicate links the spot wrote. Target: the spot in at most 1.5x the spread
time. `--push-only` stops there, before the bulk loads of the pull figures.
"""

import argparse
import hashlib
import random
import time
import tracemalloc
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa

from bench.district_history import bulk_insert, fresh_app, references
from bench.timing import median_ms
from server.demo import EAST, NORTH, SOUTH, WEST, grid_centre
from server.extensions import db
from server.models import (
    Change,
    DuplicateLink,
    Hazard,
    HazardEvent,
    SyncReceipt,
    User,
)
from sync import feed, push

# The hotspot: a grid no demo hazard lies in; reports scatter ±0.00008° around its
# centre (about ±9 m), so every two of them are within the 30 m duplicate radius.
SPOT = grid_centre("110112001002G03")
SCATTER = 0.00008


def mutations(count, start_seq=1, seed=1, description="压测", spot=None):
    rng = random.Random(seed)
    now = datetime.now(UTC)

    def point():
        if spot is None:
            return rng.uniform(SOUTH, NORTH), rng.uniform(WEST, EAST)
        return (spot[0] + rng.uniform(-SCATTER, SCATTER),
                spot[1] + rng.uniform(-SCATTER, SCATTER))  # fmt: skip

    return push.read([{"seq": start_seq + n, "id": str(uuid.uuid4()), "type": "hazard.create",
                       "entity_id": str(uuid.uuid4()), "occurred_at": now.isoformat(),
                       "data": {"category": "fire_lane_blocked", "description": description,
                                "lat": lat, "lon": lon, "observed_at": now.isoformat()}}
                      for n, (lat, lon) in ((n, point()) for n in range(count))])  # fmt: skip


def settle():
    """Write SQLite's WAL back into the database file now, so each phase pays for its
    own writes (otherwise whichever commit next passes the WAL's size limit does)."""
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")


def executemany_rate(app, template, rounds=3):
    """Insert again, with plain executemany, the rows a push of reports wrote.

    `template` holds the rows of one push (per report: the hazard, its report and
    route events, its change row, its receipt); each round inserts copies under new
    keys, one executemany per table and one commit. Returns (reports per second,
    rows per second), the median of `rounds`.
    """
    return sorted(_executemany_once(app, template, n) for n in range(rounds))[rounds // 2]


def written_by(app, device, description):
    """Return {model: rows} of what the push from `device` wrote."""
    with app.app_context():
        receipts = (
            db.session.execute(
                sa.select(SyncReceipt.__table__).where(SyncReceipt.device_id == device)
            )
            .mappings()
            .all()
        )
        hazards = (
            db.session.execute(sa.select(Hazard.__table__).where(Hazard.description == description))
            .mappings()
            .all()
        )
        ids = [h["id"] for h in hazards]
        tables = {Hazard: hazards, SyncReceipt: receipts}
        for model in (HazardEvent, Change):
            tables[model] = (
                db.session.execute(sa.select(model.__table__).where(model.hazard_id.in_(ids)))
                .mappings()
                .all()
            )
        return tables


def _executemany_once(app, template, round_):
    renamed = {h["id"]: uuid.uuid4() for h in template[Hazard]}
    hazards = [dict(h, id=renamed[h["id"]]) for h in template[Hazard]]
    events = [dict(e, id=uuid.uuid4(), hazard_id=renamed[e["hazard_id"]])
              for e in template[HazardEvent]]  # fmt: skip
    # Below every cursor, so no device is ever sent these copies as changes.
    changes = [dict(c, seq=-(1 + round_ * 10**6 + n), hazard_id=renamed[c["hazard_id"]])
               for n, c in enumerate(template[Change])]  # fmt: skip
    receipts = [dict(r, device_id=f"baseline-{round_}") for r in template[SyncReceipt]]
    with app.app_context():
        connection = db.session.connection()
        start = time.perf_counter()
        for model, rows in ((Hazard, hazards), (HazardEvent, events), (Change, changes),
                            (SyncReceipt, receipts)):  # fmt: skip
            connection.execute(sa.insert(model.__table__), rows)
        db.session.commit()
        settle()
        elapsed = time.perf_counter() - start
    rows = len(hazards) + len(events) + len(changes) + len(receipts)
    return len(hazards) / elapsed, rows / elapsed


def hotspot(backend, count, rounds=5):
    """Push `count` reports at one spot and `count` spread, in turn; print both and the ratio.

    On a database of its own, so the pull figures count the hazards they always did.
    Taken in turn, so a busy spell of the machine lands on both sides alike. The spot
    is the same in every round, as a blocked lane stays blocked: later rounds find the
    earlier rounds' reports in the database.
    """
    app = fresh_app(backend, "bench_sync_spot")
    times = {"spot": [], "spread": []}
    linked = []
    with app.app_context():
        user = db.session.scalar(sa.select(User).filter_by(username="gridworker"))
        for round_ in range(rounds):
            for kind, spot in (("spread", None), ("spot", SPOT)):
                batch = mutations(count, seed=20 + round_, description=kind, spot=spot)
                start = time.perf_counter()
                results = push.push(db.session, user, f"bench-{kind}-{round_}", batch)
                settle()
                times[kind].append(time.perf_counter() - start)
                assert all(r["status"] == "applied" for r in results), results[:3]
            ids = [m.entity_id for m in batch]
            links = db.session.execute(
                sa.select(DuplicateLink.other_id).where(DuplicateLink.hazard_id.in_(ids))
            ).all()
            linked.append((len(links), len({link.other_id for link in links})))
            db.session.rollback()
        db.engine.dispose()
    spot_s, spread_s = (sorted(times[kind])[rounds // 2] for kind in ("spot", "spread"))
    ratio = spot_s / spread_s
    print(f"  hotspot, {count:,} hazard.create at one spot: {count / spot_s:8,.0f} mutations/s; "
          f"{count:,} spread: {count / spread_s:,.0f} mutations/s")  # fmt: skip
    written = ", ".join(f"{n:,} to {to:,} hazard{'s' if to != 1 else ''}" for n, to in linked)
    print(f"  one spot takes {ratio:.2f}× the time of spread (target ≤ 1.5×) "
          f"{'PASS' if ratio <= 1.5 else 'FAIL'}; "
          f"duplicate links per spot push: {written}")  # fmt: skip


FIRST_SYNC = 50_000


def first_sync(office_id, secret):
    """Scenario 12 at full size: a first sync cut at page 37 and resumed, checked and timed.

    Pages of 1,000; the device keeps what it was sent and the cursor. Reports the
    time, the largest Python memory a page took on the server (tracemalloc, in a
    second run) and whether the device's set equals the server's.
    """

    def sync_all(trace=False):
        device, cursor, pages, peak = {}, None, 0, 0
        while True:
            if trace:
                tracemalloc.reset_peak()
            viewer = db.session.get(User, office_id)  # each pull is its own request
            page = feed.pull(db.session, viewer, cursor, limit=1000, secret=secret)
            db.session.rollback()
            if trace:
                peak = max(peak, tracemalloc.get_traced_memory()[1])
            pages += 1
            for change in page.changes:
                assert str(change["id"]) not in device, "sent twice"
                device[str(change["id"])] = change["version"]
            cursor = page.cursor
            if pages == 37:
                db.session.close()  # the phone is switched off; it kept its cursor
            if not page.has_more:
                return device, pages, peak

    start = time.perf_counter()
    device, pages, _ = sync_all()
    elapsed = time.perf_counter() - start
    tracemalloc.start()
    _, _, peak = sync_all(trace=True)
    tracemalloc.stop()
    expected = {str(i) for i in db.session.scalars(sa.select(Hazard.id))}
    same = sorted(device) == sorted(expected)
    digest = hashlib.sha256("".join(sorted(device)).encode()).hexdigest()[:12]
    print(f"  first sync of {len(device):,} hazards in {pages} pages of 1,000 (cut at 37, "
          f"resumed): {elapsed:.1f} s, at most {peak / 2**20:.1f} MB of Python memory a page; "
          f"device = server (count and sha256 {digest}): {'PASS' if same else 'FAIL'}")  # fmt: skip


def run(backend, count, large, push_only=False):
    app = fresh_app(backend, "bench_sync")
    print(f"\n{backend}")
    with app.app_context():
        user = db.session.scalar(sa.select(User).filter_by(username="gridworker"))
        push.push(db.session, user, "template", mutations(count, seed=2, description="样本"))
    baseline, row_rate = executemany_rate(app, written_by(app, "template", "样本"))
    applied, replayed = [], []
    with app.app_context():
        user = db.session.scalar(sa.select(User).filter_by(username="gridworker"))
        for round_ in range(3):  # the median of three, as for executemany
            batch = mutations(count, seed=10 + round_)
            start = time.perf_counter()
            results = push.push(db.session, user, f"bench-phone-{round_}", batch)
            settle()
            applied.append(time.perf_counter() - start)
            assert all(r["status"] == "applied" for r in results), results[:3]
            start = time.perf_counter()
            again = push.push(db.session, user, f"bench-phone-{round_}", batch)
            settle()
            replayed.append(time.perf_counter() - start)
            assert all(r["status"] == "duplicate" for r in again)
    applied_s, replay_s = sorted(applied)[1], sorted(replayed)[1]
    rate = count / applied_s
    print(f"  executemany of the same rows:    {baseline:10,.0f} reports/s "
          f"({row_rate:,.0f} rows/s: hazard, 2 events, change, receipt each)")  # fmt: skip
    print(f"  push of {count:,} hazard.create:      {rate:10,.0f} mutations/s  = "
          f"{rate / baseline:6.1%} of executemany (target ≥ 25%) "
          f"{'PASS' if rate >= baseline / 4 else 'FAIL'}")  # fmt: skip
    print(f"  replay (all duplicate):          {count / replay_s:10,.0f} mutations/s  = "
          f"{applied_s / replay_s:4.1f}× faster than applying (target ≥ 4×) "
          f"{'PASS' if applied_s / replay_s >= 4 else 'FAIL'}")  # fmt: skip
    hotspot(backend, count)
    if push_only:
        with app.app_context():
            db.engine.dispose()
        return
    with app.app_context():
        refs = references(db.session)
        office = db.session.scalar(sa.select(User).filter_by(username="office"))
        secret = app.config["SECRET_KEY"]
        times = {}
        loaded = 0
        sizes = [10_000, *([FIRST_SYNC] if large > FIRST_SYNC else []), large]
        for size in sizes:
            bulk_insert(db.engine, size - loaded, size, refs)
            loaded = size
            if size == FIRST_SYNC:
                first_sync(office.id, secret)
                office = db.session.scalar(sa.select(User).filter_by(username="office"))
                continue
            # A device mid-way through its first sync: one page of 500, by id.
            first = feed.pull(db.session, office, None, limit=500, secret=secret)
            middle = feed.pull(db.session, office, first.cursor, limit=500, secret=secret)
            times[size] = median_ms(
                lambda c=middle.cursor, o=office: feed.pull(
                    db.session, o, c, limit=500, secret=secret
                ),
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
    parser.add_argument(
        "--push-only", action="store_true", help="only the push figures, no bulk-loaded pulls"
    )
    args = parser.parse_args()
    for backend in args.backends.split(","):
        run(backend, args.mutations, args.large, args.push_only)


if __name__ == "__main__":
    main()
