"""Inspection statistics (SPEC §10): places inspected per street/grid and week, pass
rate per checklist item, hazards found per inspection, task coverage. All from SQL
aggregation; a period is [from, to) of Shanghai days, by when inspections finished."""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from server.models import (
    Area,
    ChecklistItem,
    ChecklistTemplate,
    ChecklistVersion,
    Inspection,
    InspectionAnswer,
)
from server.services.errors import InvalidInput
from server.services.stats import Period, rate, week_start

GROUPS = ("street", "grid", "week")


def _counted(columns: Sequence[sa.ColumnElement[Any]]) -> tuple[sa.ColumnElement[Any], ...]:
    answer = InspectionAnswer.answer
    return (
        *columns,
        sa.func.count(sa.distinct(Inspection.id)).label("inspections"),
        sa.func.count(sa.distinct(Inspection.place_id)).label("places"),
        sa.func.count(InspectionAnswer.id).label("answered"),
        sa.func.sum(sa.case((answer == "pass", 1), else_=0)).label("passed"),
        sa.func.sum(sa.case((answer == "fail", 1), else_=0)).label("failed"),
        sa.func.sum(sa.case((answer == "na", 1), else_=0)).label("not_applicable"),
        sa.func.count(InspectionAnswer.hazard_id).label("hazards"),
    )


def _figures(row: sa.Row[*tuple[Any, ...]], key: str | None, label: str | None) -> dict[str, Any]:
    passed, failed = int(row.passed or 0), int(row.failed or 0)
    inspections = int(row.inspections or 0)
    hazards = int(row.hazards or 0)
    return {
        "key": key,
        "label": label,
        "inspections": inspections,
        "places_inspected": int(row.places or 0),
        "items_answered": int(row.answered or 0),
        "passed": passed,
        "failed": failed,
        "not_applicable": int(row.not_applicable or 0),
        "pass_rate": rate(passed, passed + failed),
        "hazards_found": hazards,
        "hazards_per_inspection": rate(hazards, inspections),
    }


def _in(the_period: Period) -> sa.ColumnElement[bool]:
    return sa.and_(
        Inspection.finished_at >= the_period.start_at, Inspection.finished_at < the_period.end_at
    )


def summary(
    session: Session, the_period: Period, group_by: str = "street", *, street_id: int | None = None
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Return (rows, total) of inspection figures for a period, grouped.

    Pass rate is passed / (passed + failed): 'not applicable' answers count in
    neither. With `street_id`, only inspections of places in that street.
    """
    if group_by not in GROUPS:
        raise InvalidInput("unknown grouping", errors={"group_by": [f"one of {list(GROUPS)}"]})
    dialect = session.get_bind().dialect.name
    where = _in(the_period)
    if street_id is not None:
        where = sa.and_(where, Inspection.street_id == street_id)
    base = sa.select().select_from(Inspection).join(InspectionAnswer).where(where)
    if group_by == "week":
        key = week_start(dialect, Inspection.finished_at).label("key")
        query = base.add_columns(*_counted([key])).group_by(key)
        labels = None
    else:
        area = aliased(Area)
        column = Inspection.street_id if group_by == "street" else Inspection.grid_id
        query = (
            base.add_columns(*_counted([area.code.label("key"), area.name.label("label")]))
            .outerjoin(area, area.id == column)
            .group_by(area.code, area.name)
        )
        labels = True
    rows = []
    for row in session.execute(query):
        label = row.label if labels else row.key
        rows.append(_figures(row, row.key, label))
    rows.sort(key=lambda r: r["key"] or "")
    total_row = session.execute(base.add_columns(*_counted([]))).one()
    return rows, _figures(total_row, "total", "合计")


def item_pass_rates(
    session: Session, the_period: Period, *, street_id: int | None = None
) -> list[dict[str, Any]]:
    """Return the pass rate of every checklist item answered in the period, by the
    item's code (stable across versions) within its checklist."""
    answer = InspectionAnswer.answer
    query = (
        sa.select(
            ChecklistTemplate.code.label("template"),
            ChecklistTemplate.name.label("template_name"),
            ChecklistItem.code.label("item"),
            sa.func.max(ChecklistItem.question).label("question"),
            sa.func.sum(sa.case((answer == "pass", 1), else_=0)).label("passed"),
            sa.func.sum(sa.case((answer == "fail", 1), else_=0)).label("failed"),
            sa.func.sum(sa.case((answer == "na", 1), else_=0)).label("not_applicable"),
        )
        .select_from(InspectionAnswer)
        .join(Inspection, Inspection.id == InspectionAnswer.inspection_id)
        .join(ChecklistItem, ChecklistItem.id == InspectionAnswer.item_id)
        .join(ChecklistVersion, ChecklistVersion.id == ChecklistItem.version_id)
        .join(ChecklistTemplate, ChecklistTemplate.id == ChecklistVersion.template_id)
        .where(_in(the_period), *([Inspection.street_id == street_id] if street_id else []))
        .group_by(ChecklistTemplate.code, ChecklistTemplate.name, ChecklistItem.code)
        .order_by(ChecklistTemplate.code, ChecklistItem.code)
    )
    result = []
    for row in session.execute(query):
        passed, failed = int(row.passed), int(row.failed)
        result.append(
            {
                "template": row.template,
                "template_name": row.template_name,
                "item": row.item,
                "question": row.question,
                "passed": passed,
                "failed": failed,
                "not_applicable": int(row.not_applicable),
                "pass_rate": rate(passed, passed + failed),
            }
        )
    return result
