// The phone app's service worker (served as /app/sw.js, scope /app/): it keeps the app's
// shell so the app opens with no network. The outbox does not depend on it: it lives in
// IndexedDB, for browsers without service workers (some in-app browsers).
//
// On install it fetches the page and caches it with every script and style sheet the
// page names (hashed names, so a cached one never goes stale). Pages are answered from
// the cache at once and refreshed behind (a new build is seen on the next open); assets
// from the cache, else the network. The API is never touched: sync talks to the server.
const CACHE = 'hazard-app-shell-v1'
const PAGE = '/app/'

async function cacheShell() {
  const cache = await caches.open(CACHE)
  const response = await fetch(PAGE, { cache: 'no-store' })
  if (!response.ok) return
  const html = await response.clone().text()
  const assets = [...html.matchAll(/(?:src|href)="(\/app\/[^"]+)"/g)].map((m) => m[1])
  await cache.put(PAGE, response)
  await cache.addAll([...new Set(assets)])
}

self.addEventListener('install', (event) => {
  event.waitUntil(cacheShell().then(() => self.skipWaiting()))
})

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  )
})

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url)
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return
  if (!url.pathname.startsWith('/app/') || url.pathname === '/app/sw.js') return
  if (event.request.mode === 'navigate') {
    event.respondWith(
      caches.open(CACHE).then(async (cache) => {
        const cached = await cache.match(PAGE)
        const fresh = fetch(event.request)
          .then((response) => {
            if (response.ok) cache.put(PAGE, response.clone())
            return response
          })
          .catch(() => null)
        if (cached) {
          event.waitUntil(fresh.then((response) => response && cacheShell().catch(() => {})))
          return cached
        }
        return (await fresh) ?? Response.error()
      }),
    )
    return
  }
  event.respondWith(
    caches.match(event.request).then(
      (cached) =>
        cached ||
        fetch(event.request).then((response) => {
          if (response.ok && url.pathname.startsWith('/app/assets/')) {
            const copy = response.clone()
            caches.open(CACHE).then((cache) => cache.put(event.request, copy))
          }
          return response
        }),
    ),
  )
})
