import type { RouteRequest } from './context.js';
import { str } from './context.js';
import { PveError } from './errors.js';
import { checkLock, guestOf, requirePriv } from './guards.js';
import { parseBool } from './schema.js';
import { sleep } from './server.js';
import type { GuestType, SimVm } from './state.js';

/** How long an ACPI-honouring guest takes to power off. */
export const ACPI_SHUTDOWN_MS = 300;
/** PVE's default shutdown timeout when none is given. */
const DEFAULT_SHUTDOWN_TIMEOUT_S = 600;

export type PowerAction = 'start' | 'stop' | 'shutdown' | 'reboot' | 'reset' | 'suspend' | 'resume';

const QEMU_TASK: Record<PowerAction, string> = {
  start: 'qmstart',
  stop: 'qmstop',
  shutdown: 'qmshutdown',
  reboot: 'qmreboot',
  reset: 'qmreset',
  suspend: 'qmpause',
  resume: 'qmresume',
};
const LXC_TASK: Partial<Record<PowerAction, string>> = {
  start: 'vzstart',
  stop: 'vzstop',
  shutdown: 'vzshutdown',
  reboot: 'vzreboot',
  suspend: 'vzsuspend',
  resume: 'vzresume',
};

/** Marks a guest running (used by start and by reboot's second half). */
export async function bootGuest(req: RouteRequest, vm: SimVm): Promise<void> {
  await req.sim.runtime.for(vm).start(vm);
  vm.status = 'running';
  vm.qmpstatus = 'running';
  vm.startedAt = Date.now();
  if (vm.lock === 'suspended') vm.lock = undefined;
}

export async function haltGuest(req: RouteRequest, vm: SimVm): Promise<void> {
  await req.sim.runtime.for(vm).kill(vm);
  vm.status = 'stopped';
  vm.qmpstatus = 'stopped';
  vm.startedAt = undefined;
  vm.pid = undefined;
}

/** ACPI shutdown: the guest powers off by itself (honour) or the task times out (ignore). */
async function acpiShutdown(req: RouteRequest, vm: SimVm, timeoutS: number, forceStop: boolean, log: (l: string) => void): Promise<void> {
  if (vm.status !== 'running') return;
  await req.sim.runtime.for(vm).powerdown(vm).catch(() => undefined);
  const deadline = Date.now() + timeoutS * 1000;
  const poweroffAt = vm.acpi === 'honour' ? Date.now() + ACPI_SHUTDOWN_MS : Infinity;
  while (vm.status === 'running') {
    if (Date.now() >= poweroffAt) {
      await haltGuest(req, vm);
      return;
    }
    if (Date.now() >= deadline) {
      if (forceStop) {
        log('VM still running - terminating now with SIGTERM');
        await haltGuest(req, vm);
        return;
      }
      throw new Error('VM quit/powerdown failed - got timeout');
    }
    await sleep(Math.min(50, Math.max(1, deadline - Date.now())));
  }
}

/** One power action as the PVE API runs it: immediate checks, then an asynchronous task; returns the UPID. */
export function power(req: RouteRequest, action: PowerAction, type: GuestType = 'qemu'): string {
  const vm = guestOf(req, type);
  requirePriv(req, `/vms/${vm.vmid}`, ['VM.PowerMgmt']);
  const running = vm.status === 'running';
  const paused = running && vm.qmpstatus === 'paused';
  const kind = type === 'qemu' ? 'VM' : 'CT';
  const timeoutRaw = str(req.params, 'timeout');
  const timeoutS = timeoutRaw === undefined ? DEFAULT_SHUTDOWN_TIMEOUT_S : Number(timeoutRaw);
  const forceStop = parseBool(req.params.forceStop) ?? false;

  if (action !== 'stop') checkLock(vm);
  if (type === 'lxc') {
    if (action === 'start' && running) throw new PveError(500, `CT ${vm.vmid} already running`);
    if (action !== 'start' && action !== 'stop' && !running) throw new PveError(500, `CT ${vm.vmid} not running`);
  } else {
    if (['reboot', 'reset', 'suspend', 'resume'].includes(action) && !running) throw new PveError(500, `VM ${vm.vmid} not running`);
    if ((action === 'shutdown' && !forceStop) || action === 'reboot') {
      if (paused) throw new PveError(500, 'VM is paused - cannot shutdown');
    }
  }

  const taskType = type === 'qemu' ? QEMU_TASK[action] : LXC_TASK[action];
  if (!taskType) throw new PveError(501, `Method 'POST /nodes/${vm.node}/lxc/${vm.vmid}/status/${action}' not implemented`);
  const task = req.sim.tasks.start(vm.node, taskType, String(vm.vmid), req.who.authid, async (log) => {
    switch (action) {
      case 'start':
        if (vm.status === 'running') throw new Error(`${kind} ${vm.vmid} already running`);
        await bootGuest(req, vm);
        return;
      case 'stop':
        await haltGuest(req, vm);
        return;
      case 'shutdown':
        if (vm.status === 'running' && vm.qmpstatus === 'paused' && forceStop) {
          await haltGuest(req, vm);
          return;
        }
        await acpiShutdown(req, vm, timeoutS, forceStop, log);
        return;
      case 'reboot':
        await acpiShutdown(req, vm, timeoutS, false, log);
        await bootGuest(req, vm);
        return;
      case 'reset':
        await req.sim.runtime.for(vm).reset(vm);
        return;
      case 'suspend':
        if (vm.status !== 'running') throw new Error(`${kind} ${vm.vmid} not running`);
        await req.sim.runtime.for(vm).pause(vm);
        vm.qmpstatus = 'paused';
        return;
      case 'resume':
        if (vm.status !== 'running') throw new Error(`${kind} ${vm.vmid} not running`);
        await req.sim.runtime.for(vm).resume(vm);
        vm.qmpstatus = 'running';
        return;
    }
  });
  return task.upid;
}
