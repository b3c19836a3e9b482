// Calls of the work on hazards (queues, steps, claims, bulk): built on `request`.
import { hazards, queue, request } from './index.js'

/** Departments a hazard may be assigned to: active, and not the office itself. */
export async function assignableDepartments() {
  const all = await request('GET', '/departments')
  return all.filter((d) => d.active !== false && d.kind !== 'office')
}

/** Kinds of hazard, to filter a list by. */
export function categories() {
  return request('GET', '/categories')
}

/** Every hazard of a filtered list, read page by page (200 a page) to the end: "all
 * hazards matching the filter", not only those on screen. `onPage(n)` is told how many
 * have been read so far. */
export async function allHazards(filters, onPage = () => {}) {
  return readAll((cursor) => hazards(filters, { limit: 200, cursor }), onPage)
}

/** Every hazard of a work queue, page by page to the end. */
export async function allOfQueue(view, onPage = () => {}) {
  return readAll((cursor) => queue(view, { limit: 200, cursor }), onPage)
}

async function readAll(load, onPage) {
  const items = []
  let cursor = null
  do {
    const page = await load(cursor)
    items.push(...page.items)
    onPage(items.length)
    cursor = page.next
  } while (cursor)
  return items
}
