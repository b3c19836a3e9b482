// Every visible string comes from locales/zh-CN.json or en.json; Chinese is the default.
import { createI18n } from 'vue-i18n'
import zhCN from './locales/zh-CN.json'
import en from './locales/en.json'
import { setLanguage } from './api/index.js'

export const LANGUAGES = ['zh-CN', 'en']
const STORED = 'console.language'

function initial() {
  const saved = localStorage.getItem(STORED)
  return LANGUAGES.includes(saved) ? saved : 'zh-CN'
}

export const i18n = createI18n({
  legacy: false,
  locale: initial(),
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN, en },
})

export function useLanguage(tag) {
  i18n.global.locale.value = tag
  localStorage.setItem(STORED, tag)
  document.documentElement.lang = tag
  document.title = i18n.global.t('app.title')
  setLanguage(tag)
}

useLanguage(i18n.global.locale.value)
