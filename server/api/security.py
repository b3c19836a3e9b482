"""Bearer-token authentication and role checks for views."""

from functools import wraps

from flask import g, request

from server.extensions import db
from server.services.accounts import authenticate
from server.services.errors import PermissionDenied


def _bearer_token():
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def login_required(*roles):
    """Require a live bearer token, and one of `roles` when any are named."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            device_token = authenticate(db.session, _bearer_token())
            g.device_token = device_token
            g.user = device_token.user
            if roles and g.user.role not in roles:
                raise PermissionDenied(
                    f"this needs one of the roles {', '.join(roles)}; you are {g.user.role}"
                )
            return view(*args, **kwargs)

        return wrapper

    return decorator
