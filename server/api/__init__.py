"""HTTP API under /api/v1: one blueprint per resource; views load, call, dump."""

from flask import request
from werkzeug.exceptions import UnsupportedMediaType

from server.api import auth, events, hazards, photos, reference, routing, stats, sync

BLUEPRINTS = [
    auth.blp,
    hazards.blp,
    events.blp,
    photos.blp,
    reference.blp,
    routing.blp,
    stats.blp,
    sync.blp,
]

# Endpoints whose bodies are not JSON: raw photo bytes.
RAW_BODY_ENDPOINTS = {"photos.PhotoBytes"}


def require_json_body():
    """Refuse a write whose body is not declared as JSON (415)."""
    if (
        request.method in ("POST", "PUT", "PATCH")
        and request.endpoint is not None
        and request.endpoint not in RAW_BODY_ENDPOINTS
        and not request.is_json
    ):
        raise UnsupportedMediaType("send the body as JSON with Content-Type: application/json")


def init_app(app, api):
    """Register every blueprint with the Api."""
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    app.before_request(require_json_body)
