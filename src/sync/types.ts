import type { DbConnection, DbEvent, DbReservation, DbSnapshot, DbVm, ConnectionKind, VmFields } from '../db/index.js';
import type { GuestType, PveTask } from '../pve/index.js';

export type { DbConnection, DbEvent, DbReservation, DbSnapshot, DbVm, ConnectionKind, VmFields };

/** One guest as the inventory saw it on a readable node (and in /cluster/resources). */
export interface ObservedVm {
  vmid: number;
  type: GuestType;
  node: string;
  name: string;
  status: string;
  qmpstatus: string | null;
  template: boolean;
  cores: number | null;
  memoryMib: number | null;
  diskBytes: number | null;
  tags: string[];
  pool: string | null;
  lock: string | null;
  /** From the config; null when the config was not read this time (keep what the database has). */
  config: { macs: string[]; agent: boolean; digest: string | null } | null;
  /**
   * From the guest agent: its address, null when it answered without an IPv4 address, undefined when it was not
   * asked this run or did not answer (the address it gave earlier still holds).
   */
  agentIpv4: string | null | undefined;
}

/** What one read of a cluster produced. */
export interface Inventory {
  /** /cluster/resources answered: absence from it means "gone" (PVE lists guests of offline nodes too). */
  resourcesOk: boolean;
  /** Every node /cluster/resources named. */
  nodes: string[];
  /** Nodes whose guest lists could not be read: nothing of theirs may change. */
  unreadableNodes: string[];
  /** Guests on readable nodes that are also in /cluster/resources. */
  vms: ObservedVm[];
  /** vmids listed by /cluster/resources (any node). */
  listedVmids: number[];
  /** vmids seen but not to be judged this time (on an unreadable node, or mid-move between the two listings). */
  uncertainVmids: number[];
  /** Tasks of readable nodes since the window start. */
  tasks: PveTask[];
}

export interface SyncRules {
  clusterName: string;
  ownerRule: string;
  guestProtocols: string[];
  goneGraceSeconds: number;
  dhcpGraceSeconds: number;
  /** The cluster's DHCP subnet as CIDR and Kea subnet id; null = no reservations. */
  dhcp: { subnet: string; keaSubnetId: number } | null;
}

/** A vm row by id, or a row this change set inserts, by vmid. */
export type VmRef = { id: number } | { vmid: number };


export interface NewEvent {
  vm: VmRef;
  at: Date;
  kind: string;
  actor: string | null;
  detail: string | null;
  upid: string | null;
}

export interface DesiredConnection {
  kind: ConnectionKind;
  name: string;
  protocol: string;
  params: Record<string, string>;
}

/** Everything apply writes for one cluster; `isEmpty(changes)` means zero writes. */
export interface ChangeSet {
  clusterId: number;
  /** The cluster's connection group as the snapshot found it. */
  groupId: number | null;
  createGroup: string | null;
  vmInserts: (VmFields & { vmid: number })[];
  vmUpdates: { id: number; fields: Partial<VmFields> & { goneAt?: Date | null } }[];
  events: NewEvent[];
  eventActors: { id: number; actor: string | null; upid: string }[];
  connectionInserts: (DesiredConnection & { vm: VmRef; grantTo: number | null })[];
  connectionUpdates: { connectionId: number; name?: string; setParams: Record<string, string>; deleteParams: string[] }[];
  connectionDeletes: number[];
  grants: { connectionId: number; entityId: number }[];
  revokes: { connectionId: number; entityId: number }[];
  reservationInserts: { vm: VmRef; mac: string; ipv4: number; hostname: string }[];
  reservationUpdates: { id: number; mac: string; ipv4: number; vm: VmRef; hostname: string }[];
  reservationReleases: { id: number; mac: string; ipv4: number }[];
}

export function emptyChangeSet(clusterId: number, groupId: number | null = null): ChangeSet {
  return {
    clusterId,
    groupId,
    createGroup: null,
    vmInserts: [],
    vmUpdates: [],
    events: [],
    eventActors: [],
    connectionInserts: [],
    connectionUpdates: [],
    connectionDeletes: [],
    grants: [],
    revokes: [],
    reservationInserts: [],
    reservationUpdates: [],
    reservationReleases: [],
  };
}

export function isEmpty(c: ChangeSet): boolean {
  return (
    c.createGroup === null &&
    [c.vmInserts, c.vmUpdates, c.events, c.eventActors, c.connectionInserts, c.connectionUpdates, c.connectionDeletes, c.grants, c.revokes, c.reservationInserts, c.reservationUpdates, c.reservationReleases].every(
      (a) => a.length === 0,
    )
  );
}

/** Changes by kind, for the summary line and metrics. */
export function countChanges(c: ChangeSet): Record<string, number> {
  const out: Record<string, number> = {};
  const add = (k: string, n: number): void => {
    if (n > 0) out[k] = (out[k] ?? 0) + n;
  };
  for (const e of c.events) add(e.kind, 1);
  add('vm-updates', c.vmUpdates.length);
  add('connections+', c.connectionInserts.length);
  add('connections~', c.connectionUpdates.length);
  add('connections-', c.connectionDeletes.length);
  add('grants+', c.grants.length + c.connectionInserts.filter((x) => x.grantTo !== null).length);
  add('grants-', c.revokes.length);
  add('dhcp+', c.reservationInserts.length);
  add('dhcp~', c.reservationUpdates.length);
  add('dhcp-', c.reservationReleases.length);
  return out;
}
