// A refused request as a form shows it: one clear message, and each field's own
// message beside the field (el-form-item's `error`). Nothing is changed by a refusal, so
// the form keeps what was typed.
import { reactive } from 'vue'
import { i18n } from '../i18n.js'

/** The problem's `errors` as {dotted.field: "message; message"}: marshmallow nests the
 * errors of list items ({items: {0: {question: [...]}}}), the page wants flat names. */
export function flatErrors(errors, prefix = '') {
  const flat = {}
  for (const [key, value] of Object.entries(errors || {})) {
    const name = prefix ? `${prefix}.${key}` : key
    if (Array.isArray(value) && value.every((v) => typeof v !== 'object')) flat[name] = value.join('; ')
    else if (value && typeof value === 'object') Object.assign(flat, flatErrors(value, name))
    else flat[name] = String(value)
  }
  return flat
}

/** The message of a failed call for an alert: the network, or the server's own detail. */
export function problemMessage(error, key = 'manage.refused') {
  const t = i18n.global.t
  if (!error || error.status === 0) return t('app.networkError')
  return t(key, { detail: error.message })
}

export function useProblem() {
  const problem = reactive({ message: '', fields: {} })
  return {
    problem,
    clear() {
      problem.message = ''
      problem.fields = {}
    },
    show(error) {
      problem.message = problemMessage(error)
      problem.fields = flatErrors(error?.problem?.errors)
    },
    /** The server's message for a field, or '' (el-form-item shows it under the field). */
    field(name) {
      return problem.fields[name] || ''
    },
  }
}
