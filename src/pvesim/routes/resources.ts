import type { RouteRequest } from '../context.js';
import { may } from '../guards.js';
import { memoryMiB, type SimVm } from '../state.js';

const GIB = 1024 ** 3;

/** Seconds since start for a running guest. */
export function uptimeOf(vm: SimVm): number {
  return vm.status === 'running' && vm.startedAt ? Math.floor((Date.now() - vm.startedAt) / 1000) : 0;
}

/** Numbers every listing shares. */
export function vmStats(vm: SimVm): Record<string, number> {
  const maxmem = memoryMiB(vm.config) * 1024 * 1024;
  const running = vm.status === 'running';
  return {
    maxmem,
    mem: running ? Math.floor(maxmem / 3) : 0,
    maxcpu: Number(vm.config.cores ?? 1) * Number(vm.config.sockets ?? 1),
    cpu: running ? 0.01 : 0,
    maxdisk: vm.type === 'lxc' ? 8 * GIB : 32 * GIB,
    disk: 0,
    uptime: uptimeOf(vm),
    netin: 0,
    netout: 0,
    diskread: 0,
    diskwrite: 0,
  };
}

/** Whether the caller may see this guest at all (VM.Audit on /vms/<id>). */
export function canAudit(req: RouteRequest, vm: SimVm): boolean {
  return may(req, `/vms/${vm.vmid}`, ['VM.Audit']);
}
