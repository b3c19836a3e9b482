"""Schemas for photos."""

import marshmallow as ma


class PhotoSchema(ma.Schema):
    """A stored photo, as its uploader sees it after the upload."""

    sha256 = ma.fields.String()
    media_type = ma.fields.String()
    size = ma.fields.Integer()
    width = ma.fields.Integer(metadata={"description": "upright, after EXIF orientation"})
    height = ma.fields.Integer()
    exif_status = ma.fields.String(metadata={"description": "ok, none or unreadable"})
    taken_at = ma.fields.AwareDateTime(allow_none=True)
    has_gps = ma.fields.Function(lambda p: p.gps_lat is not None)
