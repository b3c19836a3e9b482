"""Invite codes (邀请码): the office hands them out; a new volunteer joins with one."""

from flask import current_app, g
from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.auth import TokenSchema
from schemas.invites import (
    InviteChangeSchema,
    InviteCreateSchema,
    InviteSchema,
    JoinRequestSchema,
)
from server.api.security import login_required
from server.extensions import db
from server.models import utcnow
from server.services import invites, use_cases

blp = Blueprint(
    "invites", __name__, url_prefix="/api/v1", description="Invite codes and joining with one"
)

# The phone app's page a poster's link or QR code opens.
JOIN_PAGE = "/app/join?code="


def invite_record(invite, now):
    """Return what the office sees of an invite code."""
    return {
        "code": invite.code,
        "label": invite.label,
        "area": invite.area.code if invite.area else None,
        "area_name": invite.area.name if invite.area else None,
        "quota": invite.quota,
        "used": invite.used,
        "expires_at": invite.expires_at,
        "active": invite.active,
        "state": invites.invite_state(invite, now),
        "join_path": JOIN_PAGE + invite.code,
        "created_by": invite.created_by.username,
        "created_at": invite.created_at,
    }


@blp.route("/invites")
class Invites(MethodView):
    @blp.response(200, InviteSchema(many=True))
    @login_required("office")
    def get(self):
        """List every invite code, newest first, with how many have joined (office)."""
        now = utcnow()
        return [invite_record(invite, now) for invite in invites.list_invites(db.session)]

    @blp.response(201, InviteSchema)
    @login_required("office")
    @blp.arguments(InviteCreateSchema)
    def post(self, body):
        """Create an invite code for a campaign or community (office); the server draws
        the code, eight characters without 0/O or 1/I."""
        invite = use_cases.create_invite(db.session, g.user, **body)
        return invite_record(invite, utcnow())


@blp.route("/invites/<code>")
class OneInvite(MethodView):
    @blp.response(200, InviteSchema)
    @login_required("office")
    @blp.arguments(InviteChangeSchema, required=False)  # no body: nothing changes
    def patch(self, changes, code):
        """Deactivate (`active: false`) or reactivate an invite code, or change its quota
        or expiry (office); whoever joined with it stays."""
        invite = use_cases.change_invite(db.session, code, changes)
        return invite_record(invite, utcnow())


@blp.route("/auth/join")
class Join(MethodView):
    @blp.arguments(JoinRequestSchema)
    @blp.response(201, TokenSchema)
    @blp.doc(security=[])
    def post(self, body):
        """Join as a volunteer with an invite code: the phone number becomes the username,
        and the answer is this device's bearer token, as signing in gives. Refused, and
        nothing kept, for an unknown, deactivated, expired or used-up code (codes
        `invite_unknown`, `invite_inactive`, `invite_expired`, `invite_used_up`) or a phone
        number already registered (`phone_taken`)."""
        token, row = use_cases.join_with_invite(
            db.session, **body, password_method=current_app.config["PASSWORD_HASH_METHOD"]
        )
        return {"token": token, "token_type": "Bearer", "device_name": row.device_name}
