// Dates and deadlines as people in the district read them: Beijing time.
const ZONE = 'Asia/Shanghai'
const parts = new Intl.DateTimeFormat('en-CA', {
  timeZone: ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
})

/** "2026-06-05 23:59" in Beijing time, or "—". */
export function dateTime(value) {
  if (!value) return '—'
  const p = Object.fromEntries(parts.formatToParts(new Date(value)).map((x) => [x.type, x.value]))
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`
}

/** The deadline's remaining time as a message key and its values, for t(). */
export function remaining(hazard) {
  if (hazard.overdue) {
    return hazard.escalation > 0
      ? { key: 'deadline.escalation', n: hazard.escalation, level: 'danger' }
      : { key: 'deadline.overdue', n: 0, level: 'danger' }
  }
  const left = hazard.working_days_left
  if (left === null || left === undefined) return { key: 'deadline.none', n: 0, level: 'info' }
  if (left <= 1) return { key: 'deadline.lastDay', n: left, level: 'warning' }
  return { key: 'deadline.daysLeft', n: left, level: left <= 2 ? 'warning' : 'success' }
}

export const STATUS_TYPE = {
  reported: 'info',
  assigned: 'warning',
  accepted: 'primary',
  rectifying: 'primary',
  rectified: 'success',
  verified: 'success',
  closed: 'info',
  invalid: 'info',
  duplicate: 'info',
}
