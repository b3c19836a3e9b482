"""Routing rules and areas, edited by the office as data (SPEC §3)."""

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.routing import RuleChangeSchema, RuleCreateSchema, RuleSchema
from server.api.guards import refuse_unsafe_values
from server.api.security import login_required
from server.extensions import db
from server.services import routing, use_cases
from server.services.errors import InvalidInput

# Documented by hand: the view reads the GeoJSON itself, feature by feature.
FEATURE_COLLECTION_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "description": "GeoJSON FeatureCollection; properties code, name, level, parent",
                "required": ["type", "features"],
                "properties": {
                    "type": {"type": "string", "enum": ["FeatureCollection"]},
                    "features": {"type": "array", "items": {"type": "object"}},
                },
            }
        }
    },
}

blp = Blueprint("routing", __name__, url_prefix="/api/v1", description="Routing rules (office)")


@blp.route("/routing-rules")
class Rules(MethodView):
    @blp.response(200, RuleSchema(many=True))
    @login_required("office")
    def get(self):
        """List the routing rules: category (× area) → department, by priority."""
        return routing.list_rules(db.session)

    @blp.response(201, RuleSchema)
    @login_required("office")
    @blp.arguments(RuleCreateSchema)
    def post(self, body):
        """Add a routing rule; an area-specific rule overrides a district-wide one."""
        return use_cases.add_rule(db.session, **body)


@blp.route("/routing-rules/<int:rule_id>")
class RuleDetail(MethodView):
    @blp.response(200, RuleSchema)
    @login_required("office")
    @blp.arguments(RuleChangeSchema, required=False)  # no body: nothing changes
    def patch(self, body, rule_id):
        """Change a routing rule."""
        return use_cases.change_rule(db.session, rule_id, **body)

    @blp.response(204)
    @login_required("office")
    def delete(self, rule_id):
        """Remove a routing rule."""
        use_cases.remove_rule(db.session, rule_id)


@blp.route("/areas/import")
class AreaImport(MethodView):
    @blp.response(200, description="How many areas were created and updated")
    @blp.doc(requestBody=FEATURE_COLLECTION_BODY)
    @login_required("office")
    def post(self):
        """Import areas from a GeoJSON FeatureCollection (all or nothing)."""
        collection = request.get_json()
        if not isinstance(collection, dict):
            raise InvalidInput("send a GeoJSON FeatureCollection")
        refuse_unsafe_values(collection)
        created, updated = use_cases.import_areas(db.session, collection)
        return {"created": created, "updated": updated}
