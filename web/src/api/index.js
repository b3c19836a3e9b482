// The one module that talks HTTP: `request` and the calls every page shares. An area of
// pages keeps its own calls in api/<area>.js, built on `request`.
// The console is signed in by an HttpOnly cookie that no script here can read; every
// write made with it carries the session's CSRF token, which is kept in memory only and
// read again with GET /auth/session after a reload.
import { sha256Hex } from './sha256.js'

const BASE = '/api/v1'

let csrfToken = null
let language = 'zh-CN'
let onSignedOut = () => {}

/** A failed call: `status` is the HTTP status (0: the server could not be reached),
 * `problem` the server's problem+json body when there is one. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `HTTP ${status}`)
    this.status = status
    this.problem = problem || null
  }
}

/** Called when a request finds the session gone (401), so the app can show sign-in. */
export function whenSignedOut(callback) {
  onSignedOut = callback
}

/** The language the server answers its messages in. */
export function setLanguage(tag) {
  language = tag
}

function query(params) {
  const pairs = Object.entries(params || {}).filter(([, v]) => v !== undefined && v !== null && v !== '')
  return pairs.length ? '?' + new URLSearchParams(pairs).toString() : ''
}

export async function request(method, path, { params, json, body, contentType } = {}) {
  const headers = { Accept: 'application/json', 'Accept-Language': language }
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(json)
  } else if (contentType) {
    headers['Content-Type'] = contentType
  }
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken
  let response
  try {
    response = await fetch(BASE + path + query(params), {
      method,
      headers,
      body,
      credentials: 'same-origin',
      cache: 'no-store',
    })
  } catch {
    throw new ApiError(0, null)
  }
  const type = response.headers.get('Content-Type') || ''
  const text = response.status === 204 ? '' : await response.text()
  let data = null
  if (text && type.includes('json')) {
    try {
      data = JSON.parse(text)
    } catch {
      data = null
    }
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data)
    if (response.status === 401 && path !== '/auth/session') {
      csrfToken = null
      onSignedOut(error)
    }
    throw error
  }
  return data
}

function keepSession(session) {
  csrfToken = session.csrf_token
  const { csrf_token: _, ...user } = session
  return user
}

// --- the console session ------------------------------------------------------------

/** Sign in; returns the user (username, display_name, role, department, …). */
export async function signIn(username, password) {
  return keepSession(await request('POST', '/auth/session', { json: { username, password } }))
}

/** The user of the cookie's session, or null when there is none (a reload). */
export async function currentSession() {
  try {
    return keepSession(await request('GET', '/auth/session'))
  } catch (error) {
    if (error.status === 401) return null
    throw error
  }
}

export async function signOut() {
  try {
    await request('DELETE', '/auth/session')
  } finally {
    csrfToken = null
  }
}

// --- hazards, queues, history -------------------------------------------------------

/** One page of a work queue: {view, items, next}. */
export function queue(view, { limit = 50, cursor } = {}) {
  return request('GET', '/queue', { params: { view, limit, cursor } })
}

/** One page of hazards you may see, with the list filters: {items, next}. */
export function hazards(filters = {}, { limit = 50, cursor } = {}) {
  return request('GET', '/hazards', { params: { ...filters, limit, cursor } })
}

export function hazard(id) {
  return request('GET', `/hazards/${encodeURIComponent(id)}`)
}

export function events(id) {
  return request('GET', `/hazards/${encodeURIComponent(id)}/events`)
}

/** Take a lifecycle step: `step` is {type, note?, photos?, result?}; `baseVersion` the
 * version on screen (409 if someone moved the hazard on since); `id` the step's own id,
 * kept by the caller so a retry after a lost answer is the same step. */
export function takeStep(hazardId, step, baseVersion, id) {
  return request('POST', `/hazards/${encodeURIComponent(hazardId)}/events`, {
    json: { id, ...step, base_version: baseVersion },
  })
}

// --- photos -------------------------------------------------------------------------

/** Upload a photo chosen from disk under the SHA-256 of its bytes; returns the hash. */
export async function uploadPhoto(file) {
  const bytes = await file.arrayBuffer()
  const sha = await sha256Hex(bytes)
  await request('PUT', `/photos/${sha}`, {
    body: bytes,
    contentType: file.type || 'application/octet-stream',
  })
  return sha
}

/** The URL of a photo's thumbnail (320 px) or display image (1600 px); same-origin, so
 * the browser sends the session cookie with it. */
export function photoUrl(sha, kind = 'thumb') {
  return `${BASE}/photos/${sha}/${kind}`
}

/** A new step id: a UUID v4. */
export function newId() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID()
  // Plain-HTTP intranets are not a secure context: no randomUUID, but getRandomValues.
  const b = crypto.getRandomValues(new Uint8Array(16))
  b[6] = (b[6] & 0x0f) | 0x40
  b[8] = (b[8] & 0x3f) | 0x80
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}
