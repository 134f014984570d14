import type { Params, Route, RouteRequest } from '../context.js';
import { str } from '../context.js';
import { PveError } from '../errors.js';
import { guestOf, requirePriv } from '../guards.js';
import { bootGuest, power, type PowerAction } from '../power.js';
import { parseBool } from '../schema.js';
import { normaliseNet, type SimVm } from '../state.js';
import { canAudit, uptimeOf, vmStats } from './resources.js';

/** Keys of a create/config request that are not config keys. */
const NON_CONFIG = new Set(['node', 'vmid', 'pool', 'start', 'storage', 'unique', 'archive', 'force', 'bwlimit', 'live-restore', 'ha-managed', 'import-working-storage', 'delete', 'digest', 'revert', 'skiplock', 'background_delay']);

/** Config keys from request parameters, normalised as PVE stores them (net MACs, cdrom → ide2). */
export function configFromParams(req: RouteRequest, params: Params): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, raw] of Object.entries(params)) {
    if (NON_CONFIG.has(k)) continue;
    const v = Array.isArray(raw) ? raw[0]! : raw;
    if (/^net\d+$/.test(k)) out[k] = normaliseNet(v, () => req.sim.state.newMac());
    else if (k === 'cdrom') out.ide2 = v.includes('media=') ? v : `${v},media=cdrom`;
    else out[k] = v;
  }
  return out;
}

function listItem(vm: SimVm, full: boolean): Record<string, unknown> {
  const s = vmStats(vm);
  const r: Record<string, unknown> = { vmid: vm.vmid, name: vm.config.name, status: vm.status, cpus: s.maxcpu, maxmem: s.maxmem, mem: s.mem, cpu: s.cpu, maxdisk: s.maxdisk, disk: 0, uptime: s.uptime, netin: 0, netout: 0, diskread: 0, diskwrite: 0 };
  if (vm.template) r.template = 1;
  if (vm.config.tags) r.tags = vm.config.tags;
  if (vm.lock) r.lock = vm.lock;
  if (vm.status === 'running') {
    r.pid = vm.pid;
    if (full) {
      r.qmpstatus = vm.qmpstatus;
      r['running-qemu'] = '9.2.0';
      r['running-machine'] = 'pc-i440fx-9.2+pve1';
    }
  }
  return r;
}

function powerRoute(action: PowerAction): Route {
  return { method: 'POST', template: `/nodes/{node}/qemu/{vmid}/status/${action}`, handler: (req) => power(req, action) };
}

/** Per-node VM list, status, power actions and VM creation. */
export const qemuRoutes: Route[] = [
  {
    method: 'GET',
    template: '/nodes/{node}/qemu',
    handler(req) {
      const node = str(req.params, 'node')!;
      const full = parseBool(req.params.full) ?? false;
      const out: Record<string, unknown>[] = [];
      for (const vm of req.sim.state.vms.values()) {
        if (vm.node === node && vm.type === 'qemu' && canAudit(req, vm)) out.push(listItem(vm, full));
      }
      return out;
    },
  },
  {
    method: 'GET',
    template: '/nodes/{node}/qemu/{vmid}/status/current',
    handler(req) {
      const vm = guestOf(req);
      requirePriv(req, `/vms/${vm.vmid}`, ['VM.Audit']);
      const s = vmStats(vm);
      const r: Record<string, unknown> = {
        vmid: vm.vmid,
        name: vm.config.name,
        status: vm.status,
        cpus: s.maxcpu,
        maxmem: s.maxmem,
        mem: s.mem,
        cpu: s.cpu,
        maxdisk: s.maxdisk,
        disk: 0,
        uptime: uptimeOf(vm),
        netin: 0,
        netout: 0,
        diskread: 0,
        diskwrite: 0,
        ha: { managed: 0 },
      };
      if (vm.config.agent !== undefined) r.agent = /^(enabled=)?1/.test(vm.config.agent) ? 1 : 0;
      if (vm.config.tags) r.tags = vm.config.tags;
      if (vm.template) r.template = 1;
      if (vm.lock) r.lock = vm.lock;
      if (vm.status === 'running') {
        r.qmpstatus = vm.qmpstatus;
        r.pid = vm.pid;
        r['running-qemu'] = '9.2.0';
        r['running-machine'] = 'pc-i440fx-9.2+pve1';
      }
      return r;
    },
  },
  ...(['start', 'stop', 'shutdown', 'reboot', 'reset', 'suspend', 'resume'] as const).map(powerRoute),
  {
    method: 'POST',
    template: '/nodes/{node}/qemu',
    handler(req) {
      const node = str(req.params, 'node')!;
      const vmid = Number(str(req.params, 'vmid'));
      const pool = str(req.params, 'pool');
      const { state } = req.sim;
      if (pool) {
        if (!state.pools.has(pool)) throw new PveError(500, `pool '${pool}' does not exist`);
        requirePriv(req, `/pool/${pool}`, ['VM.Allocate']);
      } else requirePriv(req, `/vms/${vmid}`, ['VM.Allocate']);
      const existing = state.vms.get(vmid);
      if (existing) throw new PveError(500, `unable to create VM ${vmid} - VM ${vmid} already exists on node '${existing.node}'`);
      const config = configFromParams(req, req.params);
      if (config.memory === undefined) config.memory = '512';
      const template = parseBool(config.template) ?? false;
      delete config.template;
      const vm: SimVm = { vmid, type: 'qemu', node, status: 'stopped', qmpstatus: 'stopped', template, config, acpi: 'honour', agentRunning: false, ips: [], lock: 'create', backend: req.sim.defaultBackend };
      if (pool) vm.pool = pool;
      state.vms.set(vmid, vm);
      const start = parseBool(req.params.start) ?? false;
      const task = req.sim.tasks.start(node, 'qmcreate', String(vmid), req.who.authid, async () => {
        vm.lock = undefined;
        if (start) await bootGuest(req, vm);
      });
      return task.upid;
    },
  },
];
