"""Reference data every client needs: categories, departments, areas."""

import marshmallow as ma
import sqlalchemy as sa
from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.hazards import CrsQuerySchema
from schemas.reference import (
    AreaCollectionSchema,
    CategoryChangeSchema,
    CategoryCreateSchema,
    CategoryQuerySchema,
    CategorySchema,
    DepartmentChangeSchema,
    DepartmentCreateSchema,
    DepartmentSchema,
)
from server.api.security import login_required
from server.extensions import db
from server.models import Category
from server.services import departments, use_cases
from server.services.areas import areas_feature_collection
from server.services.coords import geometry_from_wgs84

blp = Blueprint("reference", __name__, url_prefix="/api/v1", description="Reference data")


@blp.route("/categories")
class Categories(MethodView):
    @blp.response(200, CategorySchema(many=True))
    @login_required()
    @blp.arguments(CategoryQuerySchema, location="query", as_kwargs=True)
    def get(self, include_inactive):
        """List the active hazard categories with their department and deadline (and the
        deactivated ones, with `include_inactive=true`)."""
        query = sa.select(Category).order_by(Category.code)
        if not include_inactive:
            query = query.filter_by(active=True)
        return db.session.scalars(query).all()

    @blp.response(201, CategorySchema)
    @login_required("office")
    @blp.arguments(CategoryCreateSchema)
    def post(self, body):
        """Add a kind of hazard, routed district-wide to its department (office)."""
        body["name_zh"] = body.pop("name")
        return use_cases.add_category(db.session, **body)


@blp.route("/categories/<code>")
class OneCategory(MethodView):
    @blp.response(200, CategorySchema)
    @login_required("office")
    @blp.arguments(CategoryChangeSchema, required=False)  # no body: nothing changes
    def patch(self, changes, code):
        """Change a category's names, default severity, deadline (限期, in working days)
        or whether new reports may use it (office); assigned hazards keep their deadline."""
        if "name" in changes:
            changes["name_zh"] = changes.pop("name")
        return use_cases.change_category(db.session, code, **changes)


@blp.route("/departments")
class Departments(MethodView):
    @blp.response(200, DepartmentSchema(many=True))
    @login_required()
    def get(self):
        """List the departments that own hazards, with whether each is active."""
        return departments.list_departments(db.session)

    @blp.response(201, DepartmentSchema)
    @login_required("office")
    @blp.arguments(DepartmentCreateSchema)
    def post(self, body):
        """Create a sectoral bureau, or the street office of a street (office)."""
        return use_cases.add_department(db.session, **body)


@blp.route("/departments/<code>")
class OneDepartment(MethodView):
    @blp.response(200, DepartmentSchema)
    @login_required("office")
    @blp.arguments(DepartmentChangeSchema, required=False)  # no body: nothing changes
    def patch(self, changes, code):
        """Rename a department, or deactivate it (`active: false`: routing, assignment and
        new accounts skip it; what it holds stays) or reactivate it (office)."""
        return use_cases.change_department(db.session, code, changes)


@blp.route("/areas")
class Areas(MethodView):
    @blp.response(200, AreaCollectionSchema)
    @login_required()
    @blp.arguments(CrsQuerySchema, location="query", as_kwargs=True, unknown=ma.RAISE)
    def get(self, crs):
        """Return every area (district, streets, communities, grids) as GeoJSON;
        `?crs=gcj02` gives the polygons in the datum of Chinese map tiles."""
        collection = areas_feature_collection(db.session)
        for feature in collection["features"]:
            feature["geometry"] = geometry_from_wgs84(feature["geometry"], crs)
        return collection
