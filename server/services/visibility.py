"""Who may see which hazards, and who may learn who reported them (SPEC §5)."""

from typing import Any

import sqlalchemy as sa

from server.models import Hazard, Inspection, User


def visible_to(viewer: User) -> sa.ColumnElement[bool]:
    """Return a SQL condition selecting the hazards `viewer` may see (SPEC §5)."""
    if viewer.role == "office":
        return sa.true()
    own = Hazard.reporter_id == viewer.id
    if viewer.role == "volunteer":
        return own
    if viewer.role == "grid_worker":
        return sa.or_(own, Hazard.grid_id.in_([g.id for g in viewer.grids]))
    if viewer.role == "dept_staff" and viewer.department is not None:
        department = viewer.department
        mine = Hazard.lead_department_id == department.id
        if department.area_id is not None:
            # A street office is the territorial owner (属地) of its street's hazards.
            return sa.or_(mine, Hazard.street_id == department.area_id)
        return mine
    return sa.false()


def may_see_reporter(viewer: User, hazard: Hazard | sa.Row[Any]) -> bool:
    """Say whether `viewer` may know who reported `hazard` (举报人保密)."""
    return viewer.role == "office" or viewer.id == hazard.reporter_id


def scope_contains(
    viewer: User,
    reporter_id: int,
    lead_department_id: int | None,
    territorial_department_id: int | None,
    grid_id: int | None,
) -> bool:
    """Say whether a hazard with these keys is in the viewer's scope (as visible_to does)."""
    if viewer.role == "office":
        return True
    if reporter_id == viewer.id:
        return True
    if viewer.role == "grid_worker":
        return grid_id is not None and grid_id in {g.id for g in viewer.grids}
    if viewer.role == "dept_staff" and viewer.department is not None:
        department = viewer.department
        return lead_department_id == department.id or (
            department.area_id is not None and territorial_department_id == department.id
        )
    return False


def scope_fingerprint(viewer: User) -> str:
    """Return a short text that changes whenever the viewer's scope changes."""
    grids = ",".join(str(g.id) for g in sorted(viewer.grids, key=lambda g: g.id))
    return f"{viewer.id}:{viewer.role}:{viewer.department_id}:{grids}"


def inspections_visible_to(viewer: User) -> sa.ColumnElement[bool]:
    """Return a SQL condition selecting the inspections `viewer` may see (SPEC §5).

    The office sees all; inspectors their own; grid workers those in their grids;
    a street office those in its street; a department those that found a hazard
    routed to it (its sector)."""
    if viewer.role == "office":
        return sa.true()
    own = Inspection.inspector_id == viewer.id
    if viewer.role == "grid_worker":
        return sa.or_(own, Inspection.grid_id.in_([g.id for g in viewer.grids]))
    if viewer.role == "dept_staff" and viewer.department is not None:
        routed = sa.exists().where(
            Hazard.inspection_id == Inspection.id,
            Hazard.lead_department_id == viewer.department_id,
        )
        if viewer.department.area_id is not None:
            return sa.or_(own, routed, Inspection.street_id == viewer.department.area_id)
        return sa.or_(own, routed)
    return own
