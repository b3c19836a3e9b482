"""Offline sync: one call pushes a device's mutations and pulls its scope (SPEC §9)."""

from flask import current_app, g
from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.sync import MAX_MUTATIONS, SyncRequestSchema, SyncResponseSchema
from server.api.security import login_required
from server.extensions import db
from server.services.errors import InvalidInput
from sync import feed

blp = Blueprint("sync", __name__, url_prefix="/api/v1", description="Offline sync (离线同步)")


@blp.route("/sync")
class Sync(MethodView):
    @blp.response(200, SyncResponseSchema)
    @login_required()
    @blp.arguments(SyncRequestSchema)
    def post(self, body):
        """Pull the changes in your scope since your cursor (pushing is being built)."""
        if len(body["mutations"]) > MAX_MUTATIONS:
            raise InvalidInput(
                f"at most {MAX_MUTATIONS} mutations per call",
                errors={"mutations": [f"at most {MAX_MUTATIONS}"]},
            )
        if body["mutations"]:
            raise InvalidInput(
                "pushing mutations through sync is not available yet: file reports with "
                "POST /api/v1/hazards and steps with POST /api/v1/hazards/{id}/events",
                errors={"mutations": ["send an empty list for now"]},
            )
        pull = body["pull"]
        page = feed.pull(
            db.session,
            g.user,
            pull["cursor"],
            limit=pull["limit"],
            secret=current_app.config["SECRET_KEY"],
        )
        return {
            "results": [],
            "pull": {
                "changes": page.changes,
                "cursor": page.cursor,
                "has_more": page.has_more,
                "reset": page.reset,
            },
        }
