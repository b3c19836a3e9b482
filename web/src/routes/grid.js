// The grid worker's pages (网格员): their grids' hazards and their inspection tasks.
// Their field work (inspecting, reporting) is the phone app's.
export default [
  {
    path: '/grid/hazards',
    name: 'grid-hazards',
    component: () => import('../views/grid/GridHazardsView.vue'),
    meta: { roles: ['grid_worker'], menu: 'grid.menuHazards', order: 25 },
  },
  {
    path: '/grid/tasks',
    name: 'grid-tasks',
    component: () => import('../views/grid/GridTasksView.vue'),
    meta: { roles: ['grid_worker'], menu: 'grid.menuTasks', order: 26 },
  },
]
