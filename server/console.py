"""The web console (SPEC §11): the built front end (web/dist) served under /console/.

The console is a single-page app: every /console/<path> that is not a built file gets
index.html, and the app's router shows the page. Built assets carry a content hash in
their names, so they are cached for a year; index.html is revalidated every time, so a
new build is picked up at once. The page may load nothing from any other host (offline
intranets): the Content-Security-Policy says so to the browser too; the one host it
may name besides is the intranet tile server of MAP_TILE_URL, for the map's images.
"""

from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, redirect, send_from_directory
from werkzeug.exceptions import NotFound
from werkzeug.security import safe_join

DIST_DIR = Path(__file__).resolve().parent.parent / "web" / "dist"
YEAR = 365 * 24 * 3600
# Element Plus sets inline styles (positions of popups), hence 'unsafe-inline' for styles;
# photos chosen from disk are previewed as blob: URLs.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:{tiles}; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)


def tile_source(url: str | None) -> str:
    """Return the CSP source of a tile URL template's host ('' for none or same-origin):
    `{s}.tiles.intranet` (Leaflet's subdomains) becomes `*.tiles.intranet`."""
    if not url:
        return ""
    parts = urlsplit(url.replace("{s}", "sub"))
    if not parts.netloc:
        return ""  # a path on this server: 'self' covers it
    host = parts.netloc.replace("sub.", "*.", 1) if "{s}." in url else parts.netloc
    return f" {parts.scheme}://{host}"


bp = Blueprint("console", __name__, url_prefix="/console")


def _dist() -> Path:
    return Path(current_app.config.get("CONSOLE_DIR") or DIST_DIR)


def _index() -> Response:
    dist = _dist()
    if not (dist / "index.html").is_file():
        return Response(
            "The console is not built yet: ./run serve builds it (npm ci, vite build in web/).\n",
            status=503,
            mimetype="text/plain",
        )
    response = send_from_directory(dist, "index.html", max_age=0)
    response.cache_control.no_cache = True
    tiles = tile_source(current_app.config.get("MAP_TILE_URL"))
    response.headers["Content-Security-Policy"] = CSP.format(tiles=tiles)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@bp.get("")
def console_root():
    """/console → /console/ (relative asset paths resolve under it)."""
    return redirect("/console/", code=308)


@bp.get("/")
def console_index():
    """The console's page."""
    return _index()


@bp.get("/assets/<path:filename>")
def console_asset(filename: str):
    """A built asset (hashed name): cached for a year; a missing one is a 404, never
    the page, so a stale script reference fails plainly."""
    response = send_from_directory(_dist() / "assets", filename, max_age=YEAR)
    response.cache_control.public = True
    response.cache_control.immutable = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/<path:path>")
def console_page(path: str):
    """A file at the top of the build (favicon), or else any page of the app."""
    dist = _dist()
    candidate = safe_join(str(dist), path)
    if candidate is not None and Path(candidate).is_file() and not path.startswith("."):
        try:
            return send_from_directory(dist, path, max_age=3600)
        except NotFound:
            pass
    return _index()


def init_app(app) -> None:
    """Serve the console under /console/."""
    app.register_blueprint(bp)
