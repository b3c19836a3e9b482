// The office's statistics and lists (SPEC §6, issue 13): the dashboard, the list of
// hazards every figure opens, the weekly table, and the rectification notice to print.
import { DEPARTMENT, OFFICE } from '../roles.js'

// A department sees its own hazards through the same list (the API narrows it).
const LISTS = [...OFFICE, ...DEPARTMENT]

export default [
  {
    path: '/dashboard',
    name: 'dashboard',
    component: () => import('../views/stats/DashboardView.vue'),
    meta: { roles: OFFICE, menu: 'statsNav.dashboard', order: 40 },
  },
  {
    path: '/hazards',
    name: 'hazard-list',
    component: () => import('../views/stats/HazardListView.vue'),
    meta: { roles: LISTS, menu: 'statsNav.hazards', order: 45 },
  },
  {
    path: '/weekly',
    name: 'weekly',
    component: () => import('../views/stats/WeeklyView.vue'),
    meta: { roles: OFFICE, menu: 'statsNav.weekly', order: 50 },
  },
  {
    path: '/notice',
    name: 'notice',
    component: () => import('../views/stats/NoticeView.vue'),
    meta: { roles: LISTS },
  },
]
