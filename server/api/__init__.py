"""HTTP API under /api/v1: one blueprint per resource; views load, call, dump."""

from flask import request
from werkzeug.exceptions import UnsupportedMediaType

from server.api import (
    auth,
    events,
    hazards,
    inspections,
    photos,
    reference,
    routing,
    stats,
    sync,
    users,
)

BLUEPRINTS = [
    auth.blp,
    hazards.blp,
    inspections.blp,
    events.blp,
    photos.blp,
    reference.blp,
    routing.blp,
    stats.blp,
    sync.blp,
    users.blp,
]

# Endpoints whose bodies may be other than JSON: raw photo bytes, CSV of places.
RAW_BODY_ENDPOINTS = {"photos.PhotoBytes", "inspections.PlaceImport"}


def require_json_body():
    """Refuse a write whose body is not declared as JSON (415); a write may have none."""
    if (
        request.method in ("POST", "PUT", "PATCH")
        and request.endpoint is not None
        and request.endpoint not in RAW_BODY_ENDPOINTS
        and (request.content_length or request.headers.get("Transfer-Encoding"))
        and not request.is_json
    ):
        raise UnsupportedMediaType("send the body as JSON with Content-Type: application/json")


def init_app(app, api):
    """Register every blueprint with the Api."""
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    app.before_request(require_json_body)
