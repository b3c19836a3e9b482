// Calls of the map pages: the base map's settings, the district's areas, hazards as
// GeoJSON points, and the reference lists the map's filters offer.
import { request } from './index.js'

let settings = null
const areasByCrs = new Map()

/** The base map: {tile_url (null: no tiles), tile_crs}; asked once per page load. */
export function mapSettings() {
  settings ??= request('GET', '/map').catch((error) => {
    settings = null
    throw error
  })
  return settings
}

/** The datum to ask coordinates in: that of the tiles when there are tiles. */
export async function mapCrs() {
  const { tile_url: url, tile_crs: crs } = await mapSettings()
  return url ? crs : 'wgs84'
}

/** Every area (district, streets, communities, grids) as GeoJSON, in `crs`; the
 * polygons change rarely, so one answer serves the page load. */
export function areas(crs) {
  if (!areasByCrs.has(crs)) {
    const answer = request('GET', '/areas', { params: crs !== 'wgs84' ? { crs } : {} })
    areasByCrs.set(crs, answer)
    answer.catch(() => areasByCrs.delete(crs))
  }
  return areasByCrs.get(crs)
}

/** One page of the hazards you may see as GeoJSON points: {features, next}. */
export function hazardPoints(filters, { crs, limit = 200, cursor } = {}) {
  return request('GET', '/hazards.geojson', {
    params: { ...filters, crs: crs !== 'wgs84' ? crs : undefined, limit, cursor },
  })
}

/** One hazard with its position in `crs`. */
export function hazardIn(id, crs) {
  return request('GET', `/hazards/${encodeURIComponent(id)}`, { params: { crs } })
}

export function categories() {
  return request('GET', '/categories')
}

export function departments() {
  return request('GET', '/departments')
}
