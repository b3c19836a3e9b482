"""The application factory."""

from pathlib import Path

import swagger_ui_bundle
from flask import Flask, send_from_directory

from server import api as api_package
from server import cli, config, console, converters, errors, jsonio, phone_app
from server.extensions import api, db, migrate
from uploads.storage import LocalStorage

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SWAGGER_ASSETS = "/api/v1/docs/assets/"
API_DESCRIPTION = (
    "Every failure answers application/problem+json. Text never holds NUL (U+0000) or an "
    "unpaired surrogate, in values or in object keys, free-form objects included; integers "
    "are at most 64-bit, and ids and version numbers 32-bit. A JSON body nests at most "
    "JSON_MAX_DEPTH (default 32) arrays and objects. The web console signs in with "
    "POST /api/v1/auth/session and is then authenticated by the HttpOnly cookie hz_session; "
    "every write it makes (POST, PUT, PATCH, DELETE) carries the session's csrf_token as the "
    "X-CSRF-Token header, or is refused 403 with code csrf_failed. A bearer token needs no "
    "such header."
)


def _settings(test_config):
    settings = config.from_environment()
    settings.update(test_config or {})
    settings.update(
        SQLALCHEMY_DATABASE_URI=settings["DATABASE_URL"],
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        API_TITLE="随手拍 hazard reporting API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        # Served from the installed bundle: the docs work on an offline intranet.
        OPENAPI_SWAGGER_UI_URL=SWAGGER_ASSETS,
        API_SPEC_OPTIONS={
            "info": {"description": API_DESCRIPTION},
            "security": [{"bearerAuth": []}, {"consoleSession": []}],
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer"},
                    "consoleSession": {
                        "type": "apiKey",
                        "in": "cookie",
                        "name": "hz_session",
                        "description": "the web console's session; writes also send X-CSRF-Token",
                    },
                }
            },
        },
    )
    return settings


def create_app(test_config=None):
    """Create the app; `test_config` overrides settings read from the environment."""
    app = Flask(__name__, instance_path=str(config.INSTANCE_DIR))
    app.config.update(_settings(test_config))
    config.map_tiles(app.config)  # a bad MAP_TILE_CRS fails here, not on the map
    jsonio.init_app(app)
    if app.config["DATABASE_URL"].startswith("sqlite:///"):
        Path(app.config["DATABASE_URL"].removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )

    app.extensions["photo_storage"] = LocalStorage(app.config["MEDIA_ROOT"])
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    converters.init_app(app)  # before any route is added
    api.init_app(app)
    api_package.init_app(app, api)
    errors.init_app(app)
    cli.init_app(app)
    console.init_app(app)
    phone_app.init_app(app)

    @app.get(SWAGGER_ASSETS + "<path:filename>")
    def swagger_assets(filename):
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)

    return app
