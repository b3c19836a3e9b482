"""The console's map settings: whether an intranet tile server draws the base map."""

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from schemas.maps import MapSettingsSchema
from server.api.security import login_required
from server.config import map_tiles

blp = Blueprint("maps", __name__, url_prefix="/api/v1", description="Map settings")


@blp.route("/map")
class MapSettings(MethodView):
    @blp.response(200, MapSettingsSchema)
    @login_required()
    def get(self):
        """Return the base map's tile URL (null: none, the area polygons are the map) and
        the datum to ask hazards and areas in (`?crs=`) when tiles are drawn."""
        return map_tiles(current_app.config)
