"""Fixtures: every database test runs once on SQLite and once on PostgreSQL."""

import os
import shutil
import tempfile

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from hypothesis.configuration import set_hypothesis_home_dir

from server import create_app
from server import demo as demo_service
from server.extensions import db
from server.models import Base, SyncState, new_epoch

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
).replace("postgresql://", "postgresql+psycopg://", 1)
BACKENDS = ("sqlite", "postgresql")
# PostgreSQL schemas are named with this prefix, so two test runs on one server
# (two checkouts, say) each keep their own: TEST_SCHEMA_PREFIX=pytest_b ./run test
SCHEMA_PREFIX = os.environ.get("TEST_SCHEMA_PREFIX", "pytest")
FAST_HASH = "pbkdf2:sha256:1000"  # production uses scrypt; tests need speed
HYPOTHESIS_HOME = pytest.StashKey[str]()


def pytest_configure(config):
    """Keep hypothesis' files (its caches; no test keeps an example database) out of
    the checkout, in a directory of this run."""
    config.stash[HYPOTHESIS_HOME] = tempfile.mkdtemp(prefix="hypothesis-")
    set_hypothesis_home_dir(config.stash[HYPOTHESIS_HOME])


def pytest_unconfigure(config):
    """Remove hypothesis' files."""
    shutil.rmtree(config.stash[HYPOTHESIS_HOME], ignore_errors=True)


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
    url = fresh_database(request.param, tmp_path_factory.mktemp("db"), f"{SCHEMA_PREFIX}_hazards")
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
    """A test client for the app, asking for English messages (Accept-Language: en): the
    tests read the API's English sentences; a request naming no language gets Chinese,
    which tests/api/test_error_language.py checks with a client of its own."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


TEMPLATE = f"{SCHEMA_PREFIX}_demo"


@pytest.fixture(scope="session")
def demo_template(database_url, tmp_path_factory):
    """Where the demo district lies loaded once per backend: a PostgreSQL schema or an
    SQLite file beside the tests' database. Copying its rows takes a tenth of the
    time of loading the demo (areas, routing, checklists, places, reports) per test."""
    tmp = tmp_path_factory.mktemp("template")
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    url = fresh_database(backend, tmp, TEMPLATE)
    app = make_app(url, tmp)
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        demo_service.load_demo(db.session, password_method=FAST_HASH)
        db.session.commit()
        db.engine.dispose()
    return TEMPLATE if backend == "postgresql" else str(tmp / f"{TEMPLATE}.sqlite3")


def copy_demo(session, template):
    """Fill the empty tables with the template's rows, under a new sync epoch."""
    postgres = session.get_bind().dialect.name == "postgresql"
    if not postgres:
        session.commit()  # ATTACH cannot run inside a transaction
        session.execute(sa.text("ATTACH DATABASE :path AS template"), {"path": template})
    source = TEMPLATE if postgres else "template"
    session.execute(sa.delete(SyncState))
    for table in Base.metadata.sorted_tables:
        columns = ", ".join(f'"{c.name}"' for c in table.columns)
        insert = f'INSERT INTO "{table.name}" ({columns}) SELECT {columns}'
        session.execute(sa.text(f'{insert} FROM {source}."{table.name}"'))
        [key, *more] = table.primary_key.columns
        if postgres and not more and isinstance(key.type, sa.Integer) and key.autoincrement:
            # New rows must not take the ids the copied rows have.
            session.execute(
                sa.text(
                    "SELECT setval(pg_get_serial_sequence(:table, :column), max_id + 1, false)"
                    f' FROM (SELECT coalesce(max("{key.name}"), 0) AS max_id FROM "{table.name}") m'
                    " WHERE pg_get_serial_sequence(:table, :column) IS NOT NULL"
                ),
                {"table": table.name, "column": key.name},
            )
    session.execute(sa.update(SyncState).values(epoch=new_epoch()))
    session.commit()
    if not postgres:
        session.execute(sa.text("DETACH DATABASE template"))
        session.commit()


@pytest.fixture
def demo(app, demo_template):
    """Load the demo district and return its users keyed by username."""
    with app.app_context():
        copy_demo(db.session, demo_template)
    return {user.username: user for user in demo_service.DEMO_USERS}


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
