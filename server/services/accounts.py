"""Accounts: users, password checks, per-device bearer tokens."""

import hashlib
import secrets
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from server.models import Area, Department, DeviceToken, User, utcnow
from server.services.errors import (
    AlreadyExists,
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from server.vocabulary import ROLES

# Compared against when the username is unknown, so a wrong name costs as much
# time as a wrong password and does not reveal which accounts exist.
_DUMMY_HASH = generate_password_hash("not-a-password", method="pbkdf2:sha256:600000")


def hash_token(token: str) -> str:
    """Return the stored form of a bearer token (tokens are random, so SHA-256 suffices)."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    session: Session,
    username: str,
    *,
    role: str,
    password: str,
    department_code: str | None = None,
    grid_codes: Collection[str] = (),
    display_name: str = "",
    phone: str | None = None,
    password_method: str = "scrypt",
) -> User:
    """Create a user with a role and, where it applies, a department or grids."""
    errors: dict[str, list[str]] = {}
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
            elif not department.active:
                errors["department"] = [f"department {department_code!r} is deactivated (已停用)"]
    elif department_code:
        errors["department"] = ["only department staff belong to a department"]
    grids = _grids(session, role, grid_codes, errors)
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


def _grids(
    session: Session, role: str, grid_codes: Collection[str], errors: dict[str, list[str]]
) -> list[Area]:
    """Return the grid Areas of `grid_codes`, noting in `errors` what is wrong."""
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
    return grids


def list_users(
    session: Session,
    *,
    role: str | None = None,
    department: str | None = None,
    active: bool | None = None,
    after: str | None = None,
    limit: int = 200,
) -> Sequence[User]:
    """Return users in username order (of a role, of a department, active or not; after a
    username, for the next page)."""
    query = sa.select(User).order_by(User.username).limit(limit)
    if role is not None:
        query = query.where(User.role == role)
    if department is not None:
        query = query.join(Department, User.department_id == Department.id).where(
            Department.code == department
        )
    if active is not None:
        query = query.where(User.active.is_(active))
    if after is not None:
        query = query.where(User.username > after)
    return session.scalars(query).all()


def user_devices(session: Session, user_ids: Collection[int]) -> dict[int, list[DeviceToken]]:
    """Return {user id: [DeviceToken]} of these users, newest first (never the tokens)."""
    devices: dict[int, list[DeviceToken]] = {}
    query = (
        sa.select(DeviceToken)
        .where(DeviceToken.user_id.in_(user_ids))
        .order_by(DeviceToken.created_at.desc(), DeviceToken.id.desc())
    )
    for row in session.scalars(query):
        devices.setdefault(row.user_id, []).append(row)
    return devices


def get_user(session: Session, username: str) -> User:
    """Return the user with this username, or raise NotFound."""
    user = session.scalar(sa.select(User).filter_by(username=username))
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def update_user(
    session: Session,
    actor: User,
    username: str,
    changes: Mapping[str, Any],
    *,
    now: datetime | None = None,
    password_method: str = "scrypt",
) -> User:
    """Change a user's name, phone, grids or whether the account is active, or reset their
    password. Disabling an account revokes every device's token: a lost phone stops
    working at once; so does a reset, as a changed lock keeps out an old key."""
    user = get_user(session, username)
    errors: dict[str, list[str]] = {}
    if "grids" in changes:
        grids = _grids(session, user.role, changes["grids"], errors)
    if "password" in changes and len(changes["password"] or "") < 8:
        errors["password"] = ["must be at least 8 characters"]
    if errors:
        raise InvalidInput("the user cannot be changed as given", errors=errors)
    if changes.get("active") is False and user.id == actor.id:
        raise Conflict("you cannot disable your own account")
    for name in ("display_name", "phone", "active"):
        if name in changes:
            setattr(user, name, changes[name])
    if "grids" in changes:
        user.grids = grids
    if "password" in changes:
        user.password_hash = generate_password_hash(changes["password"], method=password_method)
    if changes.get("active") is False or "password" in changes:
        session.execute(
            sa.update(DeviceToken)
            .where(DeviceToken.user_id == user.id, DeviceToken.revoked_at.is_(None))
            .values(revoked_at=now or utcnow())
        )
    session.flush()
    return user


def revoke_device(
    session: Session, actor: User, username: str, device_id: int, *, now: datetime | None = None
) -> DeviceToken:
    """Revoke one device's token: the office for anyone, a user for their own devices."""
    user = get_user(session, username) if actor.role == "office" else actor
    if actor.role != "office" and username != actor.username:
        raise PermissionDenied("you may only sign out your own devices")
    row = session.scalar(sa.select(DeviceToken).filter_by(id=device_id, user_id=user.id))
    if row is None:
        raise NotFound(f"no device {device_id} of {username!r}")
    if row.revoked_at is None:
        row.revoked_at = now or utcnow()
    session.flush()
    return row


def issue_token(
    session: Session, username: str, password: str, device_name: str
) -> tuple[str, DeviceToken]:
    """Check a password and return (token, DeviceToken) for a new device session."""
    user = session.scalar(sa.select(User).filter_by(username=username))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        raise AuthenticationFailed("wrong username or password")
    if not check_password_hash(user.password_hash, password) or not user.active:
        raise AuthenticationFailed("wrong username or password")
    return open_device_session(session, user, device_name)


def open_device_session(session: Session, user: User, device_name: str) -> tuple[str, DeviceToken]:
    """Return (token, DeviceToken) of a new device session of `user`, whose credentials
    the caller has checked (a password, or an invite code they joined with just now)."""
    token = secrets.token_urlsafe(32)
    # Signing in is a use: the device's first requests, often several at once as a page
    # loads, then find nothing to note.
    now = utcnow()
    row = DeviceToken(
        user=user,
        token_hash=hash_token(token),
        device_name=device_name,
        created_at=now,
        last_used_at=now,
    )
    session.add(row)
    session.flush()
    return token, row


def authenticate(session: Session, token: str | None) -> DeviceToken:
    """Return the live DeviceToken of a bearer token or console session, or raise
    AuthenticationFailed."""
    if not token:
        raise AuthenticationFailed("a bearer token (or the console's session cookie) is required")
    row = session.scalar(sa.select(DeviceToken).filter_by(token_hash=hash_token(token)))
    if row is None or row.revoked_at is not None:
        raise AuthenticationFailed("the token is not valid or has been revoked")
    if not row.user.active:
        raise AuthenticationFailed("the account is disabled")
    return row


# A device's last use is written at most this often, not on every request it makes.
LAST_USE_STEP = timedelta(minutes=5)


def last_use_due(device: DeviceToken, now: datetime | None = None) -> bool:
    """Return whether a device's last use is older than LAST_USE_STEP (or never noted)."""
    last = device.last_used_at
    return last is None or last < (now or utcnow()) - LAST_USE_STEP


def note_device_use(session: Session, device_id: int, *, now: datetime | None = None) -> None:
    """Record that a device used its token now, for the office's list of a user's devices
    (a lost phone still in use shows it); within LAST_USE_STEP of the last record, write
    nothing, so a busy device costs no write per request."""
    now = now or utcnow()
    session.execute(
        sa.update(DeviceToken)
        .where(
            DeviceToken.id == device_id,
            sa.or_(
                DeviceToken.last_used_at.is_(None),
                DeviceToken.last_used_at < now - LAST_USE_STEP,
            ),
        )
        .values(last_used_at=now)
    )


def revoke_token(session: Session, device_token: DeviceToken) -> None:
    """Revoke one device's token; later requests with it are refused."""
    device_token.revoked_at = utcnow()
    session.flush()
