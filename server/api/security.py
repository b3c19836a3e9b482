"""Authentication for views: a phone's bearer token or the console's session cookie (with
a CSRF check on the cookie's writes), and role checks."""

import hashlib
import hmac
from functools import wraps

from flask import current_app, g, request

from server.extensions import db
from server.services import use_cases
from server.services.accounts import authenticate, last_use_due
from server.services.errors import AuthenticationFailed, PermissionDenied

# The console's session: a DeviceToken like a phone's, carried in an HttpOnly cookie so
# that no script on the page can read it.
SESSION_COOKIE = "hz_session"
CSRF_HEADER = "X-CSRF-Token"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class CsrfFailed(PermissionDenied):
    """A write sent with the session cookie but without its CSRF token: the browser
    attaches the cookie to any request, so only the header proves the console sent it."""

    code = "csrf_failed"


def csrf_token(secret: str, session_token: str) -> str:
    """Return the CSRF token of a console session: an HMAC of its token, so nothing is stored
    and a page script learns nothing it could sign in with."""
    message = b"hz-csrf:" + session_token.encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _bearer_token():
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _credential(cookie_only):
    """Return (token, "bearer" or "cookie"): a bearer token if one is sent, else the
    session cookie; (None, None) when there is neither."""
    bearer = None if cookie_only else _bearer_token()
    if bearer is not None:
        return bearer, "bearer"
    cookie = request.cookies.get(SESSION_COOKIE)
    return (cookie, "cookie") if cookie else (None, None)


def _check_csrf(session_token):
    """Refuse a write made with the cookie unless it carries the session's CSRF token."""
    if request.method not in WRITES:
        return
    sent = request.headers.get(CSRF_HEADER, "").encode()
    expected = csrf_token(current_app.config["SECRET_KEY"], session_token).encode()
    if not hmac.compare_digest(sent, expected):
        raise CsrfFailed(
            f"a write from the console must carry the {CSRF_HEADER} header of its session"
        )


def login_required(*roles, cookie_only=False):
    """Require a live bearer token or console session cookie, and one of `roles` when any
    are named; a write with the cookie must carry the CSRF header. `cookie_only`: the
    console session alone (its own endpoints)."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            token, via = _credential(cookie_only)
            if token is None and cookie_only:
                raise AuthenticationFailed("no console session: sign in at /api/v1/auth/session")
            device_token = authenticate(db.session, token)
            if last_use_due(device_token):  # its own transaction, before the view's work
                use_cases.note_device_use(db.session, device_token.id)
            if via == "cookie":
                _check_csrf(token)
            g.device_token = device_token
            g.user = device_token.user
            g.auth_via, g.auth_token = via, token
            if roles and g.user.role not in roles:
                raise PermissionDenied(
                    f"this needs one of the roles {', '.join(roles)}; you are {g.user.role}"
                )
            return view(*args, **kwargs)

        return wrapper

    return decorator
