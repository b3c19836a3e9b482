"""Lifecycle steps on a hazard, its history, and work queues."""

from flask import current_app, g
from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.events import (
    EventSchema,
    QueuePageSchema,
    QueueQuerySchema,
    StepResultSchema,
    StepSchema,
)
from server.api.security import login_required
from server.config import policy
from server.extensions import db
from server.models import utcnow
from server.services import hazards, queues, steps, use_cases
from server.services.lifecycle import Step
from server.services.visibility import may_see_reporter

blp = Blueprint("events", __name__, url_prefix="/api/v1", description="Lifecycle (闭环) and queues")


def event_record(event, viewer):
    """Return an event as plain values, hiding a reporter from those who may not know:
    on every event the reporter made (the report, their comments, corrections and
    kept conflicts), not only the report, or the history would name them."""
    by_reporter = event.actor_id is not None and event.actor_id == event.hazard.reporter_id
    hidden = by_reporter and not may_see_reporter(viewer, event.hazard)
    return {
        "id": event.id,
        "seq": event.seq,
        "type": event.type,
        "at": event.at,
        "actor": None if hidden or event.actor is None else event.actor.username,
        "actor_role": None if hidden or event.actor is None else event.actor.role,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "note": event.note,
        "data": event.data,
    }


@blp.route("/hazards/<uuid:hazard_id>/events")
class HazardEvents(MethodView):
    @blp.response(200, EventSchema(many=True))
    @login_required()
    def get(self, hazard_id):
        """Return a hazard's history, oldest first."""
        _, events = steps.history(db.session, g.user, hazard_id)
        return [event_record(e, g.user) for e in events]

    @blp.response(201, StepResultSchema)
    @blp.alt_response(
        200, schema=StepResultSchema, description="Already taken: the same step resent"
    )
    @login_required()
    @blp.arguments(StepSchema)
    def post(self, body, hazard_id):
        """Take a lifecycle step (签收, 退回, 整改, 复核, 销号 …); resending it is safe."""
        request_id, base_version = body.pop("id"), body.pop("base_version")
        body["photos"] = tuple(body["photos"])
        request = steps.StepRequest(id=request_id, step=Step(**body), base_version=base_version)
        rules = policy(current_app.config)
        event, created = use_cases.take_step(db.session, g.user, hazard_id, request, policy=rules)
        # Not re-checked for visibility: a return or reassignment takes the hazard out
        # of the actor's scope, and they still get the answer to their own step.
        record = hazards.get_record(
            db.session, g.user, hazard_id, check_visible=False, policy=rules
        )
        return {"event": event_record(event, g.user), "hazard": record}, 201 if created else 200


@blp.route("/queue")
class Queue(MethodView):
    @blp.response(200, QueuePageSchema)
    @login_required("dept_staff", "grid_worker", "office")
    @blp.arguments(QueueQuerySchema, location="query", as_kwargs=True)
    def get(self, limit, view=None, cursor=None):
        """Return your work queue, most urgent first (department, grid worker, office)."""
        view, records, next_cursor = queues.queue(
            db.session,
            g.user,
            view,
            limit=limit,
            cursor=cursor,
            now=utcnow(),
            policy=policy(current_app.config),
        )
        return {"view": view, "items": records, "next": next_cursor}
