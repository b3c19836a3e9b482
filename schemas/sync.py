"""Schemas for offline sync."""

import marshmallow as ma

from schemas.common import StrictSchema
from schemas.hazards import SHA256, HazardSchema
from schemas.inspections import TaskSchema

MAX_MUTATIONS = 1000


class PullRequestSchema(StrictSchema):
    """Where the device is in the feed, and how much it wants."""

    cursor = ma.fields.String(
        load_default=None,
        allow_none=True,
        metadata={"description": "as returned last time; null first"},
    )
    limit = ma.fields.Integer(load_default=500, validate=ma.validate.Range(1, 1000))


class MutationSchema(StrictSchema):
    """One change made on the device, in its order."""

    seq = ma.fields.Integer(
        required=True,
        strict=True,
        validate=ma.validate.Range(min=1),
        metadata={"description": "per device, increasing"},
    )
    id = ma.fields.UUID(required=True, metadata={"description": "client id of the mutation"})
    type = ma.fields.String(
        required=True,
        metadata={"description": "hazard.create, hazard.comment, hazard.accept, hazard.verify, …"},
    )
    entity_id = ma.fields.UUID(required=True, metadata={"description": "the hazard"})
    base_version = ma.fields.Integer(load_default=None, allow_none=True)
    data = ma.fields.Dict(load_default=dict)
    photos = ma.fields.List(ma.fields.String(validate=SHA256), load_default=list)
    occurred_at = ma.fields.AwareDateTime(
        required=True, format="iso", metadata={"description": "the device's clock"}
    )


class SyncRequestSchema(StrictSchema):
    """A device's push (mutations in its order) and pull, in one call."""

    device_id = ma.fields.String(required=True, validate=ma.validate.Length(1, 100))
    mutations = ma.fields.List(ma.fields.Nested(MutationSchema), load_default=list)
    pull = ma.fields.Nested(PullRequestSchema, load_default=lambda: {"cursor": None, "limit": 500})

    @ma.validates("mutations")
    def _in_order(self, mutations, **kwargs):
        seqs = [m["seq"] for m in mutations if "seq" in m]  # invalid ones are reported apart
        if any(b <= a for a, b in zip(seqs, seqs[1:], strict=False)):
            raise ma.ValidationError("seq must increase through the batch")


class ChangeSchema(ma.Schema):
    """One change for the device: a hazard to store (upsert) or to forget (remove)."""

    op = ma.fields.String(metadata={"description": "upsert or remove"})
    type = ma.fields.String()
    id = ma.fields.UUID()
    version = ma.fields.Integer()
    data = ma.fields.Nested(HazardSchema)


class PullResponseSchema(ma.Schema):
    """One page of changes and the cursor for the next."""

    changes = ma.fields.List(ma.fields.Nested(ChangeSchema))
    cursor = ma.fields.String()
    has_more = ma.fields.Boolean()
    reset = ma.fields.Boolean(metadata={"description": "start again: drop stored hazards"})


class SyncResponseSchema(ma.Schema):
    """One result per pushed mutation, and one page of changes."""

    results = ma.fields.List(ma.fields.Dict())
    pull = ma.fields.Nested(PullResponseSchema)
    tasks = ma.fields.List(
        ma.fields.Nested(TaskSchema), metadata={"description": "your inspection tasks (检查任务)"}
    )
