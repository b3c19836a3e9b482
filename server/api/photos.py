"""Photos: upload by SHA-256 (idempotent), fetch thumbnail, display image or original."""

import re

from flask import current_app, g, request, send_file
from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.photos import PhotoSchema
from server.api.security import login_required
from server.config import photo_rules
from server.extensions import db
from server.services import photos, use_cases
from server.services.errors import InvalidInput
from uploads import intake
from uploads.storage import photo_key

blp = Blueprint("photos", __name__, url_prefix="/api/v1", description="Photos (照片)")

SHA256 = re.compile(r"[0-9a-f]{64}")
IMAGE_BODY = {"schema": {"type": "string", "format": "binary"}}
SHA256_PARAMETER = {
    "in": "path",
    "name": "sha256",
    "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
    "description": "lowercase hex SHA-256 of the photo's bytes",
}
YEAR = 365 * 24 * 3600


def storage():
    """Return the app's photo storage."""
    return current_app.extensions["photo_storage"]


def _checked_name(sha256):
    if not SHA256.fullmatch(sha256):
        raise InvalidInput(
            "a photo is named by the lowercase hex SHA-256 of its bytes",
            errors={"sha256": ["must be 64 lowercase hex digits"]},
        )
    return sha256


@blp.route("/photos/<string:sha256>", parameters=[SHA256_PARAMETER])
class PhotoBytes(MethodView):
    @blp.response(201, PhotoSchema)
    @blp.alt_response(200, schema=PhotoSchema, description="Already stored: nothing new kept")
    @blp.doc(
        requestBody={
            "required": True,
            "content": {
                t: IMAGE_BODY
                for t in (
                    "image/jpeg",
                    "image/png",
                    "image/webp",
                    "image/heic",
                    "application/octet-stream",
                )
            },
        }
    )
    @login_required()
    def put(self, sha256):
        """Upload a photo's bytes under their SHA-256; a retry stores nothing twice."""
        _checked_name(sha256)
        config = current_app.config
        store = storage()
        received = intake.receive(
            request.stream,
            sha256,
            scratch_dir=store.scratch_dir(),
            max_bytes=config["PHOTO_MAX_BYTES"],
        )
        try:
            photo, created = use_cases.accept_photo(
                db.session,
                g.user,
                received,
                request.headers.get("Content-Type"),
                store,
                max_pixels=config["PHOTO_MAX_PIXELS"],
                rules=photo_rules(config),
            )
            return photo, 201 if created else 200
        finally:
            received.discard()


def _send(sha256, kind, media_type):
    response = send_file(
        storage().open(photo_key(kind, sha256)),
        mimetype=media_type,
        etag=f"{sha256}-{kind}",
        conditional=True,
        max_age=YEAR,
    )
    response.cache_control.public = False
    response.cache_control.private = True
    response.cache_control.immutable = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blp.route("/photos/<string:sha256>/<any(thumb, display):kind>", parameters=[SHA256_PARAMETER])
class PhotoDerivative(MethodView):
    @blp.doc(
        responses={
            "200": {
                "description": "JPEG, upright, with no metadata",
                "content": {"image/jpeg": IMAGE_BODY},
            }
        }
    )
    @login_required()
    def get(self, sha256, kind):
        """Fetch the thumbnail (320 px) or display image (1600 px) of a photo you may see."""
        photos.photo_for(db.session, g.user, _checked_name(sha256), kind)
        return _send(sha256, kind, "image/jpeg")


@blp.route("/photos/<string:sha256>/original", parameters=[SHA256_PARAMETER])
class PhotoOriginal(MethodView):
    @blp.doc(
        responses={
            "200": {
                "description": "the bytes as uploaded (office only)",
                "content": {"application/octet-stream": IMAGE_BODY},
            }
        }
    )
    @login_required()
    def get(self, sha256):
        """Fetch the original bytes, EXIF and all, as evidence (office only)."""
        photo = photos.photo_for(db.session, g.user, _checked_name(sha256), "original")
        response = _send(sha256, "original", photo.media_type)
        response.headers["Content-Disposition"] = f'attachment; filename="{sha256}"'
        return response
