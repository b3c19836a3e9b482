// Who may open a page: the roles a route's `meta.roles` names.
export const DEPARTMENT = ['dept_staff']
export const VERIFIERS = ['office', 'grid_worker']
export const OFFICE = ['office']
