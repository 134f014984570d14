import { PveBadResponseError } from './errors.js';
import type {
  ClusterNodeResource,
  ClusterVmResource,
  GuestAddress,
  GuestType,
  NodeVm,
  PveTask,
  PveVersion,
  StorageVolume,
  TaskStatus,
  VmConfig,
  VncProxyTicket,
} from './types.js';

/** Pure: PVE's JSON `data` → typed shapes. PVE sends numbers as strings and booleans as 0/1 now and then. */

type Obj = Record<string, unknown>;

function obj(v: unknown, what: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new PveBadResponseError(`${what}: expected an object`);
  return v as Obj;
}

function arr(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new PveBadResponseError(`${what}: expected an array`);
  return v;
}

export function num(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

function reqNum(v: unknown, what: string): number {
  const n = num(v);
  if (n === null) throw new PveBadResponseError(`${what}: expected a number`);
  return n;
}

function str(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return null;
}

function bool(v: unknown): boolean {
  return v === true || v === 1 || v === '1';
}

function guestType(v: unknown, what: string): GuestType {
  if (v === 'qemu' || v === 'lxc') return v;
  throw new PveBadResponseError(`${what}: unknown guest type ${String(v)}`);
}

/** PVE tags: separated by `,` `;` or spaces; lower-cased, sorted, no duplicates. */
export function parseTags(v: unknown): string[] {
  const s = str(v);
  if (!s) return [];
  return [...new Set(s.split(/[,; ]+/).map((t) => t.trim().toLowerCase()).filter(Boolean))].sort();
}

const MAC = /^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}$/;

/** The MAC of a netN value (`virtio=BC:24:11:..,bridge=vmbr0` or `hwaddr=` for LXC, `macaddr=`), upper case. */
export function netMac(value: string): string | null {
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const v = part.slice(eq + 1).trim();
    if (MAC.test(v)) return v.toUpperCase();
  }
  return null;
}

export function parseVersion(data: unknown): PveVersion {
  const o = obj(data, 'version');
  return { version: str(o.version) ?? '', release: str(o.release) ?? '', repoid: str(o.repoid) ?? '' };
}

export function parseClusterVms(data: unknown): ClusterVmResource[] {
  return arr(data, 'cluster/resources')
    .map((e) => obj(e, 'cluster/resources entry'))
    .filter((o) => o.type === 'qemu' || o.type === 'lxc')
    .map((o) => ({
      vmid: reqNum(o.vmid, 'cluster/resources vmid'),
      type: guestType(o.type, 'cluster/resources'),
      node: str(o.node) ?? '',
      name: str(o.name) ?? '',
      status: str(o.status) ?? 'unknown',
      template: bool(o.template),
      maxcpu: num(o.maxcpu),
      maxmem: num(o.maxmem),
      maxdisk: num(o.maxdisk),
      tags: parseTags(o.tags),
      pool: str(o.pool),
      lock: str(o.lock),
    }));
}

export function parseClusterNodes(data: unknown): ClusterNodeResource[] {
  return arr(data, 'cluster/resources')
    .map((e) => obj(e, 'cluster/resources entry'))
    .filter((o) => o.type === 'node')
    .map((o) => ({ node: str(o.node) ?? '', status: str(o.status) ?? 'unknown' }));
}

export function parseNodeVms(data: unknown, node: string, type: GuestType): NodeVm[] {
  return arr(data, `nodes/${node}/${type}`).map((e) => {
    const o = obj(e, `nodes/${node}/${type} entry`);
    return {
      vmid: reqNum(o.vmid, `nodes/${node}/${type} vmid`),
      type,
      node,
      name: str(o.name) ?? '',
      status: str(o.status) ?? 'unknown',
      qmpstatus: str(o.qmpstatus),
      template: bool(o.template),
      cpus: num(o.cpus ?? o.maxcpu),
      maxmem: num(o.maxmem),
      maxdisk: num(o.maxdisk),
      tags: parseTags(o.tags),
      lock: str(o.lock),
    };
  });
}

