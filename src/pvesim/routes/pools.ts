import type { Route, RouteRequest } from '../context.js';
import { str } from '../context.js';
import { PveError } from '../errors.js';
import { may } from '../guards.js';
import type { SimPool } from '../state.js';
import { canAudit, vmStats } from './resources.js';

function members(req: RouteRequest, pool: SimPool): Record<string, unknown>[] {
  return req.sim.state
    .poolMembers(pool.poolid)
    .filter((vm) => canAudit(req, vm))
    .map((vm) => ({ id: `${vm.type}/${vm.vmid}`, vmid: vm.vmid, node: vm.node, type: vm.type, name: vm.config.name, status: vm.status, template: vm.template ? 1 : 0, ...vmStats(vm) }));
}

/** GET /pools (optionally one, with members) and GET /pools/{poolid}. */
export const poolRoutes: Route[] = [
  {
    method: 'GET',
    template: '/pools',
    handler(req) {
      const only = str(req.params, 'poolid');
      return [...req.sim.state.pools.values()]
        .filter((p) => (!only || p.poolid === only) && may(req, `/pool/${p.poolid}`, ['Pool.Audit']))
        .map((p) => (only ? { poolid: p.poolid, comment: p.comment, members: members(req, p) } : { poolid: p.poolid, comment: p.comment }));
    },
  },
  {
    method: 'GET',
    template: '/pools/{poolid}',
    handler(req) {
      const id = str(req.params, 'poolid')!;
      const pool = req.sim.state.pools.get(id);
      if (!pool) throw new PveError(500, `pool '${id}' does not exist`);
      if (!may(req, `/pool/${id}`, ['Pool.Audit'])) throw new PveError(403, `Permission check failed (/pool/${id}, Pool.Audit)`);
      return { comment: pool.comment, members: members(req, pool) };
    },
  },
];
