"""HTTP API under /api/v1: one blueprint per resource; views load, call, dump."""

from flask import current_app, request
from werkzeug.exceptions import UnsupportedMediaType

from server.api import (
    auth,
    events,
    hazards,
    inspections,
    invites,
    maps,
    photos,
    reference,
    routing,
    stats,
    sync,
    users,
)
from server.jsonio import JSONTooDeep, nested_deeper_than

BLUEPRINTS = [
    auth.blp,
    hazards.blp,
    inspections.blp,
    invites.blp,
    events.blp,
    maps.blp,
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


# Endpoints whose bodies may be larger than MAX_CONTENT_LENGTH, and the setting of each.
BODY_LIMITS = {
    "sync.Sync": "SYNC_MAX_BYTES",
    "routing.AreaImport": "AREAS_IMPORT_MAX_BYTES",
    "inspections.PlaceImport": "PLACES_IMPORT_MAX_BYTES",
    "photos.PhotoBytes": "PHOTO_MAX_BYTES",
}


def apply_body_limit() -> None:
    """Give the request its endpoint's body limit before anything reads the body."""
    setting = BODY_LIMITS.get(request.endpoint or "")
    if setting is not None:
        request.max_content_length = current_app.config[setting]


def refuse_deep_json() -> None:
    """Refuse a JSON body nested deeper than JSON_MAX_DEPTH (400) before any view reads
    it: webargs parses bodies with the standard library, not through the app's provider.

    Raw-body endpoints, and bodies over this request's size limit, are left to their view:
    it refuses them as too large, or reads them through the provider, which checks too.
    """
    if not request.is_json or request.endpoint in RAW_BODY_ENDPOINTS:
        return
    size, allowed = request.content_length, request.max_content_length
    if size == 0 or (size is not None and allowed is not None and size > allowed):
        return
    limit = current_app.config["JSON_MAX_DEPTH"]
    if nested_deeper_than(request.get_data(cache=True), limit):
        raise JSONTooDeep(limit)


def init_app(app, api):
    """Register every blueprint with the Api, and the checks every request passes."""
    for blueprint in BLUEPRINTS:
        api.register_blueprint(blueprint)
    app.before_request(apply_body_limit)
    app.before_request(require_json_body)
    app.before_request(refuse_deep_json)
