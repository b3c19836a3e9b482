"""Offline sync: one call pushes a device's mutations and pulls its scope (SPEC §9)."""

from functools import wraps

from flask import current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from werkzeug.exceptions import RequestEntityTooLarge

from schemas.sync import MAX_MUTATIONS, SyncRequestSchema, SyncResponseSchema
from server.api.security import login_required
from server.config import policy
from server.extensions import db
from server.services import inspections
from server.services.workdays import shanghai_today
from sync import feed, push

blp = Blueprint("sync", __name__, url_prefix="/api/v1", description="Offline sync (离线同步)")


class TooManyMutations(RequestEntityTooLarge):
    """More mutations than one call may carry; the limit is in the answer."""

    description = f"at most {MAX_MUTATIONS} mutations per call; send the rest in further calls"
    limit = MAX_MUTATIONS


def batch_limit(view):
    """Refuse an oversized batch with 413 (stating the limit) before reading it."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        raw = request.get_json(silent=True)
        mutations = raw.get("mutations") if isinstance(raw, dict) else None
        if isinstance(mutations, list) and len(mutations) > MAX_MUTATIONS:
            raise TooManyMutations()  # anything else that is not a list, the schema refuses
        return view(*args, **kwargs)

    return wrapper


@blp.route("/sync")
class Sync(MethodView):
    @blp.response(200, SyncResponseSchema)
    @login_required()
    @batch_limit
    @blp.arguments(SyncRequestSchema)
    def post(self, body):
        """Push your mutations (applied in order, exactly once) and pull your scope."""
        results = push.push(
            db.session,
            g.user,
            body["device_id"],
            [push.from_loaded(m) for m in body["mutations"]],
            policy=policy(current_app.config),
        )
        pull = body["pull"]
        page = feed.pull(
            db.session,
            g.user,
            pull["cursor"],
            limit=pull["limit"],
            secret=current_app.config["SECRET_KEY"],
        )
        tasks = inspections.tasks_for(db.session, g.user)
        return {
            "tasks": inspections.task_cards(db.session, tasks, shanghai_today()),
            "results": results,
            "pull": {
                "changes": page.changes,
                "cursor": page.cursor,
                "has_more": page.has_more,
                "reset": page.reset,
            },
        }
