"""Schemas for offline sync."""

from dataclasses import dataclass
from typing import Any

import marshmallow as ma

from schemas.common import INT32, StrictSchema
from schemas.events import StepDataSchema
from schemas.hazards import SHA256, HazardCorrectionSchema, HazardCreateSchema, HazardSchema
from schemas.inspections import InspectionCreateSchema, PlaceCreateSchema, TaskSchema
from server.services.lifecycle import STEP_TYPES

MAX_MUTATIONS = 1000
SEQ_MAX = 2**63 - 1  # a receipt's seq is a signed 64-bit integer
STEP_MUTATIONS = {f"hazard.{t}": t for t in STEP_TYPES}
TYPES = ("hazard.create", "hazard.update", *STEP_MUTATIONS, "inspection.create", "place.create")

# What a mutation's `data` is, by its type: the schema the HTTP door loads the same
# command with, so the two doors cannot disagree. A creation's id is `entity_id`.
_CREATE, _PLACE, _INSPECTION = HazardCreateSchema(), PlaceCreateSchema(), InspectionCreateSchema()
_CORRECTION, _STEP = HazardCorrectionSchema(partial=True), StepDataSchema()


def _command(mutation):
    """Return the loaded command a mutation's data carries, or raise what is wrong."""
    kind, data = mutation["type"], mutation["data"]
    created = dict(data, id=str(mutation["entity_id"]))
    if kind == "hazard.create":
        created.setdefault("photos", list(mutation["photos"]))
        return _CREATE.load(created)
    if kind == "inspection.create":
        return _INSPECTION.load(created)
    if kind == "place.create":
        return _PLACE.load(created)
    if kind == "hazard.update":
        return _CORRECTION.load(data)
    return _STEP.load(data)


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
        validate=ma.validate.Range(min=1, max=SEQ_MAX),
        metadata={"description": "per device, increasing"},
    )
    id = ma.fields.UUID(required=True, metadata={"description": "client id of the mutation"})
    type = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(TYPES, error="unknown mutation type; one of {choices}"),
        metadata={"description": "hazard.create, hazard.comment, hazard.accept, hazard.verify, …"},
    )
    entity_id = ma.fields.UUID(required=True, metadata={"description": "the hazard"})
    base_version = ma.fields.Integer(load_default=None, allow_none=True, validate=INT32)
    data = ma.fields.Dict(load_default=dict)
    photos = ma.fields.List(ma.fields.String(validate=SHA256), load_default=list)
    occurred_at = ma.fields.AwareDateTime(
        required=True, format="iso", metadata={"description": "the device's clock"}
    )

    @ma.post_load
    def _load_command(self, mutation, **kwargs):
        """Load `data` by the mutation's type, as its HTTP twin loads its body."""
        try:
            mutation["command"] = _command(mutation)
        except ma.ValidationError as error:
            raise ma.ValidationError({"data": error.messages}) from None
        return mutation


@dataclass(frozen=True)
class Unreadable:
    """A mutation that did not validate: answered `rejected` under its seq, with why."""

    seq: int
    raw: dict[str, Any]
    errors: dict[str, Any]


class MutationField(ma.fields.Nested):
    """A mutation loaded on its own: one that does not validate does not fail the batch.

    Only its `seq` must be usable, for that is where its answer is kept; anything
    else wrong becomes an `Unreadable`, which the push answers `rejected` and
    remembers, so the device moves on to its next mutation (SPEC §9).
    """

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise ma.ValidationError("a mutation is an object")
        seq = value.get("seq")
        if type(seq) is not int or not 1 <= seq <= SEQ_MAX:
            raise ma.ValidationError({"seq": [f"a whole number from 1 to {SEQ_MAX}"]})
        try:
            return self.schema.load(value)
        except ma.ValidationError as error:
            return Unreadable(seq=seq, raw=value, errors=error.messages)


class SyncRequestSchema(StrictSchema):
    """A device's push (mutations in its order) and pull, in one call."""

    CHECKED_APART = ("mutations",)

    device_id = ma.fields.String(required=True, validate=ma.validate.Length(1, 100))
    mutations = ma.fields.List(MutationField(MutationSchema), load_default=list)
    pull = ma.fields.Nested(PullRequestSchema, load_default=lambda: {"cursor": None, "limit": 500})

    @ma.validates("mutations")
    def _in_order(self, mutations, **kwargs):
        seqs = [m.seq if isinstance(m, Unreadable) else m["seq"] for m in mutations]
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
