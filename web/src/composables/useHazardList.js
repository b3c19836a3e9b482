// A list of hazards read page by page from one API call (a queue view or filtered list).
import { reactive } from 'vue'

/** `load(cursor)` returns {items, next}; the list keeps what has been read so far. */
export function useHazardList(load) {
  const list = reactive({ items: [], next: null, loading: false, loaded: false, error: null })

  async function read(cursor) {
    list.loading = true
    list.error = null
    try {
      const page = await load(cursor)
      list.items = cursor ? [...list.items, ...page.items] : page.items
      list.next = page.next
      list.loaded = true
    } catch (error) {
      list.error = error
    } finally {
      list.loading = false
    }
  }

  return {
    list,
    reload: () => read(null),
    more: () => (list.next ? read(list.next) : Promise.resolve()),
  }
}
