"""Schemas for routing rules."""

import marshmallow as ma

from schemas.common import INT32, StrictSchema


class RuleSchema(ma.Schema):
    """Hazards of a category (in an area, if given) go to a department."""

    id = ma.fields.Integer()
    category = ma.fields.Function(lambda r: r.category.code)
    area = ma.fields.Function(lambda r: r.area.code if r.area else None)
    department = ma.fields.Function(lambda r: r.department.code)
    department_active = ma.fields.Function(
        lambda r: r.department.active,
        metadata={"description": "false: the department is deactivated; routing skips the rule"},
    )
    area_name = ma.fields.Function(lambda r: r.area.name if r.area else None)
    priority = ma.fields.Integer()


class RuleCreateSchema(StrictSchema):
    """A new routing rule."""

    category = ma.fields.String(required=True)
    department = ma.fields.String(required=True)
    area = ma.fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "area code; none: district-wide"},
    )
    priority = ma.fields.Integer(load_default=0, validate=INT32)


class RuleChangeSchema(StrictSchema):
    """Changes to a routing rule."""

    category = ma.fields.String()
    department = ma.fields.String()
    area = ma.fields.String(allow_none=True)
    priority = ma.fields.Integer(validate=INT32)
