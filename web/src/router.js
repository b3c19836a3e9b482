// Pages of the console, under /console/. A page names the roles that may open it; a
// signed-in user of another role sees the 无权限 page in its place (App.vue). A page with
// `meta.menu` (a message key) is in the top menu of the roles it names, by `meta.order`.
// Each area of pages keeps its routes in routes/<area>.js (a default-exported list).
import { createRouter, createWebHistory } from 'vue-router'
import { homeOf, restoreSession } from './composables/useSession.js'
import LoginView from './views/LoginView.vue'
import { DEPARTMENT, OFFICE, VERIFIERS } from './roles.js'


const areas = Object.values(import.meta.glob('./routes/*.js', { eager: true, import: 'default' }))

export const router = createRouter({
  history: createWebHistory('/console/'),
  routes: [
    { path: '/', name: 'home', component: { render: () => null } },
    { path: '/login', name: 'login', component: LoginView, meta: { public: true } },
    {
      path: '/todo',
      name: 'todo',
      component: () => import('./views/TodoView.vue'),
      meta: { roles: DEPARTMENT, menu: 'nav.todo', order: 10 },
    },
    {
      path: '/verify',
      name: 'verify',
      component: () => import('./views/VerifyView.vue'),
      meta: { roles: VERIFIERS, menu: 'nav.verify', order: 20 },
    },
    {
      path: '/triage',
      name: 'triage',
      component: () => import('./views/TriageView.vue'),
      meta: { roles: OFFICE, menu: 'nav.triage', order: 30 },
    },
    {
      path: '/hazards/:id',
      name: 'hazard',
      component: () => import('./views/HazardView.vue'),
      props: true,
    },
    ...areas.flat(),
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
