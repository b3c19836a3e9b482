// The map of hazards (隐患地图): the office, departments (what they lead or, for a street
// office, what lies in their street) and grid workers (their grids), as the API lets each see.
export default [
  {
    path: '/map',
    name: 'map',
    component: () => import('../views/map/MapView.vue'),
    meta: { roles: ['office', 'dept_staff', 'grid_worker'], menu: 'map.menu', order: 60 },
  },
]
