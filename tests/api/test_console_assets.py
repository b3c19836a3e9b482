"""The console's files as Flask serves them under /console/ (without a real build)."""

import pytest

from tests.conftest import make_app

ASSET = "index-abc123.js"


@pytest.fixture
def built(tmp_path):
    """A stand-in build: index.html, one hashed asset, a top-level file."""
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(
        '<!doctype html><script type="module" src="/console/assets/index-abc123.js"></script>'
    )
    (dist / "assets" / ASSET).write_text("console.log('hi')")
    (dist / "favicon.svg").write_text("<svg/>")
    (dist / ".stamp").write_text("not for the world")
    return dist


class Console:
    """A client of an app serving a build; each answer read whole and closed (files)."""

    def __init__(self, app):
        self.client = app.test_client()

    def get(self, path):
        with self.client.get(path) as response:
            response.get_data()
            return response


@pytest.fixture
def console(built, tmp_path):
    """The console of an app serving the stand-in build (no database is touched)."""
    return Console(
        make_app("sqlite:///" + str(tmp_path / "x.sqlite3"), tmp_path, CONSOLE_DIR=built)
    )


def test_the_page_is_revalidated_and_may_load_nothing_from_elsewhere(console):
    response = console.get("/console/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "no-cache" in response.headers["Cache-Control"]
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy
    assert "http" not in policy  # no other host is named


def test_every_page_of_the_app_is_the_page_itself(console):
    for path in ("/console/todo", "/console/hazards/6f1c2b9e-3d4a-4e5f-8a7b-9c0d1e2f3a4b"):
        response = console.get(path)
        assert response.status_code == 200
        assert b"/console/assets/index-abc123.js" in response.data
    assert console.get("/console").status_code == 308


def test_hashed_assets_are_cached_for_a_year_and_a_missing_one_is_404(console):
    response = console.get(f"/console/assets/{ASSET}")
    assert response.status_code == 200 and response.data == b"console.log('hi')"
    cache = response.headers["Cache-Control"]
    assert "max-age=31536000" in cache and "immutable" in cache and "public" in cache
    assert console.get("/console/assets/gone-123.js").status_code == 404
    assert console.get("/console/favicon.svg").data == b"<svg/>"


def test_the_build_stamp_and_paths_outside_the_build_are_not_served(console):
    assert b"not for the world" not in console.get("/console/.stamp").data
    assert console.get("/console/../server/app.py").status_code in (200, 404)
    assert b"create_app" not in console.get("/console/%2e%2e/server/app.py").data


def test_without_a_build_the_console_says_how_to_make_one(tmp_path):
    app = make_app("sqlite:///" + str(tmp_path / "x.sqlite3"), tmp_path, CONSOLE_DIR=tmp_path)
    response = Console(app).get("/console/")
    assert response.status_code == 503 and b"./run serve" in response.data
