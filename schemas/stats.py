"""Schemas for closure statistics."""

import marshmallow as ma

from schemas.common import QuerySchema
from server.services.stats import GROUPS


class PeriodQuerySchema(QuerySchema):
    """A half-open period [from, to) of Shanghai calendar days."""

    from_ = ma.fields.Date(required=True, data_key="from", metadata={"description": "first day"})
    to = ma.fields.Date(required=True, metadata={"description": "the day after the last"})


class SummaryQuerySchema(PeriodQuerySchema):
    """A period and what to group its figures by."""

    group_by = ma.fields.String(load_default="street", validate=ma.validate.OneOf(GROUPS))
    department = ma.fields.String(metadata={"description": "only this department's hazards"})


class TrendQuerySchema(PeriodQuerySchema):
    """A period, week by week."""

    interval = ma.fields.String(load_default="week", validate=ma.validate.OneOf(("week",)))
    department = ma.fields.String(metadata={"description": "only this department's hazards"})


class WeeklyQuerySchema(QuerySchema):
    """An ISO week, or a period."""

    week = ma.fields.String(
        metadata={
            "description": "ISO week, e.g. 2026-W23",
            "pattern": r"^[0-9]{4}-W(?:0[1-9]|[1-4][0-9]|5[0-3])$",
        }
    )
    from_ = ma.fields.Date(data_key="from")
    to = ma.fields.Date()

    @ma.validates_schema
    def _one_period(self, data, **kwargs):
        if ("week" in data) == ("from_" in data or "to" in data):
            raise ma.ValidationError("give either week, or from and to", "week")
        if "week" not in data and not ("from_" in data and "to" in data):
            raise ma.ValidationError("give both from and to", "to")


class WeeklySheetSchema(ma.Schema):
    """One sheet of the weekly workbook, as cells."""

    name = ma.fields.String(
        metadata={"description": "the sheet's name: 全区, 检查情况, a department"}
    )
    title = ma.fields.String()
    kinds = ma.fields.List(
        ma.fields.String(),
        metadata={
            "description": (
                "what each column holds: text, n (a count), % (a rate, as a fraction),"
                " h (hours) or r (a ratio)"
            )
        },
    )
    rows = ma.fields.List(
        ma.fields.List(ma.fields.Raw(allow_none=True)),
        metadata={
            "description": (
                "the header, a row per street, then 合计: numbers, rates as fractions, text"
            )
        },
    )


class WeeklyTableSchema(ma.Schema):
    """The weekly progress table (活动进展情况统计表): the sheets of weekly.xlsx."""

    title = ma.fields.String()
    sheets = ma.fields.List(ma.fields.Nested(WeeklySheetSchema))


class RateSchema(ma.Schema):
    """A rate with its parts."""

    value = ma.fields.Float(allow_none=True)
    numerator = ma.fields.Integer()
    denominator = ma.fields.Integer()


class QuantilesSchema(ma.Schema):
    """Median and 90th percentile (nearest rank)."""

    p50 = ma.fields.Float(allow_none=True)
    p90 = ma.fields.Float(allow_none=True)


class FiguresSchema(ma.Schema):
    """The figures of one group: the hazards reported in the period, as they stand now."""

    key = ma.fields.String()
    label = ma.fields.String()
    reported = ma.fields.Integer()
    valid = ma.fields.Integer(metadata={"description": "not invalid and not a duplicate"})
    assigned = ma.fields.Integer()
    rectified = ma.fields.Integer()
    verified = ma.fields.Integer()
    closed = ma.fields.Integer()
    closed_on_time = ma.fields.Integer(metadata={"description": "closed by the deadline"})
    closed_or_overdue = ma.fields.Integer(
        metadata={"description": "closed, or open past the deadline: whose timeliness is known"}
    )
    closure_rate = ma.fields.Nested(RateSchema, metadata={"description": "closed / valid"})
    on_time_rate = ma.fields.Nested(
        RateSchema,
        metadata={
            "description": (
                "closed on time / (closed + open overdue): a hazard still open past its"
                " deadline is already late"
            )
        },
    )
    open = ma.fields.Integer()
    open_overdue = ma.fields.Integer()
    reopened = ma.fields.Integer(metadata={"description": "failed verification or reopened"})
    returned = ma.fields.Integer(metadata={"description": "returned by a department (退回)"})
    by_volunteers = ma.fields.Integer()
    by_grid_workers = ma.fields.Integer()
    photos_flagged = ma.fields.Integer()
    working_hours_to_close = ma.fields.Nested(QuantilesSchema)
    days_to_close = ma.fields.Nested(QuantilesSchema)


class SummarySchema(ma.Schema):
    """Figures per group and for all."""

    group_by = ma.fields.String()
    rows = ma.fields.List(ma.fields.Nested(FiguresSchema))
    total = ma.fields.Nested(FiguresSchema)


class VolunteerSchema(ma.Schema):
    """One reporter's record for the campaign's rewards."""

    username = ma.fields.String()
    display_name = ma.fields.String()
    role = ma.fields.String()
    reported = ma.fields.Integer()
    valid = ma.fields.Integer()
    closed = ma.fields.Integer()


class OverdueSchema(ma.Schema):
    """Open overdue hazards of one 督办 level, department and street."""

    level = ma.fields.Integer()
    department = ma.fields.String(allow_none=True)
    department_name = ma.fields.String(allow_none=True)
    street = ma.fields.String(allow_none=True)
    street_name = ma.fields.String(allow_none=True)
    count = ma.fields.Integer()


class InspectionStatsQuerySchema(PeriodQuerySchema):
    """A period of inspections (by when they finished) and how to group them."""

    group_by = ma.fields.String(
        load_default="street", validate=ma.validate.OneOf(("street", "grid", "week"))
    )


class InspectionFiguresSchema(ma.Schema):
    """The inspections of one group."""

    key = ma.fields.String(allow_none=True)
    label = ma.fields.String(allow_none=True)
    inspections = ma.fields.Integer()
    places_inspected = ma.fields.Integer()
    items_answered = ma.fields.Integer()
    passed = ma.fields.Integer()
    failed = ma.fields.Integer()
    not_applicable = ma.fields.Integer()
    pass_rate = ma.fields.Nested(RateSchema, metadata={"description": "passed / (passed + failed)"})
    hazards_found = ma.fields.Integer()
    hazards_per_inspection = ma.fields.Nested(RateSchema)


class ItemRateSchema(ma.Schema):
    """How often one checklist item passed."""

    template = ma.fields.String()
    template_name = ma.fields.String()
    item = ma.fields.String()
    question = ma.fields.String()
    passed = ma.fields.Integer()
    failed = ma.fields.Integer()
    not_applicable = ma.fields.Integer()
    pass_rate = ma.fields.Nested(RateSchema)


class TaskCoverageSchema(ma.Schema):
    """How far a task has got."""

    id = ma.fields.Integer()
    title = ma.fields.String()
    due_on = ma.fields.Date()
    total = ma.fields.Integer()
    done = ma.fields.Integer()
    coverage = ma.fields.Nested(RateSchema)
    overdue = ma.fields.Boolean()


class InspectionStatsSchema(ma.Schema):
    """Inspection figures for a period."""

    group_by = ma.fields.String()
    rows = ma.fields.List(ma.fields.Nested(InspectionFiguresSchema))
    total = ma.fields.Nested(InspectionFiguresSchema)
    items = ma.fields.List(ma.fields.Nested(ItemRateSchema))
    tasks = ma.fields.List(ma.fields.Nested(TaskCoverageSchema))
