"""Schemas for the console's map settings."""

import marshmallow as ma


class MapSettingsSchema(ma.Schema):
    """How the console draws its map: the base map's tiles, if any, and their datum."""

    tile_url = ma.fields.String(
        allow_none=True,
        metadata={
            "description": (
                "Leaflet URL template of the intranet tile server (MAP_TILE_URL); null: no"
                " tiles, the area polygons are the base map"
            ),
            "example": "http://tiles.intranet/{z}/{x}/{y}.png",
        },
    )
    tile_crs = ma.fields.String(
        metadata={
            "description": (
                "datum of the tiles (MAP_TILE_CRS): ask hazards and areas with ?crs= this"
                " value when drawing over them"
            ),
            "example": "gcj02",
        }
    )
