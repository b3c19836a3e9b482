"""Operator commands, run as `flask --app server ...` would run them."""

import json
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from server.demo import district_geojson
from server.extensions import db
from server.models import Area, Base, Category, Department, Hazard, User
from tests.conftest import SCHEMA_PREFIX, empty_all_tables, fresh_database, make_app


def counts(app):
    """Return row counts of the main tables."""
    with app.app_context():
        return {
            model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Area, Department, Category, User, Hazard)
        }


@pytest.fixture
def fresh_app(backend, tmp_path):
    """An app on a brand-new, unmigrated database."""
    app = make_app(fresh_database(backend, tmp_path, f"{SCHEMA_PREFIX}_fresh"), tmp_path)
    yield app
    with app.app_context():
        db.engine.dispose()


def test_init_db_creates_the_schema_and_is_safe_to_rerun(fresh_app):
    runner = fresh_app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
    with fresh_app.app_context():
        tables = set(sa.inspect(db.engine).get_table_names())
    assert {"users", "hazards", "hazard_events", "areas", "alembic_version"} <= tables


def test_migrations_match_the_models(fresh_app):
    assert fresh_app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    with fresh_app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_demo_loads_the_district_and_prints_one_user_per_role(app):
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    for role in ("volunteer", "grid_worker", "dept_staff", "office"):
        assert role in result.output
    assert "demo-pass-2026" in result.output
    assert counts(app) == {"Area": 47, "Department": 17, "Category": 22, "User": 5, "Hazard": 9}


def test_demo_twice_changes_nothing(app):
    runner = app.test_cli_runner()
    runner.invoke(args=["demo"])
    first = counts(app)
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert counts(app) == first


def test_create_user_makes_an_account_that_can_sign_in(app, demo):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-user",
            "liwei",
            "--role",
            "grid_worker",
            "--password",
            "s3cret-pass",
            "--grid",
            "110112002001G01",
            "--grid",
            "110112002001G02",
        ]
    )
    assert result.exit_code == 0, result.output
    client = app.test_client()
    token = client.post(
        "/api/v1/auth/tokens",
        json={"username": "liwei", "password": "s3cret-pass", "device_name": "cli"},
    ).json["token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json
    assert me["grids"] == ["110112002001G01", "110112002001G02"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x1", "--role", "dept_staff", "--password", "long-enough"], "department"),
        (
            ["x2", "--role", "dept_staff", "--password", "long-enough", "--department", "nope"],
            "unknown department",
        ),
        (["x3", "--role", "grid_worker", "--password", "long-enough"], "grid"),
        (
            ["x4", "--role", "grid_worker", "--password", "long-enough", "--grid", "110112001"],
            "unknown grid",
        ),
        (["x5", "--role", "volunteer", "--password", "short"], "8 characters"),
        (["x6", "--role", "emperor", "--password", "long-enough"], "emperor"),
        (["volunteer", "--role", "volunteer", "--password", "long-enough"], "already exists"),
    ],
)
def test_create_user_refuses_bad_input_and_creates_nothing(app, demo, args, message):
    before = counts(app)["User"]
    result = app.test_cli_runner().invoke(args=["create-user", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert counts(app)["User"] == before


def test_import_areas_creates_then_updates(app, tmp_path):
    path = tmp_path / "district.geojson"
    path.write_text(json.dumps(district_geojson(), ensure_ascii=False), encoding="utf-8")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["import-areas", str(path)])
    assert first.exit_code == 0 and "47 new" in first.output, first.output
    again = runner.invoke(args=["import-areas", str(path)])
    assert "0 new, 47 updated" in again.output
    assert counts(app)["Area"] == 47


BOWTIE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}


def _collection_with_bad_last_feature(change):
    collection = district_geojson()
    change(collection["features"][-1])
    return collection


@pytest.mark.parametrize(
    ("collection", "message"),
    [
        (
            _collection_with_bad_last_feature(lambda f: f.update(geometry=BOWTIE)),
            "Self-intersection",
        ),
        (
            _collection_with_bad_last_feature(lambda f: f["properties"].update(level="county")),
            "level",
        ),
        (
            _collection_with_bad_last_feature(lambda f: f["properties"].update(parent="missing")),
            "unknown parent",
        ),
        (
            _collection_with_bad_last_feature(
                lambda f: f.update(geometry={"type": "Point", "coordinates": [1, 2]})
            ),
            "Polygon",
        ),
        (_collection_with_bad_last_feature(lambda f: f["properties"].pop("code")), "code"),
        ({"type": "Feature"}, "FeatureCollection"),
        ({"type": "FeatureCollection", "features": []}, "no features"),
    ],
)
def test_import_areas_refuses_a_bad_file_and_imports_nothing(app, tmp_path, collection, message):
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(collection), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import-areas", str(path)])
    assert result.exit_code != 0
    assert message in result.output
    assert counts(app)["Area"] == 0


def test_import_areas_refuses_a_file_that_is_not_json(app, tmp_path):
    path = tmp_path / "areas.geojson"
    path.write_text("<html>not geojson</html>")
    result = app.test_cli_runner().invoke(args=["import-areas", str(path)])
    assert result.exit_code != 0 and "cannot read" in result.output


def test_empty_all_tables_leaves_nothing_behind(app, demo):
    with app.app_context():
        empty_all_tables(db.session)
    assert set(counts(app).values()) == {0}


def test_upgrading_to_0010_keeps_the_photos_of_answers_filed_before(fresh_app):
    """Answers filed before revision 0010 listed their photos only in a JSON column;
    the upgrade copies them into inspection_photos, so the photos can be shown."""
    from datetime import UTC, datetime, timedelta

    from flask_migrate import downgrade, upgrade

    from server.demo import load_demo
    from server.models import InspectionPhoto
    from server.services.inspections import NewAnswer, NewInspection, submit_inspection

    directory = fresh_app.extensions["migrate"].directory
    finished = datetime.now(UTC) - timedelta(hours=1)
    photos = ("ab" * 32, "cd" * 32)
    with fresh_app.app_context():
        upgrade(directory=directory)
        load_demo(db.session, password_method="pbkdf2:sha256:1000")
        office = db.session.scalar(sa.select(User).filter_by(username="office"))
        place = uuid.uuid5(uuid.NAMESPACE_URL, "place:110112001001G02P03")
        answers = (
            NewAnswer(uuid.uuid4(), "fire_lane_clear", "pass", photos=photos),
            NewAnswer(uuid.uuid4(), "evacuation_clear", "pass"),
        )
        new = NewInspection(uuid.uuid4(), place, "lifeline", 1, finished, finished, answers)
        submit_inspection(db.session, office, new)
        db.session.commit()
        db.session.close()
        downgrade(directory=directory, revision="0009")
        upgrade(directory=directory)
        cited = db.session.execute(
            sa.select(InspectionPhoto.answer_id, InspectionPhoto.sha256)
        ).all()
    assert sorted(cited) == [(answers[0].id, sha256) for sha256 in photos]
