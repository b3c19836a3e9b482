// The phone's side of offline sync (SPEC §9), in plain JavaScript with no Vue in it, so it
// can be tested and reasoned about apart from the screens (as sync/client.py is on the
// Python side).
//
// Everything the user does goes first into IndexedDB: a mutation with this device's next
// `seq` in the outbox, its photos as Blobs beside it. `sync()` pushes what waits, in seq
// order and in batches, through POST /api/v1/sync; uploads the photos the server says it
// lacks; keeps the pull cursor and the hazards the server sends back. Nothing leaves the
// outbox until the server has answered it, so a reload, a killed browser or a network cut
// half-way loses nothing: the resend is answered `duplicate`.
import { openDB } from 'idb'
import { sha256Hex } from '../api/sha256.js'

export const DB_NAME = 'hazard-app'
const BATCH = 50 // mutations per call: a phone's photos are uploaded between batches
const PULL_LIMIT = 500

// What an answered mutation becomes in the outbox: applied and duplicate leave it;
// rejected and conflict stay, with the server's answer, for the user to see.
const KEPT = new Set(['rejected', 'conflict'])

/** A version 4 UUID. crypto.randomUUID exists only in secure contexts (HTTPS or
 * localhost); intranet pages over plain HTTP still have getRandomValues. */
