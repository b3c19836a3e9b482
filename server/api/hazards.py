"""Hazard reports: file one, list those you may see, read one."""

from datetime import datetime
from urllib.parse import quote

import marshmallow as ma
from flask import Response, current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.hazards import (
    CrsQuerySchema,
    HazardCreateSchema,
    HazardDetailSchema,
    HazardPageSchema,
    HazardPointsQuerySchema,
    HazardQuerySchema,
)
from server.api.security import login_required
from server.config import policy
from server.extensions import db
from server.services import exports, hazards, queues, use_cases
from server.services.coords import from_wgs84
from server.services.errors import InvalidInput
from server.services.workdays import SHANGHAI

blp = Blueprint("hazards", __name__, url_prefix="/api/v1", description="Hazard reports (隐患)")


def _page(limit, cursor, filters, count=False, most="PAGE_SIZE_MAX"):
    """Return one page of the records of hazards the caller may see, of at most the
    setting `most` names."""
    return hazards.list_hazards(
        db.session,
        g.user,
        hazards.HazardFilter(**filters),
        limit=min(limit, current_app.config[most]),
        cursor=cursor,
        policy=policy(current_app.config),
        count=count,
    )


def _in_datum(record, crs):
    """Give a record's position in the datum asked for (gcj02 for Chinese map tiles)."""
    record["lat"], record["lon"] = from_wgs84(record["lat"], record["lon"], crs)
    return record


def _record(hazard_id, crs="wgs84"):
    """Return one hazard as the caller may see it; the office's with its duplicates."""
    record = hazards.get_record(db.session, g.user, hazard_id, policy=policy(current_app.config))
    [record] = queues.with_duplicate_links(db.session, [record], g.user)
    return _in_datum(record, crs)


@blp.route("/hazards")
class Hazards(MethodView):
    @blp.response(200, HazardPageSchema)
    @login_required()
    @blp.arguments(HazardQuerySchema, location="query", as_kwargs=True, unknown=ma.RAISE)
    def get(self, limit, cursor=None, crs="wgs84", count=False, **filters):
        """List the hazards you may see, newest first, one page at a time."""
        page = _page(limit, cursor, filters, count)
        return {
            "items": [_in_datum(r, crs) for r in page.items],
            "next": page.next_cursor,
            "total": page.total,
        }

    @blp.response(201, HazardDetailSchema)
    @blp.alt_response(
        200, schema=HazardDetailSchema, description="Already filed: the same report resent"
    )
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
    @blp.response(200, HazardDetailSchema)
    @login_required()
    @blp.arguments(CrsQuerySchema, location="query", as_kwargs=True, unknown=ma.RAISE)
    def get(self, hazard_id, crs):
        """Return one hazard you may see (the office: with its possible duplicates)."""
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
    @blp.arguments(HazardPointsQuerySchema, location="query", as_kwargs=True, unknown=ma.RAISE)
    def get(self, limit, cursor=None, crs="wgs84", count=False, **filters):
        """Hazards you may see, as GeoJSON points for maps (same filters as the list, in
        pages of up to 2,000)."""
        page = _page(limit, cursor, filters, count, most="MAP_PAGE_SIZE_MAX")
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
            "total": page.total,
        }
        response = current_app.json.response(body)
        response.mimetype = "application/geo+json"
        return response


# A spreadsheet is for reading, not for copying out the database: past this many rows
# the filters should be narrower.
EXPORT_MAX = 10_000
EXPORT_PAGE = 1_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@blp.route("/hazards.xlsx")
class HazardWorkbook(MethodView):
    @blp.doc(
        responses={
            "200": {"description": "XLSX workbook, one row per hazard", "content": {XLSX: {}}}
        }
    )
    @login_required()
    @blp.arguments(HazardQuerySchema, location="query", as_kwargs=True, unknown=ma.RAISE)
    def get(self, limit, cursor=None, crs="wgs84", count=False, **filters):
        """The hazards of a list (same filters; every page, newest first) as an Excel
        workbook with Chinese headers (导出Excel): a link to each hazard's page and to
        each of its photos; the reporter only for the office (举报人保密). `limit`,
        `cursor` and `count` are ignored; at most 10,000 hazards."""
        page = _page(EXPORT_PAGE, None, filters, count=True)
        if page.total > EXPORT_MAX:
            raise InvalidInput(
                f"{page.total} hazards are too many for one workbook (at most {EXPORT_MAX})",
                errors={"filters": ["narrow the list first"]},
            )
        records = list(page.items)
        while page.next_cursor:
            page = _page(EXPORT_PAGE, page.next_cursor, filters)
            records += page.items
        root = request.host_url
        body = exports.hazards_xlsx(
            records,
            page_url=lambda hazard_id: f"{root}console/hazards/{hazard_id}",
            photo_url=lambda sha: f"{root}api/v1/photos/{sha}/display",
            with_reporter=g.user.role == "office",
        )
        name = f"隐患清单-{datetime.now(SHANGHAI):%Y%m%d-%H%M}.xlsx"
        response = Response(body, mimetype=XLSX)
        response.headers["Content-Disposition"] = (
            f"attachment; filename=hazards.xlsx; filename*=UTF-8''{quote(name)}"
        )
        return response
