import type { Route } from '../context.js';
import { str } from '../context.js';
import { PveError } from '../errors.js';
import { may } from '../guards.js';

/** Storage list and content (ISO list). */
export const storageRoutes: Route[] = [
  {
    method: 'GET',
    template: '/nodes/{node}/storage',
    handler(req) {
      const content = str(req.params, 'content');
      return [...req.sim.state.storages.values()]
        .filter((s) => may(req, `/storage/${s.id}`, ['Datastore.Audit', 'Datastore.AllocateSpace']))
        .filter((s) => !content || content.split(',').some((c) => s.content.includes(c)))
        .map((s) => ({ storage: s.id, type: s.type, content: s.content.join(','), shared: s.shared ? 1 : 0, active: 1, enabled: 1, total: 500 * 1024 ** 3, used: 50 * 1024 ** 3, avail: 450 * 1024 ** 3, used_fraction: 0.1 }));
    },
  },
  {
    method: 'GET',
    template: '/nodes/{node}/storage/{storage}/content',
    handler(req) {
      const id = str(req.params, 'storage')!;
      const storage = req.sim.state.storages.get(id);
      if (!storage) throw new PveError(500, `storage '${id}' does not exist`);
      if (!may(req, `/storage/${id}`, ['Datastore.Audit', 'Datastore.AllocateSpace'])) {
        throw new PveError(403, `Permission check failed (/storage/${id}, Datastore.Audit|Datastore.AllocateSpace)`);
      }
      const content = str(req.params, 'content');
      if (content && content !== 'iso') return [];
      return storage.isos.map((i) => ({ volid: i.volid, format: 'iso', size: i.size, ctime: i.ctime, content: 'iso' }));
    },
  },
];
