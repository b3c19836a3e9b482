// Every visible string comes from the files under locales/<language>/, one per part of the
// console (core.json, and one per area of pages); each file holds its own top-level keys.
// Chinese is the default.
import { createI18n } from 'vue-i18n'
import { setLanguage } from './api/index.js'

export const LANGUAGES = ['zh-CN', 'en']
const STORED = 'console.language'

const files = import.meta.glob('./locales/*/*.json', { eager: true, import: 'default' })

function messagesOf(language) {
  const merged = {}
  for (const [path, messages] of Object.entries(files)) {
    if (path.startsWith(`./locales/${language}/`)) Object.assign(merged, messages)
  }
  return merged
}

function initial() {
  const saved = localStorage.getItem(STORED)
  return LANGUAGES.includes(saved) ? saved : 'zh-CN'
}

export const i18n = createI18n({
  legacy: false,
  locale: initial(),
  fallbackLocale: 'zh-CN',
  messages: Object.fromEntries(LANGUAGES.map((tag) => [tag, messagesOf(tag)])),
})

export function useLanguage(tag) {
  i18n.global.locale.value = tag
  localStorage.setItem(STORED, tag)
  document.documentElement.lang = tag
  document.title = i18n.global.t('app.title')
  setLanguage(tag)
}

useLanguage(i18n.global.locale.value)
