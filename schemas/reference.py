"""Schemas for reference data: departments, categories, areas."""

import marshmallow as ma

from schemas.common import QuerySchema, StrictSchema
from server.vocabulary import SEVERITIES


class DepartmentSchema(ma.Schema):
    """A department that owns hazards."""

    code = ma.fields.String()
    name = ma.fields.String()
    kind = ma.fields.String(metadata={"description": "sector, territorial (街道乡镇) or office"})
    area = ma.fields.Function(lambda d: d.area.code if d.area else None)
    active = ma.fields.Boolean(
        metadata={"description": "false: deactivated (停用), takes nothing new"}
    )


class DepartmentCreateSchema(StrictSchema):
    """A new department: a sectoral bureau, or the street office of `area` (a street)."""

    code = ma.fields.String(
        required=True, validate=ma.validate.Regexp(r"^[a-z0-9][a-z0-9_-]{0,39}$")
    )
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 100))
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(("sector", "territorial")))
    area = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(1, 40),
        metadata={"description": "the street's code, for a territorial department (街道办事处)"},
    )


class DepartmentChangeSchema(StrictSchema):
    """What the office may change of a department."""

    name = ma.fields.String(validate=ma.validate.Length(1, 100))
    active = ma.fields.Boolean(
        metadata={"description": "false: routing, assignment and new accounts skip it"}
    )


class CategorySchema(ma.Schema):
    """A kind of hazard and its defaults."""

    code = ma.fields.String()
    name = ma.fields.String(attribute="name_zh")
    name_en = ma.fields.String()
    department = ma.fields.Function(lambda c: c.department.code)
    default_severity = ma.fields.String()
    deadline_days = ma.fields.Integer(metadata={"description": "working days to rectify"})
    active = ma.fields.Boolean()


class CategoryQuerySchema(QuerySchema):
    """Which categories to list."""

    include_inactive = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "true: deactivated categories too (the office edits them)"},
    )


class CategoryCreateSchema(StrictSchema):
    """A new kind of hazard: reports of it go to `department` across the district."""

    code = ma.fields.String(required=True, validate=ma.validate.Regexp(r"^[a-z][a-z0-9_]{1,39}$"))
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 100))
    name_en = ma.fields.String(load_default="", validate=ma.validate.Length(max=100))
    department = ma.fields.String(required=True)
    default_severity = ma.fields.String(
        load_default="general", validate=ma.validate.OneOf(SEVERITIES)
    )
    deadline_days = ma.fields.Integer(required=True, validate=ma.validate.Range(1, 365))


class CategoryChangeSchema(StrictSchema):
    """What the office may change of a category (its department: see routing rules)."""

    name = ma.fields.String(validate=ma.validate.Length(1, 100))
    name_en = ma.fields.String(validate=ma.validate.Length(max=100))
    default_severity = ma.fields.String(validate=ma.validate.OneOf(SEVERITIES))
    deadline_days = ma.fields.Integer(validate=ma.validate.Range(1, 365))
    active = ma.fields.Boolean(metadata={"description": "false: no new reports of this kind"})


class AreaPropertiesSchema(ma.Schema):
    """Properties of one area feature."""

    code = ma.fields.String()
    name = ma.fields.String()
    level = ma.fields.String(metadata={"description": "district, street, community or grid"})
    parent = ma.fields.String(allow_none=True)


class AreaFeatureSchema(ma.Schema):
    """One area as a GeoJSON Feature."""

    type = ma.fields.Constant("Feature")
    id = ma.fields.String()
    geometry = ma.fields.Dict()
    properties = ma.fields.Nested(AreaPropertiesSchema)


class AreaCollectionSchema(ma.Schema):
    """Every area of the district as a GeoJSON FeatureCollection."""

    type = ma.fields.Constant("FeatureCollection")
    features = ma.fields.List(ma.fields.Nested(AreaFeatureSchema))
