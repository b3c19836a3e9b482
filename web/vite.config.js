// The console's build: Vue single-file components, Element Plus imported per component
// (only what the pages use, with its CSS), served by Flask under /console/. The same build
// makes a second page, app.html: the volunteers' phone app (SPEC §12), Vant imported per
// component, served under /app/ from the same assets folder.
import { gzipSync } from 'node:zlib'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver, VantResolver } from 'unplugin-vue-components/resolvers'

const OUT_DIR = 'dist'
const FIRST_PAGE_LIMIT_KB = 600
const APP_SHELL_LIMIT_KB = 300
// Where each page is served: its scripts and style sheets are named from there.
const PAGES = { 'index.html': '/console/', 'app.html': '/app/' }

// What a page's HTML loads (scripts, preloads, style sheets), gzip-compressed.
function pageSize(page) {
  const html = readFileSync(join(OUT_DIR, page), 'utf8')
  const prefix = PAGES[page].replaceAll('/', '\\/')
  const pattern = new RegExp(`(?:src|href)="${prefix}(assets/[^"]+\\.(?:js|css))"`, 'g')
  const files = [...new Set([...html.matchAll(pattern)].map((m) => m[1]))]
  let raw = 0
  let gzip = 0
  for (const file of files) {
    const bytes = readFileSync(join(OUT_DIR, file))
    raw += bytes.length
    gzip += gzipSync(bytes, { level: 9 }).length
  }
  return { files, raw, gzip }
}

// After the build, print what the console's first page costs (the limit is 600 KB
// gzip) and what the phone app's shell costs (300 KB gzip: phones on slow networks).
function firstPageSize() {
  return {
    name: 'first-page-size',
    apply: 'build',
    closeBundle() {
      const { files, raw, gzip } = pageSize('index.html')
      let all = 0
      for (const file of readdirSync(join(OUT_DIR, 'assets'))) {
        if (/\.(js|css)$/.test(file)) {
          all += gzipSync(readFileSync(join(OUT_DIR, 'assets', file)), { level: 9 }).length
        }
      }
      const kb = (n) => (n / 1024).toFixed(1)
      console.log(
        `first page: ${files.length} files, ${kb(raw)} KB, ${kb(gzip)} KB gzip ` +
          `(limit ${FIRST_PAGE_LIMIT_KB} KB gzip); every page's JS+CSS: ${kb(all)} KB gzip`,
      )
      if (gzip > FIRST_PAGE_LIMIT_KB * 1024) {
        throw new Error(`the first page is ${kb(gzip)} KB gzip, over ${FIRST_PAGE_LIMIT_KB} KB`)
      }
      const shell = pageSize('app.html')
      console.log(
        `phone app shell: ${shell.files.length} files, ${kb(shell.raw)} KB, ` +
          `${kb(shell.gzip)} KB gzip (limit ${APP_SHELL_LIMIT_KB} KB gzip)`,
      )
      if (shell.gzip > APP_SHELL_LIMIT_KB * 1024) {
        throw new Error(`the app shell is ${kb(shell.gzip)} KB gzip, over ${APP_SHELL_LIMIT_KB} KB`)
      }
    },
  }
}

// Vant's icon font names a fallback on a CDN (at.alicdn.com) after its inline woff2;
// the browser may ask for it, and no request may leave the server (offline intranets,
// and a CSP that says so). The fallback is cut out of the font's sources.
const OUTSIDE_FONT = /,\s*url\((?:https?:)?\/\/[^)]+\)\s*format\("[^"]+"\)/g

function noOutsideFonts() {
  return {
    name: 'no-outside-fonts',
    enforce: 'pre',
    transform(code, id) {
      if (!/node_modules\/vant\/.*\.css$/.test(id.split('?')[0])) return null
      const cut = code.replace(OUTSIDE_FONT, '')
      return cut === code ? null : { code: cut, map: null }
    },
    generateBundle(options, bundle) {
      for (const [name, file] of Object.entries(bundle)) {
        const text = file.type === 'asset' ? String(file.source) : file.code
        if (/\/\/at\.alicdn\.com/.test(text)) throw new Error(`${name} names a CDN (at.alicdn.com)`)
      }
    },
  }
}

export default defineConfig({
  base: '/console/',
  plugins: [
    noOutsideFonts(),
    vue(),
    Components({
      resolvers: [ElementPlusResolver({ importStyle: 'css' }), VantResolver({ importStyle: 'css' })],
      dts: false,
    }),
    firstPageSize(),
  ],
  define: {
    __VUE_OPTIONS_API__: 'false',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
    __VUE_I18N_FULL_INSTALL__: 'false',
    __VUE_I18N_LEGACY_API__: 'false',
    __INTLIFY_PROD_DEVTOOLS__: 'false',
  },
  build: {
    outDir: OUT_DIR,
    emptyOutDir: true,
    // Nothing inlined as data: URLs beyond small icons; every asset comes from the server.
    assetsInlineLimit: 4096,
    sourcemap: false,
    rollupOptions: { input: { index: 'index.html', app: 'app.html' } },
  },
  experimental: {
    // Each page's HTML names its files under its own prefix (/console/assets/…,
    // /app/assets/…: the same folder, served by both); scripts and style sheets name
    // what they load relative to themselves, so each page stays under its own path.
    renderBuiltUrl(filename, { hostId, hostType }) {
      if (hostType === 'html') return (PAGES[hostId] ?? '/console/') + filename
      return { relative: true }
    },
  },
  server: {
    // `npm run dev`: the API of `./run serve` on :5000 behind Vite's dev server.
    proxy: { '/api': 'http://127.0.0.1:5000' },
  },
})
