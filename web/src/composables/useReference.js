// Reference data the management pages choose from: departments, categories, areas (their
// codes and names, not their polygons), each loaded when a page asks for it.
import { reactive } from 'vue'
import { useI18n } from 'vue-i18n'
import * as api from '../api/manage.js'

export function useReference() {
  const { locale } = useI18n()
  const ref = reactive({ departments: [], categories: [], areas: [], error: null })

  async function load(...kinds) {
    ref.error = null
    try {
      await Promise.all(
        kinds.map(async (kind) => {
          if (kind === 'departments') ref.departments = await api.departments()
          if (kind === 'categories') ref.categories = await api.categories()
          if (kind === 'areas') {
            const collection = await api.areas()
            ref.areas = collection.features.map((f) => f.properties)
          }
        }),
      )
    } catch (error) {
      ref.error = error
    }
  }

  const byCode = (list, code) => list.find((item) => item.code === code)
  return {
    ref,
    load,
    departmentName: (code) => byCode(ref.departments, code)?.name || code || '—',
    categoryName(code) {
      const found = byCode(ref.categories, code)
      if (!found) return code
      return locale.value === 'en' && found.name_en ? found.name_en : found.name
    },
    areaName: (code) => byCode(ref.areas, code)?.name || code || '—',
    areasOf: (...levels) => ref.areas.filter((a) => levels.includes(a.level)),
  }
}
