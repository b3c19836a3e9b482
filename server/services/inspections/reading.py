"""Inspections as whoever may see them sees them (SPEC §5, §10)."""

import sqlalchemy as sa

from server.models import (
    Inspection,
)
from server.services.errors import (
    NotFound,
)
from server.services.visibility import inspections_visible_to


def inspection_detail(session, viewer, inspection_id):
    """Return an inspection the viewer may see, with its answers."""
    inspection = session.scalar(
        sa.select(Inspection).where(Inspection.id == inspection_id, inspections_visible_to(viewer))
    )
    if inspection is None:
        raise NotFound("no such inspection")
    return inspection


def list_inspections(session, viewer, *, place=None, limit=200):
    """Return the latest inspections the viewer may see, newest first (of a place)."""
    query = (
        sa.select(Inspection)
        .where(inspections_visible_to(viewer))
        .order_by(Inspection.finished_at.desc(), Inspection.id)
        .limit(limit)
    )
    if place is not None:
        query = query.where(Inspection.place_id == place)
    return session.scalars(query).all()
