"""Schemas for reference data: departments, categories, areas."""

import marshmallow as ma


class DepartmentSchema(ma.Schema):
    """A department that owns hazards."""

    code = ma.fields.String()
    name = ma.fields.String()
    kind = ma.fields.String(metadata={"description": "sector, territorial (街道乡镇) or office"})
    area = ma.fields.Function(lambda d: d.area.code if d.area else None)


class CategorySchema(ma.Schema):
    """A kind of hazard and its defaults."""

    code = ma.fields.String()
    name = ma.fields.String(attribute="name_zh")
    name_en = ma.fields.String()
    department = ma.fields.Function(lambda c: c.department.code)
    default_severity = ma.fields.String()
    deadline_days = ma.fields.Integer(metadata={"description": "working days to rectify"})


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
