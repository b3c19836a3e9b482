"""Schemas for the office's management of accounts and their devices."""

import marshmallow as ma

from schemas.common import QuerySchema, StrictSchema
from server.vocabulary import ROLES


class DeviceSchema(ma.Schema):
    """A device signed in to an account (its token is never shown again)."""

    id = ma.fields.Integer()
    device_name = ma.fields.String()
    created_at = ma.fields.AwareDateTime(metadata={"description": "signed in"})
    last_used_at = ma.fields.AwareDateTime(
        allow_none=True,
        metadata={"description": "last request, to within five minutes; null: none since"},
    )
    revoked_at = ma.fields.AwareDateTime(allow_none=True)


class UserSchema(ma.Schema):
    """An account as the office sees it."""

    username = ma.fields.String()
    display_name = ma.fields.String()
    phone = ma.fields.String(allow_none=True)
    role = ma.fields.String()
    department = ma.fields.String(allow_none=True)
    grids = ma.fields.List(ma.fields.String())
    active = ma.fields.Boolean()
    password = ma.fields.String(
        load_only=True,
        validate=ma.validate.Length(8, 200),
        metadata={"description": "a new password (重置密码); signs out every device"},
    )
    devices = ma.fields.List(ma.fields.Nested(DeviceSchema))


class UserQuerySchema(QuerySchema):
    """Filters and paging of the account list."""

    role = ma.fields.String(validate=ma.validate.OneOf(ROLES), load_default=None)
    department = ma.fields.String(
        load_default=None, metadata={"description": "department code: its staff only"}
    )
    active = ma.fields.Boolean(
        load_default=None, metadata={"description": "true: enabled accounts; false: disabled"}
    )
    after = ma.fields.String(
        load_default=None, metadata={"description": "the last username of the previous page"}
    )
    limit = ma.fields.Integer(load_default=200, validate=ma.validate.Range(1, 500))


class UserCreateSchema(StrictSchema):
    """A new account: a department for department staff, grids for grid workers."""

    username = ma.fields.String(required=True, validate=ma.validate.Length(1, 80))
    password = ma.fields.String(required=True, validate=ma.validate.Length(8, 200))
    role = ma.fields.String(required=True, validate=ma.validate.OneOf(ROLES))
    display_name = ma.fields.String(load_default="", validate=ma.validate.Length(max=100))
    phone = ma.fields.String(load_default=None, validate=ma.validate.Length(max=30))
    department = ma.fields.String(load_default=None)
    grids = ma.fields.List(ma.fields.String(), load_default=list)


class UserChangeSchema(StrictSchema):
    """What the office may change of an account; `active: false` signs out every device."""

    display_name = ma.fields.String(validate=ma.validate.Length(1, 100))
    phone = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=30))
    grids = ma.fields.List(ma.fields.String())
    active = ma.fields.Boolean()
    password = ma.fields.String(
        load_only=True,
        validate=ma.validate.Length(8, 200),
        metadata={"description": "a new password (重置密码); signs out every device"},
    )
