// The app's own messages (locales/*.json here, apart from the console's): Chinese first,
// English by the switch on 我的; the choice is kept on the phone.
import { createI18n } from 'vue-i18n'
import zh from './locales/zh-CN.json'
import en from './locales/en.json'

export const LANGUAGES = ['zh-CN', 'en']
const STORED = 'app.language'

function initial() {
  const saved = localStorage.getItem(STORED)
  return LANGUAGES.includes(saved) ? saved : 'zh-CN'
}

export const i18n = createI18n({
  legacy: false,
  locale: initial(),
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zh, en },
})

export function setLocale(tag) {
  i18n.global.locale.value = tag
  localStorage.setItem(STORED, tag)
  document.documentElement.lang = tag
}
