"""Inspections as whoever may see them sees them (SPEC §5, §10)."""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.models import (
    Inspection,
    User,
)
from server.services.errors import (
    NotFound,
)
from server.services.visibility import inspections_visible_to


def inspection_detail(session: Session, viewer: User, inspection_id: uuid.UUID) -> Inspection:
    """Return an inspection the viewer may see, with its answers."""
    inspection = session.scalar(
        sa.select(Inspection).where(Inspection.id == inspection_id, inspections_visible_to(viewer))
    )
    if inspection is None:
        raise NotFound("no such inspection")
    return inspection


def list_inspections(
    session: Session, viewer: User, *, place: uuid.UUID | None = None, limit: int = 200
) -> Sequence[Inspection]:
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
