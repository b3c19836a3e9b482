// 系统管理: the office's management pages, one tab each, under /manage.
import { OFFICE } from '../roles.js'

export const MANAGE_TABS = [
  'departments',
  'accounts',
  'rules',
  'categories',
  'areas',
  'places',
  'checklists',
  'tasks',
  'invites',
]

const VIEWS = {
  departments: () => import('../views/manage/DepartmentsView.vue'),
  accounts: () => import('../views/manage/AccountsView.vue'),
  rules: () => import('../views/manage/RulesView.vue'),
  categories: () => import('../views/manage/CategoriesView.vue'),
  areas: () => import('../views/manage/AreasView.vue'),
  places: () => import('../views/manage/PlacesView.vue'),
  checklists: () => import('../views/manage/ChecklistsView.vue'),
  tasks: () => import('../views/manage/TasksView.vue'),
  invites: () => import('../views/manage/InvitesView.vue'),
}

export default [
  {
    path: '/manage',
    component: () => import('../views/manage/ManageLayout.vue'),
    redirect: '/manage/departments',
    meta: { roles: OFFICE, menu: 'manage.menu', order: 90 },
    children: MANAGE_TABS.map((tab) => ({
      path: tab,
      name: `manage-${tab}`,
      component: VIEWS[tab],
      meta: { tab },
    })),
  },
]
