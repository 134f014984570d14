import type { EntityManager } from 'typeorm';
import { ATTR_KIND, ATTR_OWNER_GRANT, ATTR_VM_ID } from './connection-attributes.js';
import { grantKey, type ConnectionKind, type DbConnection, type DbEvent, type DbReservation, type DbSnapshot, type DbVm } from './sync-rows.js';

export interface SnapshotWindow {
  /** Gone rows newer than this still matter (a VM may return, its connections are still there). */
  goneSince: Date;
  /** Events at or after this are loaded to deduplicate task events. */
  eventsSince: Date;
}

/** A vm row as MariaDB returns it: flags as 0/1, BIGINT maybe as text, lists comma-joined. */
type VmRow = Omit<DbVm, 'template' | 'agent' | 'diskBytes' | 'macs' | 'tags'> & {
  template: number;
  agent: number;
  diskBytes: number | string | null;
  macs: string;
  tags: string;
};

const VM_SELECT = `SELECT id, vmid, type, node, name, status, qmpstatus, template, cores, memory_mib AS memoryMib, disk_bytes AS diskBytes, macs, ipv4, tags,
  pool, lock_state AS \`lock\`, owner_entity_id AS ownerEntityId, agent, config_digest AS configDigest, gone_at AS goneAt FROM vm`;

const split = (s: string): string[] => (s ? s.split(',') : []);

/** Everything sync needs from the database about one cluster, read in a handful of queries. */
export async function readSyncSnapshot(db: EntityManager, cluster: { id: number; name: string }, window: SnapshotWindow): Promise<DbSnapshot> {
  const groups = (await db.query(
    'SELECT connection_group_id AS id FROM guacamole_connection_group WHERE connection_group_name = ? AND parent_id IS NULL',
    [cluster.name],
  )) as { id: number }[];
  const groupId = groups[0]?.id ?? null;

  const connections = groupId === null ? [] : await readConnections(db, groupId);
  const reservations = (await db.query(
    'SELECT id, vm_id AS vmId, mac, ipv4, hostname FROM dhcp_reservation WHERE cluster_id = ? AND released_at IS NULL',
    [cluster.id],
  )) as DbReservation[];
  const referenced = new Set<number>([...connections.map((c) => c.vmId), ...reservations.map((r) => r.vmId).filter((v): v is number => v !== null)]);

  const rows = (await db.query(
    `${VM_SELECT} WHERE cluster_id = ? AND (gone_at IS NULL OR gone_at >= ?)`,
    [cluster.id, window.goneSince],
  )) as VmRow[];
  const have = new Set(rows.map((r) => r.id));
  const missing = [...referenced].filter((id) => !have.has(id));
  if (missing.length > 0) {
    rows.push(
      ...((await db.query(
        `${VM_SELECT} WHERE id IN (?)`,
        [missing],
      )) as VmRow[]),
    );
  }
  const vms: DbVm[] = rows.map((r) => ({
    ...r,
    template: Number(r.template) === 1,
    agent: Number(r.agent) === 1,
    diskBytes: r.diskBytes === null ? null : Number(r.diskBytes),
    macs: split(r.macs),
    tags: split(r.tags),
  }));

  const recentEvents = (await db.query(
    `SELECT e.id, e.vm_id AS vmId, e.at, e.kind, e.actor, e.upid FROM vm_event e JOIN vm v ON v.id = e.vm_id
      WHERE v.cluster_id = ? AND e.at >= ?`,
    [cluster.id, window.eventsSince],
  )) as DbEvent[];
  const users = (await db.query("SELECT entity_id AS id, name FROM guacamole_entity WHERE type = 'USER'")) as { id: number; name: string }[];
  const grants =
    groupId === null
      ? []
      : ((await db.query(
          `SELECT p.entity_id AS e, p.connection_id AS c FROM guacamole_connection_permission p
             JOIN guacamole_connection c ON c.connection_id = p.connection_id
            WHERE c.parent_id = ? AND p.permission = 'READ'`,
          [groupId],
        )) as { e: number; c: number }[]);
  return {
    clusterId: cluster.id,
    groupId,
    vms,
    connections,
    reservations: reservations.map((r) => ({ ...r, ipv4: Number(r.ipv4) })),
    recentEvents: recentEvents.map((e) => ({ ...e, id: Number(e.id) })),
    users: new Map(users.map((u) => [u.name.toLowerCase(), u.id])),
    readGrants: new Set(grants.map((g) => grantKey(g.e, g.c))),
  };
}

async function readConnections(db: EntityManager, groupId: number): Promise<DbConnection[]> {
  const attrs = (await db.query(
    `SELECT c.connection_id AS id, c.connection_name AS name, c.protocol, a.attribute_name AS k, a.attribute_value AS v
       FROM guacamole_connection c JOIN guacamole_connection_attribute a ON a.connection_id = c.connection_id
      WHERE c.parent_id = ? AND a.attribute_name IN (?, ?, ?)`,
    [groupId, ATTR_VM_ID, ATTR_KIND, ATTR_OWNER_GRANT],
  )) as { id: number; name: string; protocol: string; k: string; v: string }[];
  const byId = new Map<number, { name: string; protocol: string; a: Record<string, string> }>();
  for (const r of attrs) {
    const c = byId.get(r.id) ?? { name: r.name, protocol: r.protocol, a: {} };
    c.a[r.k] = r.v;
    byId.set(r.id, c);
  }
  const params = (await db.query(
    `SELECT p.connection_id AS id, p.parameter_name AS k, p.parameter_value AS v
       FROM guacamole_connection_parameter p JOIN guacamole_connection c ON c.connection_id = p.connection_id WHERE c.parent_id = ?`,
    [groupId],
  )) as { id: number; k: string; v: string }[];
  const paramsById = new Map<number, Record<string, string>>();
  for (const p of params) paramsById.set(p.id, { ...(paramsById.get(p.id) ?? {}), [p.k]: p.v });
  const out: DbConnection[] = [];
  for (const [id, c] of byId) {
    const vmId = Number(c.a[ATTR_VM_ID]);
    const kind = c.a[ATTR_KIND] as ConnectionKind | undefined;
    if (!Number.isInteger(vmId) || !kind) continue; // not one of ours
    const grant = c.a[ATTR_OWNER_GRANT];
    out.push({ connectionId: id, vmId, kind, name: c.name, protocol: c.protocol, params: paramsById.get(id) ?? {}, ownerGrant: grant === undefined ? null : Number(grant) });
  }
  return out;
}
