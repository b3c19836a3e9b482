"""Make a realistic district history in bulk, for the benchmarks.

Nine in ten hazards closed (most on time), the rest open across the lifecycle;
three years of reports over the demo district's grids and categories; some
returned or reopened; one in twenty citing a photo with an authenticity flag.
Loaded with COPY (PostgreSQL) or executemany (SQLite), then ANALYZEd.
"""

import hashlib
import os
import random
import tempfile
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask_migrate import upgrade

from server import create_app
from server.demo import load_demo
from server.extensions import db
from server.models import Area, Category, Department, User

PG = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test").replace(
    "postgresql://", "postgresql+psycopg://", 1
)
OPEN = ("assigned", "accepted", "rectifying", "rectified", "verified")
COLUMNS = (
    "id",
    "reporter_id",
    "category_id",
    "description",
    "lat",
    "lon",
    "crs",
    "observed_at",
    "received_at",
    "status",
    "severity",
    "version",
    "deadline",
    "deadline_basis",
    "lead_department_id",
    "territorial_department_id",
    "street_id",
    "community_id",
    "grid_id",
    "payload_hash",
    "assigned_at",
    "closed_at",
    "close_seconds",
    "close_working_hours",
    "reopen_count",
    "return_count",
    "photos_flagged",
)
TIMES = (7, 8, 12, 20, 21)  # positions of datetime columns
PAYLOAD = hashlib.sha256(b"bench").hexdigest()


def fresh_app(backend, schema):
    """Return an app on a new, migrated database with the demo district loaded."""
    if backend == "sqlite":
        url = f"sqlite:///{tempfile.mkdtemp(prefix='bench-')}/bench.sqlite3"
    else:
        engine = sa.create_engine(PG)
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        engine.dispose()
        url = f"{PG}?options=-csearch_path%3D{schema}"
    app = create_app(
        {
            "DATABASE_URL": url,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "MEDIA_ROOT": tempfile.mkdtemp(),
        }
    )
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        load_demo(db.session, password_method="pbkdf2:sha256:1000")
        db.session.commit()
    return app


def references(session):
    """Return the ids the generated rows point at."""
    areas = {a.id: a for a in session.scalars(sa.select(Area))}
    offices = {
        d.area_id: d.id
        for d in session.scalars(sa.select(Department).filter_by(kind="territorial"))
    }
    grids = []
    for area in areas.values():
        if area.level == "grid":
            community = areas[area.parent_id]
            grids.append((area.id, community.parent_id, community.id, offices[community.parent_id]))
    return {
        "categories": [(c.id, c.department_id) for c in session.scalars(sa.select(Category))],
        "grids": grids,
        "reporters": list(
            session.scalars(sa.select(User.id).where(User.role.in_(("volunteer", "grid_worker"))))
        ),
    }


def rows(count, seed, refs, now):
    """Yield `count` hazard rows (tuples in COLUMNS order)."""
    rng = random.Random(seed)
    for _ in range(count):
        category = rng.choice(refs["categories"])
        grid = rng.choice(refs["grids"])
        received = now - timedelta(minutes=rng.randrange(0, 3 * 365 * 24 * 60))
        deadline = received + timedelta(days=rng.choice((1, 3, 7, 30)))
        status = "closed" if rng.random() < 0.9 else rng.choice(OPEN)
        closed_at = seconds = hours = None
        if status == "closed":
            took = (deadline - received) * rng.uniform(0.2, 1.3)
            closed_at = received + took
            seconds = took.total_seconds()
            hours = seconds / 3600 * 5 / 7
        yield (
            uuid.UUID(int=rng.getrandbits(128)),
            rng.choice(refs["reporters"]),
            category[0],
            "压测隐患",
            39.86 + rng.random() * 0.08,
            116.6 + rng.random() * 0.12,
            "wgs84",
            received,
            received,
            status,
            "general",
            3,
            deadline,
            "china_working_days",
            category[1],
            grid[3],
            grid[1],
            grid[2],
            grid[0],
            PAYLOAD,
            received,
            closed_at,
            seconds,
            hours,
            int(rng.random() < 0.05),
            int(rng.random() < 0.03),
            int(rng.random() < 0.05),
        )


def _sqlite_value(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, uuid.UUID):
        return value.hex
    return value


def bulk_insert(engine, count, seed, refs, now=None):
    """Insert `count` hazards (and a flagged photo on one in twenty) as fast as possible."""
    now = now or datetime.now(UTC)
    photo_cols = ("hazard_id", "sha256", "phase", "position", "flags", "distance_m")
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        generated = rows(count, seed, refs, now)
        if engine.dialect.name == "postgresql":
            flagged = []
            with cursor.copy(f"COPY hazards ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in generated:
                    copy.write_row(row)
                    if row[-1]:
                        flagged.append((row[0], PAYLOAD, "report", 0, '["no_exif"]', None))
            with cursor.copy(f"COPY hazard_photos ({', '.join(photo_cols)}) FROM STDIN") as copy:
                for row in flagged:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(COLUMNS))
            sql = f"INSERT INTO hazards ({', '.join(COLUMNS)}) VALUES ({marks})"
            photo_sql = (
                f"INSERT INTO hazard_photos ({', '.join(photo_cols)}) VALUES (?, ?, ?, ?, ?, ?)"
            )
            batch, photos = [], []
            for row in generated:
                batch.append([_sqlite_value(v) for v in row])
                if row[-1]:
                    photos.append((row[0].hex, PAYLOAD, "report", 0, '["no_exif"]', None))
                if len(batch) == 50_000:
                    cursor.executemany(sql, batch)
                    batch = []
            cursor.executemany(sql, batch)
            cursor.executemany(photo_sql, photos)
        raw.commit()
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
