"""Field inspections (检查): places, checklists, inspections, tasks (SPEC §10)."""

import marshmallow as ma
from flask import current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.inspections import (
    InspectionCreateSchema,
    InspectionQuerySchema,
    InspectionSchema,
    PlaceCreateSchema,
    PlaceQuerySchema,
    PlaceSchema,
    TaskCreateSchema,
    TaskSchema,
    TemplateCreateSchema,
    TemplateSchema,
    VersionBodySchema,
    VersionSchema,
)
from server.api.guards import refuse_unsafe_values
from server.api.security import login_required
from server.config import policy
from server.extensions import db
from server.services import inspections, use_cases
from server.services.errors import InvalidInput
from server.services.workdays import shanghai_today

# Documented by hand: the view reads GeoJSON or CSV itself, row by row.
PLACES_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "description": "GeoJSON FeatureCollection of points; properties code, name, "
                "type, address",
                "required": ["type", "features"],
                "properties": {
                    "type": {"type": "string", "enum": ["FeatureCollection"]},
                    "features": {"type": "array", "items": {"type": "object"}},
                },
            }
        },
        "text/csv": {
            "schema": {"type": "string", "description": "header code,name,type,address,lat,lon"}
        },
    },
}

blp = Blueprint(
    "inspections", __name__, url_prefix="/api/v1", description="Field inspections (检查)"
)


def _items(body):
    return [inspections.NewItem(**item) for item in body["items"]]


@blp.route("/places")
class Places(MethodView):
    @blp.response(200, PlaceSchema(many=True))
    @login_required()
    @blp.arguments(PlaceQuerySchema, location="query", as_kwargs=True, unknown=ma.RAISE)
    def get(self, page, page_size, type=None, area=None, status=None):  # noqa: A002
        """List places by code, filtered by type, area or status, a page at a time; the
        X-Total-Count header says how many match."""
        places, total = inspections.list_places(
            db.session,
            type_=type,
            area=area,
            status=status,
            offset=(page - 1) * page_size,
            limit=page_size,
        )
        return places, 200, {"X-Total-Count": str(total)}

    @blp.response(201, PlaceSchema)
    @blp.alt_response(200, schema=PlaceSchema, description="Already added: the same place resent")
    @login_required(*inspections.INSPECTING_ROLES)
    @blp.arguments(PlaceCreateSchema)
    def post(self, body):
        """Add a place; from a grid worker it waits for the office to confirm it."""
        place, created = use_cases.add_place(db.session, g.user, inspections.NewPlace(**body))
        return place, 201 if created else 200


@blp.route("/places/import")
class PlaceImport(MethodView):
    @blp.response(200, description="How many places were created and updated")
    @blp.doc(requestBody=PLACES_BODY)
    @login_required("office")
    def post(self):
        """Import places from a GeoJSON FeatureCollection of points, or CSV
        (code,name,type,address,lat,lon); all or nothing."""
        if request.mimetype == "text/csv":
            payload = request.get_data(as_text=True)
            refuse_unsafe_values(payload, "body")
        else:
            payload = request.get_json(silent=True)
            if not isinstance(payload, dict):
                raise InvalidInput("send a GeoJSON FeatureCollection, or text/csv")
            refuse_unsafe_values(payload)
        places = inspections.parse_places(payload)
        created, updated = use_cases.import_places(db.session, places, g.user)
        return {"created": created, "updated": updated}


@blp.route("/places/<uuid:place_id>/confirm")
class PlaceConfirm(MethodView):
    @blp.response(200, PlaceSchema)
    @login_required("office")
    def post(self, place_id):
        """Confirm a place a grid worker added in the field."""
        return use_cases.confirm_place(db.session, place_id)


@blp.route("/checklists")
class Checklists(MethodView):
    @blp.response(200, TemplateSchema(many=True))
    @login_required()
    def get(self):
        """List the checklists and their versions."""
        return inspections.list_templates(db.session)

    @blp.response(201, VersionSchema)
    @login_required("office")
    @blp.arguments(TemplateCreateSchema)
    def post(self, body):
        """Create a checklist; its first version is a draft until published."""
        return use_cases.create_checklist(
            db.session, body["code"], body["name"], body["place_types"], _items(body)
        )


@blp.route("/checklists/published")
class PublishedChecklists(MethodView):
    @blp.response(200, VersionSchema(many=True))
    @login_required()
    def get(self):
        """Every published version with its items, for phones to inspect offline."""
        return inspections.published_versions(db.session)


@blp.route("/checklists/<code>/versions")
class ChecklistVersions(MethodView):
    @blp.response(201, VersionSchema)
    @login_required("office")
    @blp.arguments(VersionBodySchema)
    def post(self, body, code):
        """Start the next version of a checklist, as a draft."""
        return use_cases.new_checklist_version(db.session, code, body["place_types"], _items(body))


@blp.route("/checklists/<code>/versions/<int:number>")
class ChecklistVersionDetail(MethodView):
    @blp.response(200, VersionSchema)
    @login_required()
    def get(self, code, number):
        """Return one version with its items."""
        return inspections.get_version(db.session, code, number)

    @blp.response(200, VersionSchema)
    @login_required("office")
    @blp.arguments(VersionBodySchema)
    def put(self, body, code, number):
        """Replace a draft's items (409 for a published version: start a new one)."""
        return use_cases.edit_checklist_draft(
            db.session, code, number, body["place_types"], _items(body)
        )


@blp.route("/checklists/<code>/versions/<int:number>/publish")
class ChecklistPublish(MethodView):
    @blp.response(200, VersionSchema)
    @login_required("office")
    def post(self, code, number):
        """Publish a draft; it never changes afterwards."""
        return use_cases.publish_checklist(db.session, code, number)


@blp.route("/inspections")
class Inspections(MethodView):
    @blp.response(200, InspectionSchema(many=True))
    @login_required()
    @blp.arguments(InspectionQuerySchema, location="query", as_kwargs=True, unknown=ma.RAISE)
    def get(self, place=None):
        """The latest inspections you may see (200), newest first; of one place if given."""
        return inspections.list_inspections(db.session, g.user, place=place)

    @blp.response(201, InspectionSchema)
    @blp.alt_response(200, schema=InspectionSchema, description="Already filed: resent")
    @login_required(*inspections.INSPECTING_ROLES)
    @blp.arguments(InspectionCreateSchema)
    def post(self, body):
        """File an inspection made on site; each failed item becomes a routed hazard."""
        inspection, created = use_cases.submit_inspection(
            db.session,
            g.user,
            inspections.inspection_from(body),
            policy=policy(current_app.config),
        )
        return inspection, 201 if created else 200


@blp.route("/inspections/<uuid:inspection_id>")
class InspectionDetail(MethodView):
    @blp.response(200, InspectionSchema)
    @login_required()
    def get(self, inspection_id):
        """Return an inspection you may see, with its answers and the hazards they made."""
        return inspections.inspection_detail(db.session, g.user, inspection_id)


def _with_progress(tasks):
    return inspections.task_cards(db.session, tasks, shanghai_today())


@blp.route("/tasks")
class Tasks(MethodView):
    @blp.response(200, TaskSchema(many=True))
    @login_required()
    def get(self):
        """Your inspection tasks with their progress (the office: every task)."""
        return _with_progress(inspections.tasks_for(db.session, g.user))

    @blp.response(201, TaskSchema)
    @login_required("office")
    @blp.arguments(TaskCreateSchema)
    def post(self, body):
        """Hand out a task: a checklist, the places of some types in an area, a due date."""
        task = use_cases.create_task(db.session, g.user, **body)
        return _with_progress([task])[0]
