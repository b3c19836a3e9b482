// Calls of the grid worker's pages: their inspection tasks and the checklists they name.
import { request } from './index.js'

/** Your inspection tasks with their progress (read-only here: the phone app inspects). */
export function tasks() {
  return request('GET', '/tasks')
}

export function checklists() {
  return request('GET', '/checklists')
}
