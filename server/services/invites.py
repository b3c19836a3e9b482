"""Invite codes (邀请码): the office hands one out for a campaign or community, and
volunteers join with it from the phone app (SPEC §12).

A code is eight characters from an alphabet without 0/O and 1/I, so it is read off a
poster without doubt, and drawn at random (32⁸, about 10¹²), so it is not guessed. Up
to `quota` people join with it until it expires or the office deactivates it. Taking a
place is one conditional UPDATE (`used < quota`, active, not expired), never a read
then a write: of two joins racing for the last place exactly one gets it, and a check
constraint (`used <= quota`) would refuse the other even if the statement were wrong.
Everything a refused join did (the place it took, the account) is rolled back with it.
"""

import re
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.models import Area, DeviceToken, Invite, User, utcnow
from server.services.accounts import create_user, open_device_session
from server.services.errors import AlreadyExists, Conflict, InvalidInput, NotFound

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, no 1/I
CODE_LENGTH = 8
# The states a code is in, as the office's list shows them.
INVITE_STATES = ("active", "inactive", "expired", "used_up")

# A mainland mobile number, once spaces, dashes and a +86 are taken off.
_MOBILE = re.compile(r"1[3-9]\d{9}")
_PHONE_NOISE = re.compile(r"[\s\-()]")


class InviteRefused(Conflict):
    """A join refused by the state of its code: deactivated, expired or used up."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message, errors={"code": [message]})
        self.code = f"invite_{reason}"


class UnknownInvite(NotFound):
    """No invite has this code."""

    code = "invite_unknown"


class PhoneTaken(AlreadyExists):
    """An account already has this phone number: its owner signs in instead."""

    code = "phone_taken"


def new_code() -> str:
    """Return a fresh random invite code."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def clean_code(text: str) -> str:
    """Return a code as typed (lower case, spaces, a dash between halves) as stored."""
    return re.sub(r"[\s\-]", "", text).upper()


def mobile_number(text: str) -> str | None:
    """Return the 11-digit mobile number in `text` (spaces, dashes, +86 allowed), or None."""
    digits = _PHONE_NOISE.sub("", text)
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits.removeprefix(prefix)
    return digits if _MOBILE.fullmatch(digits) else None


def invite_state(invite: Invite, now: datetime | None = None) -> str:
    """Return whether a code still lets people join, or why not (one of INVITE_STATES)."""
    if not invite.active:
        return "inactive"
    if invite.expires_at <= (now or utcnow()):
        return "expired"
    if invite.used >= invite.quota:
        return "used_up"
    return "active"


def list_invites(session: Session) -> Sequence[Invite]:
    """Return every invite code, newest first (an office hands out tens, not thousands)."""
    return session.scalars(
        sa.select(Invite).order_by(Invite.created_at.desc(), Invite.id.desc())
    ).all()


def get_invite(session: Session, code: str) -> Invite:
    """Return the invite with this code, or raise NotFound."""
    invite = session.scalar(sa.select(Invite).filter_by(code=clean_code(code)))
    if invite is None:
        raise NotFound(f"no invite code {code!r}")
    return invite


def _future(expires_at: datetime, now: datetime, errors: dict[str, list[str]]) -> None:
    if expires_at <= now:
        errors["expires_at"] = ["must be in the future"]


def create_invite(
    session: Session,
    actor: User,
    *,
    label: str,
    quota: int,
    expires_at: datetime,
    area: str | None = None,
    now: datetime | None = None,
) -> Invite:
    """Create an invite code for a campaign or community (`label`), optionally of an area,
    for up to `quota` volunteers until `expires_at`."""
    errors: dict[str, list[str]] = {}
    if not label.strip():
        errors["label"] = ["must not be empty"]
    if quota < 1:
        errors["quota"] = ["must be a whole number from 1"]
    _future(expires_at, now or utcnow(), errors)
    found = None
    if area is not None:
        found = session.scalar(sa.select(Area).filter_by(code=area))
        if found is None:
            errors["area"] = [f"unknown area {area!r}"]
    if errors:
        raise InvalidInput("the invite code cannot be created as given", errors=errors)
    invite = Invite(
        # A clash with an existing code is a Claimed race: the use case draws again.
        code=new_code(),
        label=label.strip(),
        area=found,
        quota=quota,
        used=0,
        expires_at=expires_at,
        active=True,
        created_by=actor,
        created_at=now or utcnow(),
    )
    session.add(invite)
    session.flush()
    return invite


