// Periods as the statistics take them: Asia/Shanghai calendar days, [from, to) with `to`
// the day after the last, and ISO weeks (Monday first) named 2026-W23.
const ZONE = 'Asia/Shanghai'
const DAY = 86400000
const dayOf = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit' })

/** Today in Shanghai as YYYY-MM-DD, whatever the browser's zone. */
export function today() {
  return dayOf.format(new Date())
}

function utc(iso) {
  const [y, m, d] = iso.split('-').map(Number)
  return Date.UTC(y, m - 1, d)
}

function iso(ms) {
  return new Date(ms).toISOString().slice(0, 10)
}

export function addDays(day, n) {
  return iso(utc(day) + n * DAY)
}

/** This month so far and to its end: {from, to}. */
export function thisMonth(day = today()) {
  const [y, m] = day.split('-').map(Number)
  return { from: iso(Date.UTC(y, m - 1, 1)), to: iso(Date.UTC(y, m, 1)) }
}

export function lastMonth(day = today()) {
  const [y, m] = day.split('-').map(Number)
  return { from: iso(Date.UTC(y, m - 2, 1)), to: iso(Date.UTC(y, m - 1, 1)) }
}

export function thisYear(day = today()) {
  const y = Number(day.slice(0, 4))
  return { from: `${y}-01-01`, to: `${y + 1}-01-01` }
}

/** The Monday of a day's ISO week. */
export function monday(day) {
  const weekday = (new Date(utc(day)).getUTCDay() + 6) % 7 // Monday 0
  return addDays(day, -weekday)
}

/** The ISO week of a day: {year, week, name: '2026-W23', from, to}. */
export function isoWeek(day) {
  const start = monday(day)
  const thursday = addDays(start, 3)
  const year = Number(thursday.slice(0, 4))
  const week = Math.floor((utc(thursday) - utc(`${year}-01-01`)) / DAY / 7) + 1
  return { year, week, name: `${year}-W${String(week).padStart(2, '0')}`, from: start, to: addDays(start, 7) }
}

/** The last `count` ISO weeks, newest first, this week included. */
export function recentWeeks(count, day = today()) {
  return Array.from({ length: count }, (_, n) => isoWeek(addDays(day, -7 * n)))
}

/** A period from the picker's inclusive [first, last] days, and back. */
export function fromPicker([first, last]) {
  return { from: first, to: addDays(last, 1) }
}

export function toPicker({ from, to }) {
  return [from, addDays(to, -1)]
}
