// Who is signed in: one reactive record shared by every page.
import { reactive } from 'vue'
import * as api from '../api/index.js'

const state = reactive({ user: null, checked: false })

export function useSession() {
  return state
}

/** Ask the server once which session the cookie holds (after a reload). */
export async function restoreSession() {
  if (!state.checked) {
    state.user = await api.currentSession()
    state.checked = true
  }
  return state.user
}

export async function signIn(username, password) {
  state.user = await api.signIn(username, password)
  state.checked = true
  return state.user
}

export async function signOut() {
  try {
    await api.signOut()
  } finally {
    state.user = null
  }
}

export function forgetSession() {
  state.user = null
}

/** The page a user starts on. */
export function homeOf(user) {
  if (!user) return { name: 'login' }
  if (user.role === 'dept_staff') return { name: 'todo' }
  if (user.role === 'office' || user.role === 'grid_worker') return { name: 'verify' }
  return { name: 'login', query: { volunteer: '1' } }
}
