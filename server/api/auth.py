"""Sign in per device or to the console, sign out, and who am I."""

from flask import after_this_request, current_app, g
from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.auth import (
    ConsoleSessionSchema,
    MeSchema,
    SessionRequestSchema,
    TokenRequestSchema,
    TokenSchema,
)
from server.api.security import SESSION_COOKIE, csrf_token, login_required
from server.extensions import db
from server.services import use_cases

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="Accounts and device tokens")

# How a console session is listed among the user's devices, beside their phones.
CONSOLE_DEVICE = "网页控制台 (browser)"


def me_record(user):
    """Return what a signed-in user sees of themselves."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "department": user.department.code if user.department else None,
        "department_name": user.department.name if user.department else None,
        "grids": [grid.code for grid in user.grids],
    }


def session_record(user, token):
    """Return the console session's body: the user and the CSRF token of `token`."""
    return {"csrf_token": csrf_token(current_app.config["SECRET_KEY"], token), **me_record(user)}


def _cookie_attributes():
    # Strict: a page on another site can never make the browser send it.
    secure = bool(current_app.config["SESSION_COOKIE_SECURE"])
    return {"path": "/", "httponly": True, "samesite": "Strict", "secure": secure}


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


@blp.route("/auth/session")
class ConsoleSession(MethodView):
    @blp.arguments(SessionRequestSchema)
    @blp.response(201, ConsoleSessionSchema)
    @blp.doc(security=[])
    def post(self, body):
        """Sign in to the web console: the session travels in the HttpOnly cookie
        hz_session; send the answer's csrf_token as X-CSRF-Token with every write."""
        token, row = use_cases.sign_in(
            db.session, body["username"], body["password"], CONSOLE_DEVICE
        )

        @after_this_request
        def set_cookie(response):
            response.set_cookie(SESSION_COOKIE, token, **_cookie_attributes())
            return response

        return session_record(row.user, token)

    @blp.response(200, ConsoleSessionSchema)
    @login_required(cookie_only=True)
    def get(self):
        """Return the console session of the cookie (after a page reload)."""
        return session_record(g.user, g.auth_token)

    @blp.response(204)
    @login_required(cookie_only=True)
    def delete(self):
        """Sign the console out: revoke its session and clear the cookie."""
        use_cases.sign_out(db.session, g.device_token)

        @after_this_request
        def clear_cookie(response):
            response.delete_cookie(SESSION_COOKIE, **_cookie_attributes())
            return response


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeSchema)
    @login_required()
    def get(self):
        """Return the signed-in user, their role, department and grids."""
        return me_record(g.user)
