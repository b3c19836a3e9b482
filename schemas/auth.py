"""Schemas for signing in and the signed-in user."""

import marshmallow as ma

from schemas.common import StrictSchema


class TokenRequestSchema(StrictSchema):
    """Credentials exchanged for a device token."""

    username = ma.fields.String(required=True, validate=ma.validate.Length(1, 80))
    password = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    device_name = ma.fields.String(required=True, validate=ma.validate.Length(1, 100))


class TokenSchema(ma.Schema):
    """A new bearer token; it is shown once and stored only as a hash."""

    token = ma.fields.String(required=True)
    token_type = ma.fields.String(dump_default="Bearer")
    device_name = ma.fields.String()


class MeSchema(ma.Schema):
    """The signed-in user."""

    username = ma.fields.String()
    display_name = ma.fields.String()
    role = ma.fields.String()
    department = ma.fields.String(allow_none=True)
    department_name = ma.fields.String(allow_none=True)
    grids = ma.fields.List(ma.fields.String())


class SessionRequestSchema(StrictSchema):
    """Credentials exchanged for a console session (the device is the browser)."""

    username = ma.fields.String(required=True, validate=ma.validate.Length(1, 80))
    password = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))


class ConsoleSessionSchema(MeSchema):
    """The console's session: who is signed in, and the CSRF token its writes carry."""

    csrf_token = ma.fields.String(
        metadata={"description": "send as the X-CSRF-Token header with every write"}
    )
