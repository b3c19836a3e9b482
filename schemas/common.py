"""Schemas shared by every resource: the problem document and list pages."""

import marshmallow as ma


class StrictSchema(ma.Schema):
    """A request schema that refuses fields it does not know."""

    class Meta:
        unknown = ma.RAISE


class ProblemSchema(ma.Schema):
    """An error, as RFC 9457 application/problem+json."""

    type = ma.fields.String(metadata={"description": "URI naming the kind of problem"})
    title = ma.fields.String(metadata={"description": "Short summary of the kind of problem"})
    status = ma.fields.Integer()
    detail = ma.fields.String(metadata={"description": "What went wrong this time"})
    code = ma.fields.String(metadata={"description": "Machine-readable problem code"})
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        metadata={"description": "Field name → list of messages, for validation errors"},
    )
