// Pages of the console, under /console/. A page names the roles that may open it; a
// signed-in user of another role sees the 无权限 page in its place (App.vue).
import { createRouter, createWebHistory } from 'vue-router'
import { homeOf, restoreSession } from './composables/useSession.js'
import LoginView from './views/LoginView.vue'

const DEPARTMENT = ['dept_staff']
const VERIFIERS = ['office', 'grid_worker']
const OFFICE = ['office']

export const router = createRouter({
  history: createWebHistory('/console/'),
  routes: [
    { path: '/', name: 'home', component: { render: () => null } },
    { path: '/login', name: 'login', component: LoginView, meta: { public: true } },
    {
      path: '/todo',
      name: 'todo',
      component: () => import('./views/TodoView.vue'),
      meta: { roles: DEPARTMENT },
    },
    {
      path: '/verify',
      name: 'verify',
      component: () => import('./views/VerifyView.vue'),
      meta: { roles: VERIFIERS },
    },
    {
      path: '/triage',
      name: 'triage',
      component: () => import('./views/TriageView.vue'),
      meta: { roles: OFFICE },
    },
    {
      path: '/hazards/:id',
      name: 'hazard',
      component: () => import('./views/HazardView.vue'),
      props: true,
    },
    {
      path: '/:missing(.*)*',
      name: 'not-found',
      component: () => import('./views/NotFoundView.vue'),
    },
  ],
})

router.beforeEach(async (to) => {
  const user = await restoreSession()
  if (to.meta.public) return user && to.name === 'login' && !to.query.volunteer ? homeOf(user) : true
  if (!user) return { name: 'login', query: to.fullPath !== '/' ? { next: to.fullPath } : {} }
  if (to.name === 'home') return homeOf(user)
  return true
})
