"""Schemas for invite codes (邀请码) and joining with one."""

import marshmallow as ma

from schemas.common import NOT_BLANK, StrictSchema
from server.services.invites import INVITE_STATES

QUOTA = ma.validate.Range(1, 100_000)


class InviteSchema(ma.Schema):
    """An invite code as the office sees it."""

    code = ma.fields.String(metadata={"example": "K7QM3XWA"})
    label = ma.fields.String(metadata={"description": "the campaign or community it is for"})
    area = ma.fields.String(allow_none=True, metadata={"description": "area code"})
    area_name = ma.fields.String(allow_none=True)
    quota = ma.fields.Integer(metadata={"description": "how many may join with it"})
    used = ma.fields.Integer(metadata={"description": "how many have joined with it"})
    expires_at = ma.fields.AwareDateTime()
    active = ma.fields.Boolean(metadata={"description": "false: deactivated (停用)"})
    state = ma.fields.String(
        validate=ma.validate.OneOf(INVITE_STATES),
        metadata={"description": "whether it lets people join now, or why not"},
    )
    join_path = ma.fields.String(
        metadata={
            "description": "the phone app's join page with this code, for a poster",
            "example": "/app/join?code=K7QM3XWA",
        }
    )
    created_by = ma.fields.String(metadata={"description": "username"})
    created_at = ma.fields.AwareDateTime()


class InviteCreateSchema(StrictSchema):
    """A new invite code; the server draws the code."""

    label = ma.fields.String(
        required=True,
        validate=[ma.validate.Length(1, 100), NOT_BLANK],
        metadata={"example": "安全生产月·中仓社区"},
    )
    area = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(1, 40),
        metadata={"description": "area code (a street, community or grid)"},
    )
    quota = ma.fields.Integer(required=True, validate=QUOTA, metadata={"example": 50})
    expires_at = ma.fields.AwareDateTime(
        required=True,
        metadata={"description": "must be in the future", "example": "2026-12-31T23:59:59+08:00"},
    )


class InviteChangeSchema(StrictSchema):
    """What the office may change of an invite code."""

    active = ma.fields.Boolean(metadata={"description": "false: deactivate (停用)"})
    quota = ma.fields.Integer(
        validate=QUOTA, metadata={"description": "not below how many have joined"}
    )
    expires_at = ma.fields.AwareDateTime(metadata={"description": "must be in the future"})


class JoinRequestSchema(StrictSchema):
    """A new volunteer joining with an invite code, from this device."""

    code = ma.fields.String(
        required=True,
        validate=ma.validate.Length(1, 20),
        metadata={"description": "case, spaces and dashes do not matter", "example": "K7QM3XWA"},
    )
    phone = ma.fields.String(
        required=True,
        validate=ma.validate.Length(1, 30),
        metadata={
            "description": "a mobile number; it becomes the username",
            "example": "13912345678",
        },
    )
    display_name = ma.fields.String(
        required=True,
        validate=[ma.validate.Length(1, 100), NOT_BLANK],
        metadata={"example": "张三"},
    )
    password = ma.fields.String(
        required=True,
        validate=ma.validate.Length(8, 200),
        metadata={"description": "the accounts' password rule"},
    )
    device_id = ma.fields.String(
        required=True,
        validate=ma.validate.Length(1, 100),
        metadata={"description": "the app's device id, made once and kept"},
    )
    device_name = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(1, 100),
        metadata={"description": "how the device is listed among the account's devices"},
    )
