/** Rows sync reads and writes (shared by src/db's sync store and src/sync). */
export type GuestType = 'qemu' | 'lxc';

/** A vm row as sync reads it. */
export interface DbVm extends VmFields {
  id: number;
  vmid: number;
  goneAt: Date | null;
}

export type ConnectionKind = 'console' | 'ssh' | 'rdp' | 'vnc';

/** A Guacamole connection sync made for a VM (found by its earcandle-* attributes). */
export interface DbConnection {
  connectionId: number;
  vmId: number;
  kind: ConnectionKind;
  name: string;
  protocol: string;
  params: Record<string, string>;
  /** The entity sync granted READ to (attribute earcandle-owner-grant), if any. */
  ownerGrant: number | null;
}

export interface DbReservation {
  id: number;
  vmId: number | null;
  mac: string;
  ipv4: number;
  hostname: string | null;
}

export interface DbEvent {
  id: number;
  vmId: number;
  at: Date;
  kind: string;
  actor: string | null;
  upid: string | null;
}

/** Everything sync needs from the database for one cluster, read before the diff. */
export interface DbSnapshot {
  clusterId: number;
  /** The cluster's Guacamole connection group, if it exists. */
  groupId: number | null;
  /** Live rows and gone rows that still matter (within a grace period, or still holding connections/reservations). */
  vms: DbVm[];
  connections: DbConnection[];
  /** Live reservations of the cluster's DHCP subnet. */
  reservations: DbReservation[];
  /** Events since the task window began (to deduplicate task events and transitions). */
  recentEvents: DbEvent[];
  /** USER entities, by lower-cased name (Guacamole names compare case-insensitively). */
  users: ReadonlyMap<string, number>;
  /** `grantKey(entity, connection)` for every READ grant on the cluster's connections. */
  readGrants: ReadonlySet<string>;
}

/** The columns of a vm row sync maintains. */
export interface VmFields {
  node: string;
  name: string;
  type: GuestType;
  status: string;
  qmpstatus: string | null;
  template: boolean;
  cores: number | null;
  memoryMib: number | null;
  diskBytes: number | null;
  macs: string[];
  ipv4: string | null;
  tags: string[];
  pool: string | null;
  lock: string | null;
  ownerEntityId: number | null;
  agent: boolean;
  configDigest: string | null;
}

/** The key of one READ grant in DbSnapshot.readGrants. */
export function grantKey(entityId: number, connectionId: number): string {
  return `${entityId}:${connectionId}`;
}
