// The office's management calls (系统管理): departments, accounts and their devices,
// routing rules, categories, area and place imports, checklists and inspection tasks.
import { request } from './index.js'

const path = (...parts) => '/' + parts.map(encodeURIComponent).join('/')

// --- departments ---------------------------------------------------------------------

export const departments = () => request('GET', '/departments')
export const createDepartment = (body) => request('POST', '/departments', { json: body })
export const changeDepartment = (code, changes) =>
  request('PATCH', path('departments', code), { json: changes })

// --- accounts and devices ------------------------------------------------------------

/** Accounts by username, filtered by role, department and active; `after` for the next page. */
export const users = (filters = {}) => request('GET', '/users', { params: filters })
export const user = (username) => request('GET', path('users', username))
export const createUser = (body) => request('POST', '/users', { json: body })
/** Change an account: {active}, {password} (a reset), {display_name, phone, grids}. */
export const changeUser = (username, changes) =>
  request('PATCH', path('users', username), { json: changes })
export const signOutDevice = (username, deviceId) =>
  request('DELETE', path('users', username, 'devices', deviceId))

// --- routing rules and categories ----------------------------------------------------

export const rules = () => request('GET', '/routing-rules')
export const createRule = (body) => request('POST', '/routing-rules', { json: body })
export const changeRule = (id, changes) => request('PATCH', path('routing-rules', id), { json: changes })
export const removeRule = (id) => request('DELETE', path('routing-rules', id))

/** Every category, the deactivated ones too. */
export const categories = () => request('GET', '/categories', { params: { include_inactive: true } })
export const createCategory = (body) => request('POST', '/categories', { json: body })
export const changeCategory = (code, changes) =>
  request('PATCH', path('categories', code), { json: changes })

// --- areas and places ----------------------------------------------------------------

/** The kinds of place the server knows (its vocabulary's PLACE_TYPES). */
export const PLACE_TYPES = [
  'residential',
  'shop',
  'restaurant',
  'elderly_care',
  'school',
  'construction_site',
  'warehouse',
  'crowded_place',
  'small_venue',
]

/** Every area as GeoJSON (its polygons too). */
export const areas = () => request('GET', '/areas')
/** Import a GeoJSON FeatureCollection of areas, all or nothing: {created, updated}. */
export const importAreas = (collection) => request('POST', '/areas/import', { json: collection })

/** One page of places: the array, and the X-Total-Count is not read (a page of 500). */
export const places = (filters = {}) => request('GET', '/places', { params: filters })
/** Import places from a file's text: CSV as text/csv, GeoJSON as JSON. */
export function importPlaces(text, isCsv) {
  return isCsv
    ? request('POST', '/places/import', { body: text, contentType: 'text/csv' })
    : request('POST', '/places/import', { json: JSON.parse(text) })
}
export const confirmPlace = (id) => request('POST', path('places', id, 'confirm'))

// --- checklists and inspection tasks -------------------------------------------------

export const checklists = () => request('GET', '/checklists')
export const checklistVersion = (code, number) => request('GET', path('checklists', code, 'versions', number))
export const createChecklist = (body) => request('POST', '/checklists', { json: body })
export const newChecklistVersion = (code, body) =>
  request('POST', path('checklists', code, 'versions'), { json: body })
export const saveChecklistDraft = (code, number, body) =>
  request('PUT', path('checklists', code, 'versions', number), { json: body })
export const publishChecklist = (code, number) =>
  request('POST', path('checklists', code, 'versions', number, 'publish'))

export const tasks = () => request('GET', '/tasks')
export const createTask = (body) => request('POST', '/tasks', { json: body })
