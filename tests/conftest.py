"""Fixtures: every database test runs once on SQLite and once on PostgreSQL."""

import os

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from server import create_app
from server.extensions import db
from server.models import Base, SyncState, new_epoch
from server.services import demo as demo_service

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
).replace("postgresql://", "postgresql+psycopg://", 1)
BACKENDS = ("sqlite", "postgresql")
FAST_HASH = "pbkdf2:sha256:1000"  # production uses scrypt; tests need speed


def fresh_database(backend, tmp_dir, name):
    """Return the URL of a new, empty database (SQLite file or PostgreSQL schema)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_dir / (name + '.sqlite3')}"
    engine = sa.create_engine(POSTGRES_URL)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
            conn.execute(sa.text(f"CREATE SCHEMA {name}"))
    except sa.exc.OperationalError as error:
        pytest.fail(f"PostgreSQL is required for the tests and is not reachable: {error}")
    finally:
        engine.dispose()
    return f"{POSTGRES_URL}?options=-csearch_path%3D{name}"


def make_app(database_url, tmp_path, **overrides):
    """Return an app on `database_url` with test settings."""
    config = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(tmp_path / "media"),
        "SECRET_KEY": "test-secret",
        "PASSWORD_HASH_METHOD": FAST_HASH,
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    """A migrated database, one per backend for the whole run."""
    url = fresh_database(request.param, tmp_path_factory.mktemp("db"), "pytest_hazards")
    app = make_app(url, tmp_path_factory.mktemp("media"))
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        db.engine.dispose()
    return url


def empty_all_tables(session):
    """Delete every row, children first, leaving the schema and a new change counter."""
    if session.get_bind().dialect.name == "postgresql":
        names = ", ".join(t.name for t in Base.metadata.sorted_tables)
        session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())
    session.execute(sa.insert(SyncState).values(id=1, epoch=new_epoch(), counter=0))
    session.commit()


@pytest.fixture
def app(database_url, tmp_path):
    """The app on a migrated, empty database; emptied again afterwards."""
    app = make_app(database_url, tmp_path)
    yield app
    with app.app_context():
        db.session.rollback()
        empty_all_tables(db.session)
        db.engine.dispose()


@pytest.fixture
def backend(database_url):
    """The name of the database the test is running on."""
    return "postgresql" if database_url.startswith("postgresql") else "sqlite"


@pytest.fixture
def session(app):
    """A SQLAlchemy session inside an app context, for service-level tests."""
    with app.app_context():
        yield db.session


@pytest.fixture
def client(app):
    """A test client for the app."""
    return app.test_client()


@pytest.fixture
def demo(app):
    """Load the demo district and return its users keyed by username."""
    with app.app_context():
        users = demo_service.load_demo(db.session, password_method=FAST_HASH)
        db.session.commit()
    return {user.username: user for user in users}


@pytest.fixture
def app_with(database_url, tmp_path):
    """Return a factory of apps with other settings, the demo loaded; emptied afterwards."""
    made = []

    def build(**overrides):
        app = make_app(database_url, tmp_path, **overrides)
        with app.app_context():
            demo_service.load_demo(db.session, password_method=FAST_HASH)
            db.session.commit()
        made.append(app)
        return app

    yield build
    for app in made:
        with app.app_context():
            db.session.rollback()
            empty_all_tables(db.session)
            db.engine.dispose()
