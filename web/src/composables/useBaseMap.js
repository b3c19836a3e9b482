// A Leaflet map on the console's base map: the district's area polygons, over the tiles
// of the intranet tile server when MAP_TILE_URL is set (and over nothing otherwise, so
// the page asks no other host for anything). Hazards are circle markers: Leaflet's
// default marker images are never used, so never fetched.
import L from 'leaflet'
import 'leaflet/dist/leaflet.css'
import './baseMap.css'
import { mapSettings } from '../api/map.js'

export const STATUS_COLOUR = {
  reported: '#909399',
  assigned: '#e6a23c',
  accepted: '#b88230',
  rectifying: '#409eff',
  rectified: '#9254de',
  verified: '#13a8a8',
  closed: '#67c23a',
  invalid: '#c0c4cc',
  duplicate: '#c0c4cc',
}
export const OVERDUE_COLOUR = '#f56c6c'

// How each level of area is drawn: streets bold, communities thinner, grids dashed.
export const AREA_STYLE = {
  district: { color: '#303133', weight: 3, fill: false },
  street: { color: '#2f5597', weight: 2.5, fillColor: '#dfe8f6', fillOpacity: 0.35 },
  community: { color: '#5b8fd6', weight: 1.5, fillOpacity: 0 },
  grid: { color: '#8fb3e6', weight: 1, dashArray: '4 3', fillOpacity: 0 },
}

/** Make a map in `element`; returns {map, crs} once the settings are known. */
export async function createBaseMap(element, options = {}) {
  const { tile_url: tileUrl, tile_crs: tileCrs } = await mapSettings()
  const map = L.map(element, {
    attributionControl: false,
    zoomSnap: 0.25,
    preferCanvas: false,
    ...options,
  })
  if (tileUrl) L.tileLayer(tileUrl, { maxZoom: 19 }).addTo(map)
  element.classList.toggle('no-tiles', !tileUrl)
  return { map, crs: tileUrl ? tileCrs : 'wgs84' }
}

/** A hazard's point: a circle in its status's colour, ringed red when overdue. */
export function hazardMarker(latlng, { status, overdue }, radius = 7) {
  return L.circleMarker(latlng, {
    radius,
    color: overdue ? OVERDUE_COLOUR : '#ffffff',
    weight: overdue ? 3 : 1.5,
    fillColor: STATUS_COLOUR[status] || '#909399',
    fillOpacity: 0.95,
  })
}

export { L }
