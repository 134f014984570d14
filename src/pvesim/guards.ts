import { hasAny } from './acl.js';
import type { RouteRequest } from './context.js';
import { str } from './context.js';
import { PveError, permError } from './errors.js';
import type { GuestType, SimVm } from './state.js';

/** Throws 403 unless the caller holds one of `privs` on `path`. */
export function requirePriv(req: RouteRequest, path: string, privs: readonly string[]): void {
  if (!hasAny(req.sim.state, req.who, path, privs)) throw permError(path, privs.join('|'));
}

/** Whether the caller holds one of `privs` on `path`. */
export function may(req: RouteRequest, path: string, privs: readonly string[]): boolean {
  return hasAny(req.sim.state, req.who, path, privs);
}

/** The guest named by the request's node + vmid, as the node's config file would find it. */
export function guestOf(req: RouteRequest, type: GuestType = 'qemu'): SimVm {
  const node = str(req.params, 'node')!;
  const vmid = Number(str(req.params, 'vmid'));
  const vm = req.sim.state.vms.get(vmid);
  if (!vm || vm.node !== node || vm.type !== type) {
    const dir = type === 'qemu' ? 'qemu-server' : 'lxc';
    throw new PveError(500, `Configuration file 'nodes/${node}/${dir}/${vmid}.conf' does not exist`);
  }
  return vm;
}

/** `VM is locked (<lock>)`, as AbstractConfig check_lock. */
export function checkLock(vm: SimVm): void {
  if (vm.lock) throw new PveError(500, `VM is locked (${vm.lock})`);
}
