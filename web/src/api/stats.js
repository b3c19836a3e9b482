// The office's statistics and lists (SPEC §6): figures, the weekly table, exports.
import { ApiError, request } from './index.js'

const BASE = '/api/v1'

/** A period as the API takes it: {from, to}, ISO dates, `to` the day after the last. */
function period({ from, to }) {
  return { from, to }
}

/** Figures of a period grouped by street, department, category, community or week. */
export function summary(range, groupBy, department) {
  return request('GET', '/stats/summary', { params: { ...period(range), group_by: groupBy, department } })
}

export function overdue() {
  return request('GET', '/stats/overdue')
}

export function volunteers(range) {
  return request('GET', '/stats/volunteers', { params: period(range) })
}

export function inspections(range) {
  return request('GET', '/stats/inspections', { params: { ...period(range), group_by: 'street' } })
}

/** The weekly progress table's sheets as cells: {title, sheets: [{name, title, rows}]}. */
export function weekly(week) {
  return request('GET', '/stats/weekly', { params: { week } })
}

/** Where the weekly table downloads from (same origin: the session cookie goes along). */
export function weeklyUrl(week, kind) {
  return `${BASE}/stats/weekly.${kind}?${new URLSearchParams({ week })}`
}

/** One page of hazards with the list's filters, and how many match in all: {items, next, total}. */
export function hazardPage(filters, { limit = 50, cursor } = {}) {
  return request('GET', '/hazards', { params: { ...filters, count: cursor ? undefined : true, limit, cursor } })
}

/** Where the list with these filters downloads as Excel. */
export function hazardsXlsxUrl(filters) {
  const pairs = Object.entries(filters).filter(([, v]) => v !== undefined && v !== null && v !== '')
  return `${BASE}/hazards.xlsx${pairs.length ? '?' + new URLSearchParams(pairs) : ''}`
}

export function categories() {
  return request('GET', '/categories')
}

export function departments() {
  return request('GET', '/departments')
}

/** The streets (街道乡镇) as {code, name}, from the areas the district is made of. */
export async function streets() {
  const areas = await request('GET', '/areas')
  return areas.features.map((f) => f.properties).filter((p) => p.level === 'street')
}

/** Download a file from the API as the browser's own download, named as the server
 * names it; a refusal (too many rows, say) is thrown as an ApiError with its reason
 * instead of being saved as a file. */
export async function download(url) {
  const response = await fetch(url, { credentials: 'same-origin', cache: 'no-store' })
  if (!response.ok) {
    let problem = null
    try {
      problem = await response.json()
    } catch {
      problem = null
    }
    throw new ApiError(response.status, problem)
  }
  const disposition = response.headers.get('Content-Disposition') || ''
  const encoded = /filename\*=UTF-8''([^;]+)/.exec(disposition)
  const name = encoded ? decodeURIComponent(encoded[1]) : url.split('/').pop().split('?')[0]
  const link = document.createElement('a')
  link.href = URL.createObjectURL(await response.blob())
  link.download = name
  document.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000)
}
