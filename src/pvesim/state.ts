import { createHash, randomBytes } from 'node:crypto';

/** The guest-side behaviour of a simulated VM. */
export type AcpiMode = 'honour' | 'ignore';
export type GuestType = 'qemu' | 'lxc';
export type RunStatus = 'running' | 'stopped';
export type QmpStatus = 'running' | 'paused' | 'prelaunch' | 'stopped';

export interface SimNode {
  readonly name: string;
  online: boolean;
  readonly maxcpu: number;
  readonly maxmem: number;
}

export interface IsoVolume {
  readonly volid: string;
  readonly size: number;
  readonly ctime: number;
}

export interface SimStorage {
  readonly id: string;
  readonly type: string;
  readonly content: readonly string[];
  readonly shared: boolean;
  readonly isos: IsoVolume[];
}

/** A guest; `config` holds PVE's config keys as strings (memory is a string, as PVE returns it). */
export interface SimVm {
  readonly vmid: number;
  readonly type: GuestType;
  node: string;
  status: RunStatus;
  qmpstatus: QmpStatus;
  template: boolean;
  pool?: string;
  lock?: string;
  config: Record<string, string>;
  acpi: AcpiMode;
  /** Whether the guest agent inside answers (the config `agent` key says whether one is configured). */
  agentRunning: boolean;
  ips: string[];
  startedAt?: number;
  pid?: number;
  /** Which backend runs it when started. */
  backend: 'qemu' | 'sim';
}

export interface SimUser {
  readonly userid: string;
  password?: string;
  enable: boolean;
}

export interface SimToken {
  readonly tokenid: string;
  readonly secret: string;
  readonly privsep: boolean;
}

export interface SimAcl {
  readonly path: string;
  readonly ugid: string;
  readonly roleid: string;
  readonly propagate: boolean;
}

export interface SimPool {
  readonly poolid: string;
  comment: string;
}

/** Ground truth of the simulated cluster; tests may read it. */
export class ClusterState {
  readonly nodes = new Map<string, SimNode>();
  readonly vms = new Map<number, SimVm>();
  readonly storages = new Map<string, SimStorage>();
  readonly users = new Map<string, SimUser>();
  readonly tokens = new Map<string, SimToken>();
  readonly pools = new Map<string, SimPool>();
  readonly acls: SimAcl[] = [];
  clusterName = 'pvesim';
  private macCounter = 0;
  private readonly macSeed = randomBytes(2);

  /** A fresh MAC with the Proxmox prefix, unique in this cluster. */
  newMac(): string {
    const n = this.macCounter++;
    const b = [this.macSeed[0]!, (this.macSeed[1]! + (n >> 8)) & 0xff, n & 0xff];
    return ['BC', '24', '11', ...b.map((x) => x.toString(16).toUpperCase().padStart(2, '0'))].join(':');
  }

  /** The next free VM id from 100, as /cluster/nextid finds it. */
  nextId(from = 100): number {
    let id = from;
    while (this.vms.has(id)) id++;
    return id;
  }

  poolMembers(poolid: string): SimVm[] {
    return [...this.vms.values()].filter((vm) => vm.pool === poolid);
  }
}

/** SHA1 over the config in a stable order, like PVE's config digest. */
export function configDigest(config: Record<string, string>): string {
  const lines = Object.keys(config)
    .sort()
    .map((k) => `${k}: ${config[k]}`)
    .join('\n');
  return createHash('sha1').update(lines).digest('hex');
}

/** Megabytes in a `memory` property string (`[current=]<MiB>`). */
export function memoryMiB(config: Record<string, string>): number {
  const raw = config.memory ?? '512';
  const m = /(?:^|,)(?:current=)?(\d+)(?:,|$)/.exec(raw);
  return m ? Number(m[1]) : 512;
}

/** MAC addresses of every netN, upper case, in index order. */
export function vmMacs(config: Record<string, string>): { key: string; mac: string }[] {
  const out: { key: string; mac: string }[] = [];
  for (const key of Object.keys(config).filter((k) => /^net\d+$/.test(k)).sort()) {
    const m = /(?:^|,)(?:[a-z0-9-]+|macaddr)=([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5})/.exec(config[key]!);
    if (m) out.push({ key, mac: m[1]!.toUpperCase() });
  }
  return out;
}

/**
 * Normalises a netN value as PVE stores it: `<model>=<MAC>,...`, generating the MAC when missing
 * (`model=virtio,bridge=vmbr0` → `virtio=BC:24:11:..,bridge=vmbr0`).
 */
export function normaliseNet(value: string, newMac: () => string): string {
  const parts = value.split(',').filter(Boolean);
  let model = 'virtio';
  let mac: string | undefined;
  const rest: string[] = [];
  const MODELS = /^(virtio|e1000|e1000e|e1000-82540em|e1000-82544gc|e1000-82545em|rtl8139|vmxnet3|i82551|i82557b|i82559er|ne2k_pci|ne2k_isa|pcnet)$/;
  for (const p of parts) {
    const eq = p.indexOf('=');
    const k = eq < 0 ? p : p.slice(0, eq);
    const v = eq < 0 ? '' : p.slice(eq + 1);
    if (eq < 0 && MODELS.test(k)) model = k;
    else if (k === 'model') model = v;
    else if (k === 'macaddr') mac = v;
    else if (MODELS.test(k)) {
      model = k;
      if (v) mac = v;
    } else rest.push(p);
  }
  return [`${model}=${(mac ?? newMac()).toUpperCase()}`, ...rest].join(',');
}

/** A net value with its MAC replaced (clones always get new MACs). */
export function replaceMac(value: string, mac: string): string {
  return value.replace(/^([a-z0-9-]+)=([0-9A-Fa-f:]{17})/, `$1=${mac}`);
}
