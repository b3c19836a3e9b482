"""Sign in per device, sign out, and who am I."""

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.auth import MeSchema, TokenRequestSchema, TokenSchema
from server.api.security import login_required
from server.extensions import db
from server.services import use_cases

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="Accounts and device tokens")


@blp.route("/auth/tokens")
class Tokens(MethodView):
    @blp.arguments(TokenRequestSchema)
    @blp.response(201, TokenSchema)
    @blp.doc(security=[])
    def post(self, body):
        """Exchange a username and password for this device's bearer token."""
        token, row = use_cases.sign_in(
            db.session, body["username"], body["password"], body["device_name"]
        )
        return {"token": token, "token_type": "Bearer", "device_name": row.device_name}


@blp.route("/auth/tokens/current")
class CurrentToken(MethodView):
    @blp.response(204)
    @login_required()
    def delete(self):
        """Revoke the token this request was made with (sign this device out)."""
        use_cases.sign_out(db.session, g.device_token)


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeSchema)
    @login_required()
    def get(self):
        """Return the signed-in user, their role, department and grids."""
        user = g.user
        return {
            "username": user.username,
            "display_name": user.display_name,
            "role": user.role,
            "department": user.department.code if user.department else None,
            "department_name": user.department.name if user.department else None,
            "grids": [grid.code for grid in user.grids],
        }
