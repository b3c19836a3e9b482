"""Inspection tasks (检查任务): a checklist, a set of places, a due date, and progress."""

import uuid
from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from server.models import (
    ChecklistVersion,
    Department,
    Inspection,
    InspectionTask,
    Place,
    User,
    task_assignees,
    task_places,
)
from server.services.errors import (
    InvalidInput,
)
from server.services.inspections.checklists import _template
from server.services.inspections.places import _within
from server.services.stats import rate
from server.vocabulary import PLACE_TYPES


def create_task(
    session: Session,
    office: User,
    *,
    title: str,
    template: str,
    due_on: date,
    place_types: Collection[str] = (),
    area: str | None = None,
    assignees: Collection[str] = (),
    department: str | None = None,
) -> InspectionTask:
    """Hand out a campaign task: the places of these types (in this area) to inspect."""
    checklist = _template(session, template)
    query = sa.select(Place.id).where(Place.status == "confirmed")
    if not place_types:  # the kinds of place the checklist's latest published version is for
        published = [v for v in checklist.versions if v.status == "published"]
        place_types = published[-1].place_types if published else ()
    if place_types:
        unknown = sorted(set(place_types) - set(PLACE_TYPES))
        if unknown:
            raise InvalidInput("unknown place types", errors={"place_types": unknown})
        query = query.where(Place.type.in_(place_types))
    if area:
        query = _within(session, query, area, "area")
    users = session.scalars(sa.select(User).where(User.username.in_(assignees))).all()
    if len(users) != len(set(assignees)):
        missing = sorted(set(assignees) - {u.username for u in users})
        raise InvalidInput("unknown assignees", errors={"assignees": missing})
    department_id: int | None = None
    if department:
        department_id = session.scalar(sa.select(Department.id).filter_by(code=department))
        if department_id is None:
            raise InvalidInput("unknown department", errors={"department": [department]})
    if not users and department_id is None:
        raise InvalidInput("assign the task to grid workers or a department")
    place_ids = session.scalars(query).all()
    if not place_ids:
        raise InvalidInput("no places match this task", errors={"place_types": ["none match"]})
    task = InspectionTask(
        title=title,
        template_id=checklist.id,
        due_on=due_on,
        department_id=department_id,
        created_by_id=office.id,
    )
    session.add(task)
    session.flush()
    session.execute(
        sa.insert(task_places), [{"task_id": task.id, "place_id": p} for p in place_ids]
    )
    if users:
        session.execute(
            sa.insert(task_assignees), [{"task_id": task.id, "user_id": u.id} for u in users]
        )
    session.flush()
    return task


def tasks_for(session: Session, viewer: User) -> Sequence[InspectionTask]:
    """Return the tasks a viewer works on (the office: all of them)."""
    query = sa.select(InspectionTask).order_by(InspectionTask.due_on, InspectionTask.id)
    if viewer.role != "office":
        mine = sa.select(task_assignees.c.task_id).where(task_assignees.c.user_id == viewer.id)
        condition: sa.ColumnElement[bool] = InspectionTask.id.in_(mine)
        if viewer.department_id is not None:
            condition = sa.or_(condition, InspectionTask.department_id == viewer.department_id)
        query = query.where(condition)
    return session.scalars(query).all()


def task_cards(
    session: Session, tasks: Sequence[InspectionTask], today: date
) -> list[dict[str, Any]]:
    """Return each task as its assignees and the office see it: what, by when, its
    places, and how far it has got (coverage, overdue). A place counts as done once
    inspected against the task's checklist (any version) for the task, or received
    since the task was handed out (phones' clocks are not trusted to say when)."""
    if not tasks:
        return []
    ids = [task.id for task in tasks]
    places: dict[int, list[uuid.UUID]] = {}
    for task_id, place_id in session.execute(
        sa.select(task_places.c.task_id, task_places.c.place_id).where(
            task_places.c.task_id.in_(ids)
        )
    ):
        places.setdefault(task_id, []).append(place_id)
    done: dict[int, int] = dict(
        session.execute(
            sa.select(task_places.c.task_id, sa.func.count(sa.distinct(Inspection.place_id)))
            .join(InspectionTask, InspectionTask.id == task_places.c.task_id)
            .join(Inspection, Inspection.place_id == task_places.c.place_id)
            .join(ChecklistVersion, ChecklistVersion.id == Inspection.version_id)
            .where(
                task_places.c.task_id.in_(ids),
                ChecklistVersion.template_id == InspectionTask.template_id,
                sa.or_(
                    Inspection.task_id == InspectionTask.id,
                    Inspection.received_at >= InspectionTask.created_at,
                ),
            )
            .group_by(task_places.c.task_id)
        ).all()
    )
    cards: list[dict[str, Any]] = []
    for task in tasks:
        total, finished = len(places.get(task.id, ())), done.get(task.id, 0)
        cards.append(
            {
                "id": task.id,
                "title": task.title,
                "template": task.template.code,
                "due_on": task.due_on,
                "places": places.get(task.id, []),
                "total": total,
                "done": finished,
                "coverage": rate(finished, total),
                "overdue": task.due_on < today and finished < total,
            }
        )
    return cards
