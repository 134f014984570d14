import type { Route } from '../context.js';
import { str } from '../context.js';
import { PveError } from '../errors.js';
import { checkLock, guestOf, requirePriv } from '../guards.js';
import { parseBool } from '../schema.js';
import { sleep } from '../server.js';
import { replaceMac, type SimVm } from '../state.js';

/** How long a simulated clone or migration keeps its lock. */
const COPY_MS = 100;
const DISK_KEY = /^(ide|sata|scsi|virtio|efidisk|tpmstate)\d+$/;

function diskStorages(vm: SimVm): string[] {
  return Object.entries(vm.config)
    .filter(([k, v]) => DISK_KEY.test(k) && !/(^|,)media=cdrom(,|$)/.test(v))
    .map(([, v]) => v.split(':')[0]!);
}

/** Clone (full/linked, new MACs, target node, pool), migrate and delete. */
export const qemuLifecycleRoutes: Route[] = [
  {
    method: 'POST',
    template: '/nodes/{node}/qemu/{vmid}/clone',
    handler(req) {
      const { state } = req.sim;
      const src = guestOf(req);
      const newid = Number(str(req.params, 'newid'));
      const pool = str(req.params, 'pool');
      const target = str(req.params, 'target') ?? src.node;
      requirePriv(req, `/vms/${src.vmid}`, ['VM.Clone']);
      if (pool) {
        if (!state.pools.has(pool)) throw new PveError(500, `pool '${pool}' does not exist`);
        requirePriv(req, `/pool/${pool}`, ['VM.Allocate']);
      } else requirePriv(req, `/vms/${newid}`, ['VM.Allocate']);
      const existing = state.vms.get(newid);
      if (existing) throw new PveError(500, `unable to create VM ${newid}: VM ${newid} already exists on node '${existing.node}'`);
      if (!state.nodes.has(target)) throw new PveError(400, 'Parameter verification failed.', { target: `no such cluster node '${target}'` });
      const full = parseBool(req.params.full) ?? !src.template;
      if (!full && !src.template) throw new PveError(500, 'Full clone feature is not available - linked clones need a template');
      if (!full && str(req.params, 'storage')) throw new PveError(400, 'Parameter verification failed.', { storage: 'parameter not allowed for linked clones' });
      if (target !== src.node) {
        const local = diskStorages(src).filter((s) => !state.storages.get(s)?.shared);
        if (local.length) throw new PveError(500, `can't clone to node '${target}' (VM uses local storage)`);
      }
      checkLock(src);
      const config: Record<string, string> = {};
      for (const [k, v] of Object.entries(src.config)) {
        if (/^net\d+$/.test(k)) config[k] = replaceMac(v, state.newMac());
        else if (DISK_KEY.test(k) && !/(^|,)media=cdrom/.test(v)) {
          const [sid, rest = ''] = v.split(/:(.*)/s);
          const opts = rest.includes(',') ? rest.slice(rest.indexOf(',')) : '';
          const n = /(\d+)$/.exec(k)?.[1] ?? '0';
          const base = full ? '' : `base-${src.vmid}-disk-${n}/`;
          config[k] = `${sid}:${base}vm-${newid}-disk-${n}${opts}`;
        } else config[k] = v;
      }
      config.name = str(req.params, 'name') ?? `Copy-of-VM-${src.config.name ?? src.vmid}`;
      const description = str(req.params, 'description');
      if (description !== undefined) config.description = description;
      if (config.vmgenid) config.vmgenid = crypto.randomUUID();
      const vm: SimVm = { vmid: newid, type: 'qemu', node: target, status: 'stopped', qmpstatus: 'stopped', template: false, config, acpi: src.acpi, agentRunning: src.agentRunning, ips: [], lock: 'clone', backend: src.backend };
      if (pool) vm.pool = pool;
      state.vms.set(newid, vm);
      src.lock = src.template ? undefined : 'clone';
      return req.sim.tasks.start(src.node, 'qmclone', String(src.vmid), req.who.authid, async (log) => {
        log(`create ${full ? 'full' : 'linked'} clone of drive(s)`);
        await sleep(COPY_MS);
        vm.lock = undefined;
        if (src.lock === 'clone') src.lock = undefined;
      }).upid;
    },
  },
  {
    method: 'POST',
    template: '/nodes/{node}/qemu/{vmid}/migrate',
    handler(req) {
      const { state, faults } = req.sim;
      const vm = guestOf(req);
      requirePriv(req, `/vms/${vm.vmid}`, ['VM.Migrate']);
      const target = str(req.params, 'target')!;
      if (target === vm.node) throw new PveError(400, 'Parameter verification failed.', { target: 'target is local node.' });
      const node = state.nodes.get(target);
      if (!node) throw new PveError(400, 'Parameter verification failed.', { target: `no such cluster node '${target}'` });
      if (!node.online || faults.offlineNodes.has(target)) throw new PveError(500, `target node '${target}' is offline`);
      checkLock(vm);
      const online = parseBool(req.params.online) ?? false;
      if (vm.status === 'running' && !online) throw new PveError(500, `can't migrate running VM without --online`);
      const from = vm.node;
      vm.lock = 'migrate';
      return req.sim.tasks.start(from, 'qmigrate', String(vm.vmid), req.who.authid, async (log) => {
        log(`starting migration of VM ${vm.vmid} to node '${target}'`);
        await sleep(COPY_MS);
        vm.node = target;
        vm.lock = undefined;
        log('migration finished successfully');
      }).upid;
    },
  },
  {
    method: 'DELETE',
    template: '/nodes/{node}/qemu/{vmid}',
    handler(req) {
      const vm = guestOf(req);
      requirePriv(req, `/vms/${vm.vmid}`, ['VM.Allocate']);
      checkLock(vm);
      if (vm.status === 'running') throw new PveError(500, `VM ${vm.vmid} is running - destroy failed`);
      return req.sim.tasks.start(vm.node, 'qmdestroy', String(vm.vmid), req.who.authid, async () => {
        req.sim.state.vms.delete(vm.vmid);
      }).upid;
    },
  },
];
