import type { Route, RouteRequest } from '../context.js';
import { str } from '../context.js';
import { PveError } from '../errors.js';
import { checkLock, guestOf, may, requirePriv } from '../guards.js';
import { loadSchema, type PveProp } from '../schema.js';
import { configDigest, type SimVm } from '../state.js';
import { configFromParams } from './qemu.js';

/** The privilege a config key needs (qemu-server `check_vm_modify_config_perm`, simplified). */
function privFor(key: string): string {
  if (/^net\d+$/.test(key)) return 'VM.Config.Network';
  if (['memory', 'balloon', 'shares'].includes(key)) return 'VM.Config.Memory';
  if (['cores', 'sockets', 'cpu', 'vcpus', 'cpulimit', 'cpuunits', 'numa', 'affinity'].includes(key)) return 'VM.Config.CPU';
  if (/^(ide|sata|scsi|virtio|efidisk|tpmstate|unused)\d+$/.test(key)) return 'VM.Config.Disk';
  if (/^(ipconfig\d+|ciuser|cipassword|citype|cicustom|nameserver|searchdomain|sshkeys|ciupgrade)$/.test(key)) return 'VM.Config.Cloudinit';
  if (['vga', 'machine', 'bios', 'scsihw', 'keyboard', 'tablet', 'arch'].includes(key) || /^(usb|serial|parallel|hostpci)\d+$/.test(key)) return 'VM.Config.HWType';
  return 'VM.Config.Options';
}

const isCdrom = (key: string, value: string | undefined): boolean => /^(ide|sata|scsi)\d+$/.test(key) && value !== undefined && /(^|,)media=cdrom(,|$)/.test(value);

/** Checks privileges and volume access for a change of `key` to `value` (undefined = delete). */
function checkChange(req: RouteRequest, vm: SimVm, key: string, value: string | undefined): void {
  const path = `/vms/${vm.vmid}`;
  if (key === 'args' && (req.who.authid !== 'root@pam' || !req.who.viaTicket)) throw new PveError(403, "only root can set 'args' config");
  if (isCdrom(key, value) || isCdrom(key, vm.config[key])) {
    requirePriv(req, path, ['VM.Config.CDROM']);
    const file = value?.split(',')[0];
    if (file === 'cdrom') requirePriv(req, '/', ['Sys.Console']);
    else if (file && file !== 'none') {
      const m = /^([a-z][a-z0-9\-_.]*):(.+)$/i.exec(file);
      const storage = m ? req.sim.state.storages.get(m[1]!) : undefined;
      if (!m || !storage) throw new PveError(500, `unable to parse volume ID '${file}'`);
      if (!may(req, `/storage/${storage.id}`, ['Datastore.AllocateSpace', 'Datastore.Audit'])) {
        throw new PveError(403, `Permission check failed (/storage/${storage.id}, Datastore.AllocateSpace|Datastore.Audit)`);
      }
      if (!storage.isos.some((i) => i.volid === file)) throw new PveError(500, `volume '${file}' does not exist`);
    }
    return;
  }
  requirePriv(req, path, [privFor(key)]);
}

/** Applies PUT/POST config parameters: digest check, delete list, new values. */
function applyConfig(req: RouteRequest): void {
  const vm = guestOf(req);
  const digest = str(req.params, 'digest');
  if (digest && digest !== configDigest(vm.config)) throw new PveError(500, 'detected modified configuration - file changed by other user? Try again.');
  if (!str(req.params, 'skiplock')) checkLock(vm);
  const updates = configFromParams(req, req.params);
  const deletes = (str(req.params, 'delete') ?? '').split(/[,; \0]+/).filter(Boolean);
  for (const k of deletes) if (k in updates) throw new PveError(400, 'Parameter verification failed.', { delete: `cannot set and delete '${k}' at the same time` });
  if (!Object.keys(updates).length && !deletes.length) throw new PveError(500, 'no options specified');
  for (const k of deletes) checkChange(req, vm, k, undefined);
  for (const [k, v] of Object.entries(updates)) checkChange(req, vm, k, v);
  for (const k of deletes) delete vm.config[k];
  for (const [k, v] of Object.entries(updates)) {
    if (k === 'template') vm.template = v === '1';
    else vm.config[k] = v;
  }
}

let typeCache: Record<string, PveProp> | undefined;
function configTypes(): Record<string, PveProp> {
  typeCache ??= loadSchema()['/nodes/{node}/qemu/{vmid}/config']?.info.GET?.returns?.properties ?? {};
  return typeCache;
}

/** The config as GET returns it: integer/boolean keys as numbers, `memory` as its property string. */
export function renderConfig(vm: SimVm): Record<string, unknown> {
  const types = configTypes();
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(vm.config)) {
    const def = types[k] ?? types[k.replace(/\d+$/, '[n]')];
    out[k] = def && ['integer', 'boolean', 'number'].includes(def.type ?? '') && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
  }
  if (vm.template) out.template = 1;
  if (vm.lock) out.lock = vm.lock;
  out.digest = configDigest(vm.config);
  return out;
}

/** GET/PUT/POST /nodes/{node}/qemu/{vmid}/config. */
export const qemuConfigRoutes: Route[] = [
  {
    method: 'GET',
    template: '/nodes/{node}/qemu/{vmid}/config',
    handler(req) {
      const vm = guestOf(req);
      requirePriv(req, `/vms/${vm.vmid}`, ['VM.Audit']);
      return renderConfig(vm);
    },
  },
  {
    method: 'PUT',
    template: '/nodes/{node}/qemu/{vmid}/config',
    handler(req) {
      applyConfig(req);
      return null;
    },
  },
  {
    method: 'POST',
    template: '/nodes/{node}/qemu/{vmid}/config',
    handler(req) {
      applyConfig(req);
      const vm = guestOf(req);
      return req.sim.tasks.start(vm.node, 'qmconfig', String(vm.vmid), req.who.authid, async () => undefined).upid;
    },
  },
];
