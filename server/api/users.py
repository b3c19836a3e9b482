"""Accounts and their devices, for the office (SPEC §1); everyone's own devices."""

from flask import current_app, g
from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.users import (
    DeviceSchema,
    UserChangeSchema,
    UserCreateSchema,
    UserQuerySchema,
    UserSchema,
)
from server.api.security import login_required
from server.extensions import db
from server.services import accounts, use_cases

blp = Blueprint("users", __name__, url_prefix="/api/v1", description="Accounts and devices")


def user_record(user, devices):
    return {
        "username": user.username,
        "display_name": user.display_name,
        "phone": user.phone,
        "role": user.role,
        "department": user.department.code if user.department else None,
        "grids": [grid.code for grid in user.grids],
        "active": user.active,
        "devices": devices,
    }


def _records(users):
    devices = accounts.user_devices(db.session, [u.id for u in users])
    return [user_record(u, devices.get(u.id, [])) for u in users]


@blp.route("/users")
class Users(MethodView):
    @blp.response(200, UserSchema(many=True))
    @login_required("office")
    @blp.arguments(UserQuerySchema, location="query")
    def get(self, query):
        """List accounts by username, with their devices (office); of a role, of a
        department, enabled or disabled."""
        return _records(accounts.list_users(db.session, **query))

    @blp.response(201, UserSchema)
    @login_required("office")
    @blp.arguments(UserCreateSchema)
    def post(self, body):
        """Create an account (office)."""
        user = use_cases.create_account(
            db.session,
            body["username"],
            role=body["role"],
            password=body["password"],
            department_code=body["department"],
            grid_codes=body["grids"],
            display_name=body["display_name"],
            phone=body["phone"],
            password_method=current_app.config["PASSWORD_HASH_METHOD"],
        )
        return user_record(user, [])


@blp.route("/users/<username>")
class OneUser(MethodView):
    @blp.response(200, UserSchema)
    @login_required("office")
    def get(self, username):
        """Return one account with its devices (office)."""
        [record] = _records([accounts.get_user(db.session, username)])
        return record

    @blp.response(200, UserSchema)
    @login_required("office")
    @blp.arguments(UserChangeSchema, required=False)  # no body: nothing changes
    def patch(self, changes, username):
        """Change an account; `active: false` disables it and `password` resets its
        password, either signing out all its devices."""
        user = use_cases.change_account(
            db.session,
            g.user,
            username,
            changes,
            password_method=current_app.config["PASSWORD_HASH_METHOD"],
        )
        [record] = _records([user])
        return record


@blp.route("/users/<username>/devices/<int:device_id>")
class OneDevice(MethodView):
    @blp.response(200, DeviceSchema)
    @login_required()
    def delete(self, username, device_id):
        """Sign a device out (a lost phone): the office for anyone, a user for their own."""
        return use_cases.sign_out_device(db.session, g.user, username, device_id)


@blp.route("/me/devices")
class MyDevices(MethodView):
    @blp.response(200, DeviceSchema(many=True))
    @login_required()
    def get(self):
        """List the devices signed in to your account, to sign out one you lost."""
        return accounts.user_devices(db.session, [g.user.id]).get(g.user.id, [])