export function parseVmConfig(data: unknown): VmConfig {
  const o = obj(data, 'config');
  const nets = Object.keys(o)
    .filter((k) => /^net\d+$/.test(k))
    .sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)));
  const macs = nets.map((k) => netMac(String(o[k]))).filter((m): m is string => m !== null);
  const agentEnabled = agentFlag(str(o.agent)) === '1';
  return { digest: str(o.digest), name: str(o.name) ?? str(o.hostname), macs, tags: parseTags(o.tags), agentEnabled, raw: o };
}

/** `agent: [enabled=]1|0[,fstrim_cloned_disks=…][,type=…]` → the enabled flag. */
function agentFlag(agent: string | null): string | undefined {
  if (agent === null) return undefined;
  const parts = agent.split(',');
  const named = parts.find((p) => p.startsWith('enabled='));
  if (named) return named.slice('enabled='.length);
  const first = parts[0] ?? '';
  return first.includes('=') ? undefined : first;
}

/** IPv4 addresses from the guest agent's network-get-interfaces, without loopback and link-local. */
export function parseAgentInterfaces(data: unknown): GuestAddress[] {
  const o = obj(data, 'agent/network-get-interfaces');
  const result = Array.isArray(o.result) ? o.result : [];
  const out: GuestAddress[] = [];
  for (const e of result) {
    if (typeof e !== 'object' || e === null) continue;
    const i = e as Obj;
    const name = str(i.name) ?? '';
    if (name === 'lo') continue;
    const mac = str(i['hardware-address']);
    for (const a of Array.isArray(i['ip-addresses']) ? i['ip-addresses'] : []) {
      const addr = a as Obj;
      if (addr['ip-address-type'] !== 'ipv4') continue;
      const ip = str(addr['ip-address']);
      if (!ip || ip.startsWith('127.') || ip.startsWith('169.254.')) continue;
      out.push({ interface: name, mac: mac ? mac.toUpperCase() : null, ipv4: ip, prefix: num(addr.prefix) ?? 32 });
    }
  }
  return out;
}

export function parseTasks(data: unknown, node: string): PveTask[] {
  return arr(data, `nodes/${node}/tasks`).map((e) => {
    const o = obj(e, 'task');
    return {
      upid: str(o.upid) ?? '',
      node: str(o.node) ?? node,
      type: str(o.type) ?? '',
      id: str(o.id) ?? '',
      user: str(o.user) ?? '',
      starttime: num(o.starttime) ?? 0,
      endtime: num(o.endtime),
      status: str(o.status),
    };
  });
}

export function parseTaskStatus(data: unknown): TaskStatus {
  const o = obj(data, 'task status');
  return {
    upid: str(o.upid) ?? '',
    status: o.status === 'running' ? 'running' : 'stopped',
    exitstatus: str(o.exitstatus),
    type: str(o.type) ?? '',
    id: str(o.id) ?? '',
    user: str(o.user) ?? '',
    node: str(o.node) ?? '',
  };
}

export function parseVncProxy(data: unknown): VncProxyTicket {
  const o = obj(data, 'vncproxy');
  const ticket = str(o.ticket);
  if (!ticket) throw new PveBadResponseError('vncproxy: no ticket');
  return {
    user: str(o.user) ?? '',
    ticket,
    port: reqNum(o.port, 'vncproxy port'),
    upid: str(o.upid) ?? '',
    cert: str(o.cert),
    password: str(o.password),
  };
}

export function parseUpid(data: unknown, what: string): string {
  const s = str(data);
  if (!s || !s.startsWith('UPID:')) throw new PveBadResponseError(`${what}: expected a UPID`);
  return s;
}

export function parseStorageContent(data: unknown): StorageVolume[] {
  return arr(data, 'storage content').map((e) => {
    const o = obj(e, 'volume');
    return { volid: str(o.volid) ?? '', format: str(o.format) ?? '', size: num(o.size) ?? 0, ctime: num(o.ctime) };
  });
}
