// The phone app (SPEC §12): opened from a QR code or inside WeChat, offline first.
import { createApp } from 'vue'
import App from './App.vue'
import { i18n } from './i18n.js'
import { openDevice } from './sync.js'
import './app.css'

// The service worker keeps the app's shell so it opens with no network; where there is
// none (some in-app browsers), the outbox still lives in IndexedDB and nothing is lost.
if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/app/sw.js', { scope: '/app/' }).catch(() => {})
}
// Ask the browser not to wipe the outbox when space runs short.
navigator.storage?.persist?.().catch(() => {})

openDevice().then((device) => {
  device.setLanguage(i18n.global.locale.value)
  createApp(App, { device }).use(i18n).mount('#app')
})
