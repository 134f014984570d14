import type { Route } from '../context.js';
import { str } from '../context.js';
import { guestOf, requirePriv } from '../guards.js';
import { power, type PowerAction } from '../power.js';
import { canAudit, uptimeOf, vmStats } from './resources.js';
import type { SimVm } from '../state.js';

function ctItem(vm: SimVm): Record<string, unknown> {
  const s = vmStats(vm);
  const r: Record<string, unknown> = { vmid: vm.vmid, name: vm.config.hostname, status: vm.status, cpus: s.maxcpu, maxmem: s.maxmem, mem: s.mem, cpu: s.cpu, maxdisk: s.maxdisk, disk: 0, maxswap: 512 * 1024 * 1024, uptime: uptimeOf(vm), netin: 0, netout: 0, diskread: 0, diskwrite: 0 };
  if (vm.template) r.template = 1;
  if (vm.config.tags) r.tags = vm.config.tags;
  if (vm.lock) r.lock = vm.lock;
  return r;
}

/** LXC: list, status/current and the power actions. */
export const lxcRoutes: Route[] = [
  {
    method: 'GET',
    template: '/nodes/{node}/lxc',
    handler(req) {
      const node = str(req.params, 'node')!;
      return [...req.sim.state.vms.values()].filter((vm) => vm.node === node && vm.type === 'lxc' && canAudit(req, vm)).map(ctItem);
    },
  },
  {
    method: 'GET',
    template: '/nodes/{node}/lxc/{vmid}/status/current',
    handler(req) {
      const vm = guestOf(req, 'lxc');
      requirePriv(req, `/vms/${vm.vmid}`, ['VM.Audit']);
      return { ...ctItem(vm), ha: { managed: 0 } };
    },
  },
  ...(['start', 'stop', 'shutdown', 'reboot', 'suspend', 'resume'] as PowerAction[]).map(
    (action): Route => ({ method: 'POST', template: `/nodes/{node}/lxc/{vmid}/status/${action}`, handler: (req) => power(req, action, 'lxc') }),
  ),
];
