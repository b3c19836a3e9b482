"""The phone app's files as Flask serves them under /app/ (without a real build)."""

import pytest

from tests.api.test_console_assets import Console
from tests.conftest import make_app

ASSET = "app-abc123.js"


@pytest.fixture
def phone(tmp_path):
    """An app serving a stand-in build: app.html, a hashed asset, the worker, manifest."""
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "app.html").write_text(
        f'<!doctype html><script type="module" src="/app/assets/{ASSET}"></script>'
    )
    (dist / "assets" / ASSET).write_text("console.log('app')")
    (dist / "app-sw.js").write_text("self.addEventListener('fetch', () => {})")
    (dist / "app.webmanifest").write_text('{"start_url": "/app/"}')
    (dist / "app-icon.svg").write_text("<svg/>")
    (dist / ".stamp").write_text("not for the world")
    return Console(make_app("sqlite:///" + str(tmp_path / "x.sqlite3"), tmp_path, CONSOLE_DIR=dist))


def test_every_page_of_the_app_is_its_page_revalidated_and_loading_nothing_from_elsewhere(phone):
    for path in ("/app/", "/app/mine", "/app/reports/6f1c2b9e"):
        response = phone.get(path)
        assert response.status_code == 200 and response.mimetype == "text/html"
        assert f"/app/assets/{ASSET}".encode() in response.data
        assert "no-cache" in response.headers["Cache-Control"]
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "connect-src 'self'" in policy
        assert "worker-src 'self'" in policy and "http" not in policy
    assert phone.get("/app").status_code == 308


def test_assets_are_cached_for_a_year_and_the_service_worker_never(phone):
    response = phone.get(f"/app/assets/{ASSET}")
    assert response.status_code == 200 and response.data == b"console.log('app')"
    assert "immutable" in response.headers["Cache-Control"]
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert phone.get("/app/assets/gone-123.js").status_code == 404
    worker = phone.get("/app/sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    assert b"addEventListener" in worker.data and "no-cache" in worker.headers["Cache-Control"]
    manifest = phone.get("/app/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json" and b"/app/" in manifest.data
    assert phone.get("/app/icon.svg").data == b"<svg/>"
    assert b"not for the world" not in phone.get("/app/.stamp").data


def test_without_a_build_the_app_says_how_to_make_one(tmp_path):
    app = make_app("sqlite:///" + str(tmp_path / "x.sqlite3"), tmp_path, CONSOLE_DIR=tmp_path)
    response = Console(app).get("/app/")
    assert response.status_code == 503 and b"./run serve" in response.data
