/** The shapes EarCandle reads from PVE, already normalised (numbers are numbers, booleans are booleans). */

export type GuestType = 'qemu' | 'lxc';

export interface PveVersion {
  version: string;
  release: string;
  repoid: string;
}

/** One entry of GET /cluster/resources?type=vm. `status` lags and has no qmpstatus. */
export interface ClusterVmResource {
  vmid: number;
  type: GuestType;
  node: string;
  name: string;
  status: string;
  template: boolean;
  maxcpu: number | null;
  maxmem: number | null;
  maxdisk: number | null;
  tags: string[];
  pool: string | null;
  lock: string | null;
}

/** One entry of GET /cluster/resources?type=node. */
export interface ClusterNodeResource {
  node: string;
  status: string;
}

/** One guest from a node's own list (qemu?full=1 or lxc): the fresh run state. */
export interface NodeVm {
  vmid: number;
  type: GuestType;
  node: string;
  name: string;
  status: string;
  qmpstatus: string | null;
  template: boolean;
  cpus: number | null;
  maxmem: number | null;
  maxdisk: number | null;
  tags: string[];
  lock: string | null;
}

/** What sync needs from a guest's config. */
export interface VmConfig {
  digest: string | null;
  name: string | null;
  /** Upper-case MACs of net0, net1, … in index order. */
  macs: string[];
  tags: string[];
  agentEnabled: boolean;
  raw: Readonly<Record<string, unknown>>;
}

export interface GuestAddress {
  interface: string;
  mac: string | null;
  ipv4: string;
  prefix: number;
}

/** A finished or running task from GET /nodes/{node}/tasks. */
export interface PveTask {
  upid: string;
  node: string;
  type: string;
  id: string;
  user: string;
  starttime: number;
  endtime: number | null;
  status: string | null;
}

export interface TaskStatus {
  upid: string;
  status: 'running' | 'stopped';
  exitstatus: string | null;
  type: string;
  id: string;
  user: string;
  node: string;
}

export interface VncProxyTicket {
  user: string;
  ticket: string;
  port: number;
  upid: string;
  cert: string | null;
  password: string | null;
}

export interface StorageVolume {
  volid: string;
  format: string;
  size: number;
  ctime: number | null;
}

export type PowerAction = 'start' | 'stop' | 'shutdown' | 'reboot' | 'reset' | 'suspend' | 'resume';
