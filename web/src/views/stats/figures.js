// What the dashboard shows of the statistics, and the list of hazards behind each figure:
// a figure's list carries the same period, group and figure (the API counts and lists
// by the same conditions, so the list's total is the figure).

/** The counts a table row shows, each clickable through to its list. */
export const COUNTS = ['reported', 'valid', 'closed', 'open_overdue']

/** The list filters of a group's row: the code of its street, department or category
 * ('-' for "none"), or for a week the part of it inside the period. */
export function groupFilters(groupBy, key, range) {
  if (groupBy === 'week') {
    const end = addDays7(key)
    return { from: key > range.from ? key : range.from, to: end < range.to ? end : range.to }
  }
  return { ...range, [groupBy]: key ?? '-' }
}

function addDays7(day) {
  const [y, m, d] = day.split('-').map(Number)
  return new Date(Date.UTC(y, m - 1, d + 7)).toISOString().slice(0, 10)
}

/** The route to the list of hazards counted in `figure`, narrowed by `filters`. */
export function listRoute(filters, figure) {
  const query = { ...filters }
  if (figure && figure !== 'reported') query.figure = figure
  return { name: 'hazard-list', query }
}

/** A rate as a percentage, or '—' when there is nothing to divide. */
export function percent(rate) {
  return rate?.value === null || rate?.value === undefined ? '—' : `${(rate.value * 100).toFixed(1)}%`
}

export function days(value) {
  return value === null || value === undefined ? '—' : value.toFixed(1)
}
