// The console's build: Vue single-file components, Element Plus imported per component
// (only what the pages use, with its CSS), served by Flask under /console/.
import { gzipSync } from 'node:zlib'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'

const OUT_DIR = 'dist'
const FIRST_PAGE_LIMIT_KB = 600

// After the build, print what the first page costs: index.html's scripts, preloads and
// style sheets, gzip-compressed (the limit is 600 KB).
function firstPageSize() {
  return {
    name: 'first-page-size',
    apply: 'build',
    closeBundle() {
      const html = readFileSync(join(OUT_DIR, 'index.html'), 'utf8')
      const files = [...html.matchAll(/(?:src|href)="\/console\/(assets\/[^"]+\.(?:js|css))"/g)].map(
        (m) => m[1],
      )
      let raw = 0
      let gzip = 0
      for (const file of new Set(files)) {
        const bytes = readFileSync(join(OUT_DIR, file))
        raw += bytes.length
        gzip += gzipSync(bytes, { level: 9 }).length
      }
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
    },
  }
}

export default defineConfig({
  base: '/console/',
  plugins: [
    vue(),
    Components({ resolvers: [ElementPlusResolver({ importStyle: 'css' })], dts: false }),
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
  },
  server: {
    // `npm run dev`: the API of `./run serve` on :5000 behind Vite's dev server.
    proxy: { '/api': 'http://127.0.0.1:5000' },
  },
})
