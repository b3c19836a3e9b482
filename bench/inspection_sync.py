"""Benchmark a grid worker's busy week of inspections pushed through sync.

    .venv/bin/python bench/inspection_sync.py [--inspections 200] [--items 20]
                                              [--backends sqlite,postgresql]

For each database, side by side: 200 inspection.create mutations of 20 answers
each (one item in ten failing, so each failure becomes a routed hazard with its
events, change row and duplicate links) pushed through the sync engine, against
plain executemany of the same rows (copies of what a first push wrote: the
inspections, answers, hazards, events, duplicate links, change rows, receipts).
Each the median of three, each paying the write-back of SQLite's WAL. Target:
the push at least 25% of executemany's rate.
"""

import argparse
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bench.district_history import fresh_app
from bench.sync_throughput import settle
from server.extensions import db
from server.models import (
    Change,
    DuplicateLink,
    Hazard,
    HazardEvent,
    Inspection,
    InspectionAnswer,
    Place,
    SyncReceipt,
    User,
)
from server.services.inspections import NewItem, create_template, publish
from sync import push

CATEGORIES = ["fire_lane_blocked", "evacuation_blocked", "ebike_indoor_charging",
              "fire_equipment_damaged", "flammable_piles"]  # fmt: skip


def checklist(session, items):
    """Publish a checklist of `items` questions for every kind of place."""
    create_template(
        session,
        "bench",
        "压测清单",
        [],
        [NewItem(f"i{n:02d}", f"检查项{n}", CATEGORIES[n % len(CATEGORIES)]) for n in range(items)],
    )
    publish(session, "bench", 1)
    session.commit()


def week(places, count, items, seed):
    """A week of inspections: every tenth answer (at random) fails."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    batch = []
    for n in range(count):
        finished = now - timedelta(minutes=count - n)
        answers = [{"id": str(uuid.uuid4()), "item": f"i{k:02d}",
                    "answer": "fail" if rng.random() < 0.1 else "pass", "photos": []}
                   for k in range(items)]  # fmt: skip
        data = {"place": str(rng.choice(places)), "template": "bench", "version": 1,
                "started_at": (finished - timedelta(minutes=20)).isoformat(),
                "finished_at": finished.isoformat(), "answers": answers}  # fmt: skip
        batch.append({"seq": n + 1, "id": str(uuid.uuid4()), "type": "inspection.create",
                      "entity_id": str(uuid.uuid4()), "occurred_at": finished.isoformat(),
                      "data": data})  # fmt: skip
    return push.read(batch)


def written_by(app, device):
    """Return {model: rows} of everything the push from `device` wrote."""
    with app.app_context():
        s = db.session
        receipts = (
            s.execute(sa.select(SyncReceipt.__table__).where(SyncReceipt.device_id == device))
            .mappings()
            .all()
        )
        seqs = {r["seq"] for r in receipts}
        inspections = s.execute(sa.select(Inspection.__table__)).mappings().all()
        ids = [i["id"] for i in inspections]
        answers = (
            s.execute(
                sa.select(InspectionAnswer.__table__).where(InspectionAnswer.inspection_id.in_(ids))
            )
            .mappings()
            .all()
        )
        hazards = (
            s.execute(sa.select(Hazard.__table__).where(Hazard.inspection_id.in_(ids)))
            .mappings()
            .all()
        )
        hazard_ids = [h["id"] for h in hazards]
        tables = {Inspection: inspections, InspectionAnswer: answers, Hazard: hazards,
                  SyncReceipt: receipts}  # fmt: skip
        for model in (HazardEvent, Change, DuplicateLink):
            tables[model] = (
                s.execute(sa.select(model.__table__).where(model.hazard_id.in_(hazard_ids)))
                .mappings()
                .all()
            )
        assert len(seqs) == len(receipts)
        return tables


def _copy_once(app, template, round_):
    new = {}

    def renamed(old):
        if old is None:
            return None
        return new.setdefault(old, uuid.uuid4())

    rows = {
        Inspection: [dict(r, id=renamed(r["id"])) for r in template[Inspection]],
        Hazard: [dict(r, id=renamed(r["id"]), inspection_id=renamed(r["inspection_id"]))
                 for r in template[Hazard]],
        HazardEvent: [dict(r, id=uuid.uuid4(), hazard_id=renamed(r["hazard_id"]))
                      for r in template[HazardEvent]],
        InspectionAnswer: [dict(r, id=uuid.uuid4(), inspection_id=renamed(r["inspection_id"]),
                                hazard_id=renamed(r["hazard_id"]))
                           for r in template[InspectionAnswer]],
        DuplicateLink: [dict(r, hazard_id=renamed(r["hazard_id"]),
                             other_id=new.get(r["other_id"], r["other_id"]))
                        for r in template[DuplicateLink]],
        Change: [dict(r, seq=-(1 + round_ * 10**6 + n), hazard_id=renamed(r["hazard_id"]))
                 for n, r in enumerate(template[Change])],
        SyncReceipt: [dict(r, device_id=f"baseline-{round_}") for r in template[SyncReceipt]],
    }  # fmt: skip
    with app.app_context():
        connection = db.session.connection()
        start = time.perf_counter()
        for model in (Inspection, Hazard, HazardEvent, InspectionAnswer, DuplicateLink, Change,
                      SyncReceipt):  # fmt: skip
            if rows[model]:
                connection.execute(sa.insert(model.__table__), rows[model])
        db.session.commit()
        settle()
        elapsed = time.perf_counter() - start
    return len(template[Inspection]) / elapsed, sum(len(r) for r in rows.values())


def run(backend, count, items):
    app = fresh_app(backend, "bench_inspections")
    print(f"\n{backend}")
    with app.app_context():
        checklist(db.session, items)
        user = db.session.scalar(sa.select(User).filter_by(username="gridworker"))
        grids = [g.id for g in user.grids]
        places = db.session.scalars(sa.select(Place.id).where(Place.grid_id.in_(grids))).all()
        push.push(db.session, user, "template", week(places, count, items, seed=1))
        settle()
    template = written_by(app, "template")
    copies = [_copy_once(app, template, n) for n in range(3)]
    baseline, rows = sorted(copies)[1]
    times = []
    with app.app_context():
        user = db.session.scalar(sa.select(User).filter_by(username="gridworker"))
        for round_ in range(3):
            batch = week(places, count, items, seed=10 + round_)
            start = time.perf_counter()
            results = push.push(db.session, user, f"phone-{round_}", batch)
            settle()
            times.append(time.perf_counter() - start)
            assert all(r["status"] == "applied" for r in results), results[:2]
        found = sum(len(r["hazards"]) for r in results)
    rate = count / sorted(times)[1]
    print(f"  executemany of the same rows: {baseline:8,.0f} inspections/s "
          f"({rows:,} rows per {count} inspections)")  # fmt: skip
    print(f"  push of {count} inspections × {items} items ({found} failed items → hazards): "
          f"{rate:8,.0f} inspections/s = {rate / baseline:6.1%} of executemany "
          f"(target ≥ 25%) {'PASS' if rate >= baseline / 4 else 'FAIL'}")  # fmt: skip
    with app.app_context():
        db.engine.dispose()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inspections", type=int, default=200)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        run(backend, args.inspections, args.items)


if __name__ == "__main__":
    main()
