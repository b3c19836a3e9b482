"""Closure statistics and the weekly progress table for the office (SPEC §6)."""

import sqlalchemy as sa
from flask import Response, current_app, g
from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.stats import (
    InspectionStatsQuerySchema,
    InspectionStatsSchema,
    OverdueSchema,
    PeriodQuerySchema,
    SummaryQuerySchema,
    SummarySchema,
    TrendQuerySchema,
    VolunteerSchema,
    WeeklyQuerySchema,
    WeeklyTableSchema,
)
from server.api.security import login_required
from server.config import policy
from server.extensions import db
from server.models import Department, utcnow
from server.services import exports, inspection_stats, inspections, stats
from server.services.errors import InvalidInput, PermissionDenied
from server.services.workdays import shanghai_today

blp = Blueprint("stats", __name__, url_prefix="/api/v1/stats", description="Statistics (统计)")


def _department_scope(code=None):
    """Return the department whose figures alone are shown (None: all).

    Department staff see only their own; asking for another's is refused.
    """
    if code is not None:
        department = db.session.scalar(sa.select(Department).filter_by(code=code))
        if department is None:
            raise InvalidInput("unknown department", errors={"department": [code]})
        if g.user.role == "dept_staff" and department.id != g.user.department_id:
            raise PermissionDenied("a department sees only its own figures")
        return department.id
    return g.user.department_id if g.user.role == "dept_staff" else None


def _summary(the_period, group_by, department=None):
    scope = _department_scope(department)
    rows, total = stats.summary(db.session, the_period, group_by, now=utcnow(), department_id=scope)
    return {"group_by": group_by, "rows": rows, "total": total}


@blp.route("/summary")
class Summary(MethodView):
    @blp.response(200, SummarySchema)
    @login_required("office", "dept_staff")
    @blp.arguments(SummaryQuerySchema, location="query")
    def get(self, query):
        """Figures for a period, grouped; a department sees only its own hazards."""
        return _summary(
            stats.period(query["from_"], query["to"]), query["group_by"], query.get("department")
        )


@blp.route("/trend")
class Trend(MethodView):
    @blp.response(200, SummarySchema)
    @login_required("office", "dept_staff")
    @blp.arguments(TrendQuerySchema, location="query")
    def get(self, query):
        """The same figures week by week (ISO weeks, Asia/Shanghai), for charts."""
        return _summary(stats.period(query["from_"], query["to"]), "week", query.get("department"))


@blp.route("/volunteers")
class Volunteers(MethodView):
    @blp.response(200, VolunteerSchema(many=True))
    @login_required("office")
    @blp.arguments(PeriodQuerySchema, location="query")
    def get(self, query):
        """Reporters by valid and closed reports, for rewards (office only: 举报人保密)."""
        return stats.volunteers(db.session, stats.period(query["from_"], query["to"]))


@blp.route("/overdue")
class Overdue(MethodView):
    @blp.response(200, OverdueSchema(many=True))
    @login_required("office", "dept_staff")
    def get(self):
        """Open overdue hazards by 督办 level, department and street."""
        return stats.overdue(
            db.session,
            now=utcnow(),
            department_id=_department_scope(),
            escalation_days=policy(current_app.config).escalation_days,
        )


def _weekly(query):
    the_period = (
        stats.iso_week(query["week"])
        if "week" in query
        else stats.period(query["from_"], query["to"])
    )
    report = stats.weekly_report(
        db.session, the_period, now=utcnow(), district_name=stats.district_name(db.session)
    )
    return report, the_period


def _weekly_sheets(query):
    (title, rows, total, departments), the_period = _weekly(query)
    inspected = inspection_stats.summary(db.session, the_period, "street")
    return exports.weekly_sheets(title, rows, total, departments, inspected)


def _weekly_name(query):
    """weekly-2026-W23, or weekly-2026-09-28-2026-10-05 for a period."""
    if "week" in query:
        return f"weekly-{query['week']}"
    return f"weekly-{query['from_'].isoformat()}-{query['to'].isoformat()}"


def _download(body, mimetype, name):
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
    return response


@blp.route("/weekly.xlsx")
class WeeklyXlsx(MethodView):
    @blp.doc(
        responses={
            "200": {
                "description": "XLSX workbook",
                "content": {
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}
                },
            }
        }
    )
    @login_required("office")
    @blp.arguments(WeeklyQuerySchema, location="query")
    def get(self, query):
        """The weekly progress table (活动进展情况统计表) as XLSX, a sheet per department;
        the same figures give the same bytes (named weekly-2026-W23.xlsx for a week)."""
        body = exports.to_xlsx(_weekly_sheets(query))
        return _download(
            body,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            f"{_weekly_name(query)}.xlsx",
        )


@blp.route("/weekly")
class Weekly(MethodView):
    @blp.response(200, WeeklyTableSchema)
    @login_required("office")
    @blp.arguments(WeeklyQuerySchema, location="query")
    def get(self, query):
        """The weekly progress table to preview: the cells of every sheet of weekly.xlsx,
        in order, each sheet's header first and its totals (合计) last."""
        sheets = [
            {
                "name": name,
                "title": title,
                "kinds": [kind for _, _, kind in columns],
                "rows": exports.table(rows, total, columns),
            }
            for name, title, rows, total, columns in _weekly_sheets(query)
        ]
        return {"title": sheets[0]["title"], "sheets": sheets}


@blp.route("/weekly.csv")
class WeeklyCsv(MethodView):
    @blp.doc(responses={"200": {"description": "CSV, UTF-8", "content": {"text/csv": {}}}})
    @login_required("office")
    @blp.arguments(WeeklyQuerySchema, location="query")
    def get(self, query):
        """The weekly progress table as CSV (one row per street, then totals)."""
        (title, rows, total, _), _ = _weekly(query)
        return _download(
            exports.to_csv(title, rows, total), "text/csv", f"{_weekly_name(query)}.csv"
        )


@blp.route("/inspections")
class InspectionFigures(MethodView):
    @blp.response(200, InspectionStatsSchema)
    @login_required("office", "dept_staff")
    @blp.arguments(InspectionStatsQuerySchema, location="query")
    def get(self, query):
        """Places inspected, pass rates and hazards found, by street, grid or week; the pass
        rate of every checklist item; and the coverage of your tasks (the office: all).
        A street office sees the inspections in its street."""
        the_period = stats.period(query["from_"], query["to"])
        street = None
        if g.user.role == "dept_staff":
            department = db.session.get(Department, g.user.department_id)
            if department is None or department.area_id is None:
                raise PermissionDenied("inspection figures are for the office and street offices")
            street = department.area_id
        rows, total = inspection_stats.summary(
            db.session, the_period, query["group_by"], street_id=street
        )
        tasks = inspections.tasks_for(db.session, g.user)
        result = {
            "group_by": query["group_by"],
            "rows": rows,
            "total": total,
            "items": inspection_stats.item_pass_rates(db.session, the_period, street_id=street),
            "tasks": inspections.task_cards(db.session, tasks, shanghai_today()),
        }
        return result
