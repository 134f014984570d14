import type { Route, RouteRequest } from '../context.js';
import { PveError } from '../errors.js';
import { faultsSchema } from '../faults.js';

function rootOnly(req: RouteRequest): void {
  if (req.who.userid !== 'root@pam' || req.who.privsep) throw new PveError(403, 'Permission check failed (root@pam only)');
}

/**
 * Simulator-only admin endpoints under /_sim (not part of PVE): fault injection. Body: JSON or form with
 * `rules` (JSON array) and `offlineNodes` (comma list).
 */
export const simAdminRoutes: Route[] = [
  {
    method: 'GET',
    template: '/_sim/faults',
    unchecked: true,
    handler(req) {
      rootOnly(req);
      return req.sim.faults.snapshot();
    },
  },
  {
    method: 'POST',
    template: '/_sim/faults',
    unchecked: true,
    handler(req) {
      rootOnly(req);
      const raw = req.params;
      const input: Record<string, unknown> = {};
      try {
        if (raw.rules !== undefined) input.rules = JSON.parse(String(raw.rules));
        if (raw.offlineNodes !== undefined) {
          const v = String(raw.offlineNodes);
          input.offlineNodes = v.startsWith('[') ? JSON.parse(v) : v.split(',').filter(Boolean);
        }
      } catch {
        throw new PveError(400, 'Parameter verification failed.', { rules: 'invalid JSON' });
      }
      const parsed = faultsSchema.safeParse(input);
      if (!parsed.success) throw new PveError(400, 'Parameter verification failed.', { faults: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
      req.sim.faults.set(parsed.data);
      return null;
    },
  },
  {
    method: 'DELETE',
    template: '/_sim/faults',
    unchecked: true,
    handler(req) {
      rootOnly(req);
      req.sim.faults.clear();
      return null;
    },
  },
];
