"""Who may see which hazards, and who may learn who reported them (SPEC §5)."""

import sqlalchemy as sa

from server.models import Hazard


def visible_to(viewer):
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


def may_see_reporter(viewer, hazard):
    """Say whether `viewer` may know who reported `hazard` (举报人保密)."""
    return viewer.role == "office" or viewer.id == hazard.reporter_id
