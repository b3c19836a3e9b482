"""Hazard reports: file one, list those you may see, read one."""

import marshmallow as ma
from flask import current_app, g
from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.hazards import (
    CrsQuerySchema,
    HazardCreateSchema,
    HazardPageSchema,
    HazardQuerySchema,
    HazardSchema,
)
from server.api.security import login_required
from server.config import policy
from server.extensions import db
from server.services import hazards, use_cases
from server.services.coords import from_wgs84

blp = Blueprint("hazards", __name__, url_prefix="/api/v1", description="Hazard reports (隐患)")


def _page(limit, cursor, filters):
    """Return one page of the records of hazards the caller may see."""
    return hazards.list_hazards(
        db.session,
        g.user,
        hazards.HazardFilter(**filters),
        limit=min(limit, current_app.config["PAGE_SIZE_MAX"]),
        cursor=cursor,
        policy=policy(current_app.config),
    )


def _in_datum(record, crs):
    """Give a record's position in the datum asked for (gcj02 for Chinese map tiles)."""
    record["lat"], record["lon"] = from_wgs84(record["lat"], record["lon"], crs)
    return record


def _record(hazard_id, crs="wgs84"):
    record = hazards.get_record(db.session, g.user, hazard_id, policy=policy(current_app.config))
    return _in_datum(record, crs)


@blp.route("/hazards")
class Hazards(MethodView):
    @blp.response(200, HazardPageSchema)
    @login_required()
    @blp.arguments(HazardQuerySchema, location="query", as_kwargs=True, unknown=ma.RAISE)
    def get(self, limit, cursor=None, crs="wgs84", **filters):
        """List the hazards you may see, newest first, one page at a time."""
        page = _page(limit, cursor, filters)
        return {"items": [_in_datum(r, crs) for r in page.items], "next": page.next_cursor}

    @blp.response(201, HazardSchema)
    @blp.alt_response(200, schema=HazardSchema, description="Already filed: the same report resent")
    @login_required()
    @blp.arguments(HazardCreateSchema)
    def post(self, body):
        """File a hazard report (随手拍); resending the same report is safe."""
        report = hazards.NewReport(**{**body, "photos": tuple(body["photos"])})
        hazard, created = use_cases.file_report(
            db.session, g.user, report, policy=policy(current_app.config)
        )
        return _record(hazard.id), 201 if created else 200


@blp.route("/hazards/<uuid:hazard_id>")
class HazardDetail(MethodView):
    @blp.response(200, HazardSchema)
    @login_required()
    @blp.arguments(CrsQuerySchema, location="query", as_kwargs=True, unknown=ma.RAISE)
    def get(self, hazard_id, crs):
        """Return one hazard you may see."""
        return _record(hazard_id, crs)


MAP_FIELDS = (
    "category",
    "category_name",
    "category_name_en",
    "address",
    "status",
    "severity",
    "deadline",
    "overdue",
    "escalation",
    "lead_department",
    "territorial_department",
    "street",
    "community",
    "grid",
    "received_at",
)


@blp.route("/hazards.geojson")
class HazardMap(MethodView):
    @blp.response(200, description="GeoJSON FeatureCollection; `next` continues it")
    @login_required()
    @blp.arguments(HazardQuerySchema, location="query", as_kwargs=True, unknown=ma.RAISE)
    def get(self, limit, cursor=None, crs="wgs84", **filters):
        """Hazards you may see, as GeoJSON points for maps (same filters as the list)."""
        page = _page(limit, cursor, filters)
        features = []
        for record in page.items:
            lat, lon = from_wgs84(record["lat"], record["lon"], crs)
            properties = {name: record[name] for name in MAP_FIELDS}
            properties["id"] = str(record["id"])
            for name in ("deadline", "received_at"):
                properties[name] = properties[name].isoformat() if properties[name] else None
            features.append(
                {
                    "type": "Feature",
                    "id": str(record["id"]),
                    "geometry": {"type": "Point", "coordinates": [lon, lat]},
                    "properties": properties,
                }
            )
        body = {
            "type": "FeatureCollection",
            "crs_name": crs,
            "features": features,
            "next": page.next_cursor,
        }
        response = current_app.json.response(body)
        response.mimetype = "application/geo+json"
        return response
