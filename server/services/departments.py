"""Departments (责任单位) the office creates, renames and deactivates (停用).

A deactivated department takes no new hazards: routing skips the rules to it (a
hazard no other rule takes waits in office triage, saying why), the office cannot
assign to it and no account is created in it. What it already holds stays with it
until the office reassigns it, and its staff still sign in to finish that work.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.models import Area, Department, RoutingRule
from server.services.errors import AlreadyExists, InvalidInput, NotFound

# The kinds the office creates; the office itself (kind "office") comes with the system.
CREATABLE_KINDS = ("sector", "territorial")


def list_departments(session: Session) -> Sequence[Department]:
    """Return every department by code, deactivated ones too (they still hold hazards)."""
    return session.scalars(sa.select(Department).order_by(Department.code)).all()


def get_department(session: Session, code: str) -> Department:
    """Return the department with this code, or raise NotFound."""
    department = session.scalar(sa.select(Department).filter_by(code=code))
    if department is None:
        raise NotFound(f"no department {code!r}")
    return department


def add_department(
    session: Session, *, code: str, name: str, kind: str, area: str | None = None
) -> Department:
    """Create a sectoral bureau (行业主管部门) or a street office (街道办事处), the
    territorial owner (属地) of the street `area`."""
    errors: dict[str, list[str]] = {}
    if kind not in CREATABLE_KINDS:
        errors["kind"] = [f"must be one of {', '.join(CREATABLE_KINDS)}"]
    street = None
    if kind == "territorial":
        street = session.scalar(sa.select(Area).filter_by(code=area)) if area else None
        if street is None or street.level != "street":
            errors["area"] = ["a street office needs the code of its street (街道/乡镇)"]
    elif area is not None:
        errors["area"] = ["only a street office (territorial) has an area"]
    if errors:
        raise InvalidInput("the department cannot be created as given", errors=errors)
    if session.scalar(sa.select(Department.id).filter_by(code=code)) is not None:
        raise AlreadyExists(f"department {code!r} already exists", errors={"code": [code]})
    if street is not None:
        owner = session.scalar(
            sa.select(Department.code).filter_by(kind="territorial", area_id=street.id).limit(1)
        )
        if owner is not None:
            # Hazards in a street have one territorial owner; a second would get none.
            raise AlreadyExists(
                f"street {area} already has its street office {owner!r}",
                errors={"area": [f"taken by {owner}"]},
            )
    department = Department(code=code, name=name, kind=kind, area=street, active=True)
    session.add(department)
    session.flush()
    return department


def change_department(session: Session, code: str, changes: Mapping[str, Any]) -> Department:
    """Rename a department, or deactivate (停用) or reactivate it."""
    department = get_department(session, code)
    for field in ("name", "active"):
        if field in changes:
            setattr(department, field, changes[field])
    session.flush()
    return department


def refuse_if_inactive(department: Department, field: str = "department") -> None:
    """Raise InvalidInput if `department` is deactivated: it takes nothing new."""
    if not department.active:
        raise InvalidInput(
            f"department {department.code!r} is deactivated (已停用)",
            errors={field: [f"{department.code} is deactivated"]},
        )


def deactivated_rule(
    session: Session, category_id: int, area_ids: Iterable[int | None]
) -> str | None:
    """Return why a hazard waits for triage when the rules here send its category only to a
    deactivated department, or None when no such rule applies."""
    areas = [area for area in area_ids if area is not None]
    row = session.execute(
        sa.select(Department.code, Department.name)
        .join(RoutingRule, RoutingRule.department_id == Department.id)
        .where(
            RoutingRule.category_id == category_id,
            Department.active.is_(False),
            sa.or_(RoutingRule.area_id.is_(None), RoutingRule.area_id.in_(areas)),
        )
        .order_by(RoutingRule.priority.desc(), RoutingRule.id)
        .limit(1)
    ).first()
    if row is None:
        return None
    return (
        f"分派规则指向的部门已停用：{row.name} "
        f"(the routing rule sends it to {row.code}, which is deactivated)"
    )