def change_invite(
    session: Session, code: str, changes: Mapping[str, Any], *, now: datetime | None = None
) -> Invite:
    """Deactivate (停用) or reactivate a code, or change its quota or expiry."""
    invite = get_invite(session, code)
    errors: dict[str, list[str]] = {}
    if "expires_at" in changes:
        _future(changes["expires_at"], now or utcnow(), errors)
    if "quota" in changes and changes["quota"] < 1:
        errors["quota"] = ["must be a whole number from 1"]
    if errors:
        raise InvalidInput("the invite code cannot be changed as given", errors=errors)
    if "quota" in changes:
        # Conditional, as joins are: a join taking a place meanwhile is counted.
        lowered = session.execute(
            sa.update(Invite)
            .where(Invite.id == invite.id, Invite.used <= changes["quota"])
            .values(quota=changes["quota"])
        )
        if lowered.rowcount != 1:  # type: ignore[attr-defined]
            session.refresh(invite)
            raise InvalidInput(
                f"the quota cannot be below the {invite.used} who have joined",
                errors={"quota": [f"at least {invite.used}"]},
            )
    for name in ("active", "expires_at"):
        if name in changes:
            setattr(invite, name, changes[name])
    session.flush()
    session.refresh(invite)
    return invite


def _take_place(session: Session, code: str, now: datetime) -> None:
    """Count one more join on `code` if it lets one in now, or raise why it does not."""
    taken = session.execute(
        sa.update(Invite)
        .where(
            Invite.code == code,
            Invite.active.is_(True),
            Invite.expires_at > now,
            Invite.used < Invite.quota,
        )
        .values(used=Invite.used + 1)
    )
    if taken.rowcount == 1:  # type: ignore[attr-defined]
        return
    invite = session.scalar(sa.select(Invite).filter_by(code=code))
    if invite is None:
        raise UnknownInvite("unknown invite code: check it and try again", errors={"code": [code]})
    state = invite_state(invite, now)
    if state == "inactive":
        raise InviteRefused("this invite code has been deactivated", "inactive")
    if state == "expired":
        raise InviteRefused("this invite code has expired", "expired")
    raise InviteRefused("this invite code has been used up", "used_up")


def join(
    session: Session,
    *,
    code: str,
    phone: str,
    display_name: str,
    password: str,
    device_id: str,
    device_name: str | None = None,
    now: datetime | None = None,
    password_method: str = "scrypt",
) -> tuple[str, DeviceToken]:
    """Make a volunteer account with an invite code, signed in on this device at once:
    return (token, DeviceToken). The phone number is the username."""
    number = mobile_number(phone)
    errors: dict[str, list[str]] = {}
    if number is None:
        errors["phone"] = ["not a mobile phone number (11 digits, starting with 1)"]
    if not display_name.strip():
        errors["display_name"] = ["must not be empty"]
    if errors:
        raise InvalidInput("the account cannot be created as given", errors=errors)
    assert number is not None
    registered = sa.select(User.id).where(sa.or_(User.username == number, User.phone == number))
    if session.scalar(registered.limit(1)) is not None:
        raise PhoneTaken(
            "this phone number is already registered: sign in instead",
            errors={"phone": ["already registered"]},
        )
    _take_place(session, clean_code(code), now or utcnow())
    user = create_user(
        session,
        number,
        role="volunteer",
        password=password,
        display_name=display_name.strip(),
        phone=number,
        password_method=password_method,
    )
    return open_device_session(session, user, device_name or f"手机应用 {device_id}"[:100])