export function uuid4() {
  const b = crypto.getRandomValues(new Uint8Array(16))
  b[6] = (b[6] & 0x0f) | 0x40
  b[8] = (b[8] & 0x3f) | 0x80
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

function openStore(name) {
  return openDB(name, 1, {
    upgrade(db) {
      db.createObjectStore('kv') // device id, token, user, cursor, seq counters, categories
      // Keyed by user and seq: the server numbers each user's mutations on a device apart.
      db.createObjectStore('outbox', { keyPath: ['username', 'seq'] })
      db.createObjectStore('photos', { keyPath: 'sha256' })
      db.createObjectStore('hazards', { keyPath: 'id' })
    },
  })
}

/** The server said something other than what the protocol promises (not a network cut). */
export class SyncError extends Error {
  constructor(status, body) {
    super(body?.detail || body?.title || `HTTP ${status}`)
    this.status = status
    this.body = body
  }
}

/**
 * The device: its local database and its conversation with the server.
 * `fetch` is injectable for tests; `language` goes out as Accept-Language, so the
 * server's reasons come in the reader's language.
 */
export async function openDevice({ dbName = DB_NAME, fetch = globalThis.fetch.bind(globalThis) } = {}) {
  const db = await openStore(dbName)
  const listeners = new Set()
  let running = null
  let language = 'zh-CN'
  const status = { syncing: false, lastError: null, lastSync: null }

  let deviceId = await db.get('kv', 'deviceId')
  if (!deviceId) {
    deviceId = uuid4() // made once, kept with the outbox it numbers
    await db.put('kv', deviceId, 'deviceId')
  }
  let token = await db.get('kv', 'token')
  let user = await db.get('kv', 'user')

  function changed() {
    for (const listener of listeners) listener()
  }

  async function call(method, path, { json, body, contentType } = {}) {
    const headers = { Accept: 'application/json', 'Accept-Language': language }
    if (token) headers.Authorization = `Bearer ${token}`
    if (json !== undefined) {
      headers['Content-Type'] = 'application/json'
      body = JSON.stringify(json)
    } else if (contentType) {
      headers['Content-Type'] = contentType
    }
    const response = await fetch(path, { method, headers, body, credentials: 'omit' })
    const text = await response.text()
    let answer = null
    try {
      answer = text ? JSON.parse(text) : null
    } catch {
      answer = { detail: text }
    }
    if (response.status === 401 && token) await forget() // revoked elsewhere: sign in again
    return { status: response.status, body: answer }
  }

  async function forget() {
    token = null
    user = null
    const tx = db.transaction(['kv', 'hazards'], 'readwrite')
    await Promise.all([
      tx.objectStore('kv').delete('token'),
      tx.objectStore('kv').delete('user'),
      tx.objectStore('kv').delete('cursor'),
      tx.objectStore('hazards').clear(),
      tx.done,
    ])
    changed()
  }

  const seqKey = () => `seq:${user.username}`

  // Only the signed-in user's entries are sent: after a token is revoked (a 401) the
  // outbox stays, and must not go out under whoever signs in next.
  const own = (entry) => entry.username === user?.username

  async function waiting() {
    return (await db.getAll('outbox')).filter((entry) => entry.state === 'waiting' && own(entry))
  }

  /** Upload every photo the server said it lacks; stop at the first network failure. */
  async function uploadMissing() {
    const photos = (await db.getAll('photos')).filter((p) => p.state === 'missing')
    for (const photo of photos) {
      const { status, body } = await call('PUT', `/api/v1/photos/${photo.sha256}`, {
        body: photo.blob,
        contentType: photo.type || 'application/octet-stream',
      })
      if (status === 200 || status === 201) {
        await db.delete('photos', photo.sha256) // the server holds it now
      } else if (status >= 400 && status < 500 && status !== 401) {
        await db.put('photos', { ...photo, state: 'refused', reason: body?.detail ?? null })
      } else {
        throw new SyncError(status, body)
      }
      changed()
    }
  }

  /** Keep what one answer says: receipts into the outbox, changes into the hazards. */
  async function store(batch, answer) {
    const bySeq = new Map(batch.map((m) => [m.seq, m]))
    const tx = db.transaction(['outbox', 'photos', 'hazards', 'kv'], 'readwrite')
    const outbox = tx.objectStore('outbox')
    const photos = tx.objectStore('photos')
    let deferred = 0
    for (const result of answer.results) {
      const mutation = bySeq.get(result.seq)
      if (!mutation) continue
      if (result.status === 'deferred') {
        deferred += 1 // an earlier seq has not arrived: sent again, in order, next round
        continue
      }
      const key = [user.username, result.seq]
      if (KEPT.has(result.status)) {
        const entry = await outbox.get(key)
        await outbox.put({ ...entry, state: result.status, answer: result })
        continue
      }
      // applied or duplicate: done. Its photos the server lacks go up next; a duplicate's
      // first answer may be stale, so each of its photos still here is offered again
      // (a photo already stored answers 200).
      const missing =
        result.status === 'applied' ? new Set(result.missing_photos ?? []) : null
      for (const sha of mutation.photos) {
        const photo = await photos.get(sha)
        if (!photo) continue
        if (missing === null || missing.has(sha)) await photos.put({ ...photo, state: 'missing' })
        else await photos.delete(sha)
      }
      await outbox.delete(key)
    }
    const pull = answer.pull
    const hazards = tx.objectStore('hazards')
    if (pull.reset) await hazards.clear()
    for (const change of pull.changes) {
      if (change.op === 'upsert') await hazards.put({ ...change.data, id: change.id })
      else await hazards.delete(change.id)
    }
    await tx.objectStore('kv').put(pull.cursor, 'cursor')
    if (answer.tasks) await tx.objectStore('kv').put(answer.tasks, 'tasks')
    await tx.done
    return { deferred, hasMore: pull.has_more }
  }

  async function syncOnce() {
    await uploadMissing() // what an interrupted sync left
    let rounds = 0
    for (;;) {
      const batch = (await waiting()).slice(0, BATCH).map((entry) => entry.body)
      const cursor = (await db.get('kv', 'cursor')) ?? null
      const { status, body } = await call('POST', '/api/v1/sync', {
        json: { device_id: deviceId, mutations: batch, pull: { cursor, limit: PULL_LIMIT } },
      })
      if (status !== 200) throw new SyncError(status, body)
      const { deferred, hasMore } = await store(batch, body)
      changed()
      await uploadMissing()
      rounds += 1
      const more = (await waiting()).length > 0
      // Stop when up to date; a batch answered all deferred is tried again only a few
      // times (the server waits for a seq that is not here to send).
      if (!hasMore && (!more || (deferred === batch.length && rounds > 3))) return
    }
  }

  const device = {
    deviceId,
    status,
    get user() {
      return user
    },
    setLanguage(tag) {
      language = tag
    },
    /** Call `listener` whenever what is stored changes; returns the unsubscribe. */
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },

    /** Sign in as a phone does: a bearer token for this device, kept across reloads. */
    async signIn(username, password) {
      const name = `H5 app ${deviceId.slice(0, 8)}` // how the office sees this phone
      const signed = await call('POST', '/api/v1/auth/tokens', {
        json: { username, password, device_name: name },
      })
      if (signed.status !== 201) throw new SyncError(signed.status, signed.body)
      token = signed.body.token
      const me = await call('GET', '/api/v1/me')
      if (me.status !== 200) throw new SyncError(me.status, me.body)
      user = me.body
      await db.put('kv', token, 'token')
      await db.put('kv', user, 'user')
      changed()
      return user
    },

    /** Revoke this device's token and forget the user's data; refused while reports
     * wait to be sent (they would be lost, and leave a gap in the device's seq). */
    async signOut() {
      if ((await waiting()).length) throw new Error('outbox-not-empty')
      if (navigator.onLine) {
        try {
          await call('DELETE', '/api/v1/auth/tokens/current')
        } catch {
          // offline after all: the token is forgotten here; the office can revoke it
        }
      }
      // What the server answered stays with no one: this user's refused entries and photos.
      const tx = db.transaction(['outbox', 'photos'], 'readwrite')
      for (const entry of (await tx.objectStore('outbox').getAll()).filter(own)) {
        for (const sha of entry.body.photos) await tx.objectStore('photos').delete(sha)
        await tx.objectStore('outbox').delete([entry.username, entry.seq])
      }
      await tx.done
      await forget()
    },

    /** The categories, fetched when online and kept for offline; deactivated ones too
     * (`active: false`: not offered, but a report already made in one keeps its name). */
    async categories() {
      if (token && navigator.onLine) {
        try {
          const { status, body } = await call('GET', '/api/v1/categories?include_inactive=true')
          if (status === 200) await db.put('kv', body, 'categories')
        } catch {
          // the cached list stands
        }
      }
      return (await db.get('kv', 'categories')) ?? []
    },

    /** Put a new report and its photos (File or Blob, original bytes) in the outbox. */
    async queueReport({ category, description, lat, lon, accuracy, address, files = [] }) {
      const photos = []
      for (const file of files) {
        const sha256 = await sha256Hex(await file.arrayBuffer())
        photos.push({ sha256, blob: file, type: file.type, state: 'waiting', name: file.name })
      }
      const hazardId = uuid4()
      const now = new Date().toISOString()
      const tx = db.transaction(['kv', 'outbox', 'photos'], 'readwrite')
      const kv = tx.objectStore('kv')
      const seq = ((await kv.get(seqKey())) ?? 0) + 1
      await kv.put(seq, seqKey())
      for (const photo of photos) await tx.objectStore('photos').put(photo)
      const body = {
        seq,
        id: uuid4(),
        type: 'hazard.create',
        entity_id: hazardId,
        base_version: null,
        data: {
          category,
          description,
          lat,
          lon,
          accuracy_m: accuracy ?? null,
          crs: 'wgs84',
          address: address || null,
          observed_at: now,
        },
        photos: [...new Set(photos.map((p) => p.sha256))],
        occurred_at: now,
      }
      await tx
        .objectStore('outbox')
        .put({ seq, body, state: 'waiting', answer: null, queuedAt: now, username: user.username })
      await tx.done
      changed()
      return hazardId
    },

    /** Everything in the outbox, in seq order: waiting, rejected and in conflict. */
    async outbox() {
      return (await db.getAll('outbox')).filter(own)
    },

    /** Drop an answered (rejected or conflicting) entry and its photos from the outbox. */
    async discard(seq) {
      const key = [user.username, seq]
      const entry = await db.get('outbox', key)
      if (!entry || entry.state === 'waiting') return // a waiting one would leave a gap
      const tx = db.transaction(['outbox', 'photos'], 'readwrite')
      for (const sha of entry.body.photos) await tx.objectStore('photos').delete(sha)
      await tx.objectStore('outbox').delete(key)
      await tx.done
      changed()
    },

    /** How many mutations wait to be sent, how many the server refused, and how many
     * photos of sent reports wait to be uploaded (a report is not whole without them). */
    async counts() {
      const all = (await db.getAll('outbox')).filter(own)
      const photos = await db.getAll('photos')
      return {
        waiting: all.filter((e) => e.state === 'waiting').length,
        refused: all.filter((e) => e.state !== 'waiting').length,
        photos: photos.filter((p) => p.state === 'missing').length,
      }
    },

    /** The hazards this user reported, from the pull (so offline too), newest first. */
    async myHazards() {
      const all = await db.getAll('hazards')
      return all
        .filter((h) => h.mine ?? h.reporter?.username === user?.username)
        .sort((a, b) => String(b.received_at).localeCompare(String(a.received_at)))
    },

    /**
     * Push, upload and pull until up to date. One sync at a time (a call during one
     * joins it); across tabs too, where Web Locks exist. Offline, it does nothing:
     * the outbox waits for the `online` event.
     */
    sync() {
      if (!token || !navigator.onLine) return Promise.resolve(false)
      if (running) return running
      status.syncing = true
      status.lastError = null
      changed()
      const work = () => syncOnce()
      const locked = navigator.locks
        ? navigator.locks.request('hazard-app-sync', work)
        : work()
      running = locked
        .then(() => {
          status.lastSync = new Date().toISOString()
          return true
        })
        .catch((error) => {
          status.lastError = error instanceof SyncError ? error.message : 'network'
          return false
        })
        .finally(() => {
          status.syncing = false
          running = null
          changed()
        })
      return running
    },
  }
  return device
}
