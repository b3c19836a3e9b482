"""Accounts: users, password checks, per-device bearer tokens."""

import hashlib
import secrets

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from server.models import ROLES, Area, Department, DeviceToken, User, utcnow
from server.services.errors import AlreadyExists, AuthenticationFailed, InvalidInput

# Compared against when the username is unknown, so a wrong name costs as much
# time as a wrong password and does not reveal which accounts exist.
_DUMMY_HASH = generate_password_hash("not-a-password", method="pbkdf2:sha256:600000")


def hash_token(token):
    """Return the stored form of a bearer token (tokens are random, so SHA-256 suffices)."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    session,
    username,
    *,
    role,
    password,
    department_code=None,
    grid_codes=(),
    display_name="",
    phone=None,
    password_method="scrypt",
):
    """Create a user with a role and, where it applies, a department or grids."""
    errors = {}
    if role not in ROLES:
        errors["role"] = [f"must be one of {', '.join(ROLES)}"]
    if not username or len(username) > 80:
        errors["username"] = ["must be 1 to 80 characters"]
    if not password or len(password) < 8:
        errors["password"] = ["must be at least 8 characters"]
    department = None
    if role == "dept_staff":
        if not department_code:
            errors["department"] = ["department staff need a department"]
        else:
            department = session.scalar(sa.select(Department).filter_by(code=department_code))
            if department is None:
                errors["department"] = [f"unknown department {department_code!r}"]
    elif department_code:
        errors["department"] = ["only department staff belong to a department"]
    grids = []
    if grid_codes and role != "grid_worker":
        errors["grid"] = ["only grid workers are given grids"]
    for code in grid_codes:
        grid = session.scalar(sa.select(Area).filter_by(code=code))
        if grid is None or grid.level != "grid":
            errors.setdefault("grid", []).append(f"unknown grid {code!r}")
        else:
            grids.append(grid)
    if role == "grid_worker" and not grid_codes:
        errors["grid"] = ["grid workers need at least one grid"]
    if errors:
        raise InvalidInput("the user cannot be created as given", errors=errors)
    if session.scalar(sa.select(User.id).filter_by(username=username)) is not None:
        raise AlreadyExists(f"user {username!r} already exists", errors={"username": [username]})
    user = User(
        username=username,
        role=role,
        department=department,
        grids=grids,
        display_name=display_name or username,
        phone=phone,
        password_hash=generate_password_hash(password, method=password_method),
    )
    session.add(user)
    session.flush()
    return user


def issue_token(session, username, password, device_name):
    """Check a password and return (token, DeviceToken) for a new device session."""
    user = session.scalar(sa.select(User).filter_by(username=username))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        raise AuthenticationFailed("wrong username or password")
    if not check_password_hash(user.password_hash, password) or not user.active:
        raise AuthenticationFailed("wrong username or password")
    token = secrets.token_urlsafe(32)
    row = DeviceToken(user=user, token_hash=hash_token(token), device_name=device_name)
    session.add(row)
    session.flush()
    return token, row


def authenticate(session, token):
    """Return the live DeviceToken for a bearer token, or raise AuthenticationFailed."""
    if not token:
        raise AuthenticationFailed("a bearer token is required")
    row = session.scalar(sa.select(DeviceToken).filter_by(token_hash=hash_token(token)))
    if row is None or row.revoked_at is not None:
        raise AuthenticationFailed("the token is not valid or has been revoked")
    if not row.user.active:
        raise AuthenticationFailed("the account is disabled")
    return row


def revoke_token(session, device_token):
    """Revoke one device's token; later requests with it are refused."""
    device_token.revoked_at = utcnow()
    session.flush()
