"""The phone app (SPEC §12): the second page of the web build (web/app.html), served
under /app/ as the console is under /console/.

It is a single-page app: every /app/<path> that is not one of its files gets the page.
Its scripts and style sheets come from the same hashed assets folder as the console's,
named under /app/assets/ so that everything the app loads stays in its service worker's
scope; they are cached for a year, the page is revalidated every time. The service
worker itself (/app/sw.js) is never cached by HTTP, so a new one is found at once. The
page may load nothing from any other host: the Content-Security-Policy says so too.
"""

from pathlib import Path

from flask import Blueprint, Response, current_app, redirect, send_from_directory

from server.console import DIST_DIR, YEAR

# Vant sets inline styles (popups, pickers); chosen photos are previewed as blob: URLs.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'; form-action 'self'"
)
PAGE = "app.html"
# The app's own files at the top of the build, by the name the page uses.
FILES = {
    "sw.js": ("app-sw.js", "text/javascript"),
    "manifest.webmanifest": ("app.webmanifest", "application/manifest+json"),
    "icon.svg": ("app-icon.svg", "image/svg+xml"),
}

bp = Blueprint("phone_app", __name__, url_prefix="/app")


def _dist() -> Path:
    return Path(current_app.config.get("CONSOLE_DIR") or DIST_DIR)


def _secure(response: Response) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def _page() -> Response:
    dist = _dist()
    if not (dist / PAGE).is_file():
        return Response(
            "The phone app is not built yet: ./run serve builds it (npm ci, vite build in web/).\n",
            status=503,
            mimetype="text/plain",
        )
    response = send_from_directory(dist, PAGE, max_age=0)
    response.cache_control.no_cache = True
    response.headers["Content-Security-Policy"] = CSP
    return _secure(response)


@bp.get("")
def app_root():
    """/app → /app/ (the service worker's scope, and where the page's links resolve)."""
    return redirect("/app/", code=308)


@bp.get("/")
def app_index():
    """The app's page."""
    return _page()


@bp.get("/assets/<path:filename>")
def app_asset(filename: str):
    """A built asset (hashed name): cached for a year; a missing one is a 404."""
    response = send_from_directory(_dist() / "assets", filename, max_age=YEAR)
    response.cache_control.public = True
    response.cache_control.immutable = True
    return _secure(response)


@bp.get("/<path:path>")
def app_page(path: str):
    """The service worker, the manifest and the icon; any other path is a page of the app."""
    if path in FILES:
        name, mimetype = FILES[path]
        if (_dist() / name).is_file():
            response = send_from_directory(_dist(), name, mimetype=mimetype, max_age=0)
            response.cache_control.no_cache = True
            return _secure(response)
    return _page()


def init_app(app) -> None:
    """Serve the phone app under /app/."""
    app.register_blueprint(bp)
