import type { DataSource } from 'typeorm';
import { ATTR_KIND, ATTR_VM_ID } from './connection-attributes.js';
import { readRows } from './data-source.js';

/** A VM as the portal shows it. */
export interface PortalVm {
  id: number;
  clusterId: number;
  clusterName: string;
  node: string;
  vmid: number;
  name: string;
  type: 'qemu' | 'lxc';
  status: string;
  qmpstatus: string | null;
  lockState: string | null;
  template: boolean;
  ipv4: string | null;
  goneAt: Date | null;
  lastSeenAt: Date;
}

export interface VmEventRecord {
  id: number;
  vmId: number;
  at: Date;
  kind: string;
  actor: string | null;
  detail: string | null;
  upid: string | null;
}

export interface VmConnection {
  connectionId: number;
  name: string;
  protocol: string;
  kind: string;
}

/**
 * The identities whose grants apply to a user: the user and every group it belongs to, transitively; a
 * disabled group contributes nothing and neither do the groups it belongs to (Guacamole's rule).
 */
const EFFECTIVE = `WITH RECURSIVE eff (entity_id) AS (
    SELECT CAST(? AS SIGNED)
    UNION
    SELECT g.entity_id FROM guacamole_user_group_member m
      JOIN eff ON m.member_entity_id = eff.entity_id
      JOIN guacamole_user_group g ON g.user_group_id = m.user_group_id
     WHERE g.disabled = 0
  )`;

/** VM ids granted through READ on one of their connections. */
const GRANTED = `SELECT DISTINCT CAST(ca.attribute_value AS UNSIGNED) AS vm_id
    FROM guacamole_connection_permission p
    JOIN eff ON eff.entity_id = p.entity_id
    JOIN guacamole_connection_attribute ca ON ca.connection_id = p.connection_id AND ca.attribute_name = '${ATTR_VM_ID}'
   WHERE p.permission = 'READ'`;

const VM_COLUMNS = `v.id, v.cluster_id AS clusterId, c.name AS clusterName, v.node, v.vmid, v.name, v.type, v.status,
  v.qmpstatus, v.lock_state AS lockState, v.template, v.ipv4, v.gone_at AS goneAt, v.last_seen_at AS lastSeenAt`;
const VM_SELECT = `SELECT ${VM_COLUMNS} FROM vm v JOIN pve_cluster c ON c.id = v.cluster_id`;

type VmRow = Omit<PortalVm, 'template'> & { template: number };

/** A guest way in: a connection to the guest's own address (besides the PVE screen). */
export type GuestWayKind = 'ssh' | 'rdp' | 'vnc';

/** One VM of "my machines" with what the list shows beside it, read in one query (only what the list uses). */
export interface PortalVmListing {
  id: number;
  clusterName: string;
  node: string;
  vmid: number;
  name: string;
  status: string;
  qmpstatus: string | null;
  lockState: string | null;
  template: boolean;
  goneAt: Date | null;
  /** Kinds of the guest ways in (ssh, rdp, vnc) among the VM's connections the user may READ, in that order. */
  guestWays: readonly GuestWayKind[];
  /** Whether a job of the VM is queued or running (the job itself is read only then). */
  hasActiveJob: boolean;
}

/** Guest ways in as bits, so the per-VM aggregate stays a small integer (a GROUP_CONCAT of the 4 KiB attribute column makes MariaDB's temporary table three times slower). */
const WAY_BITS = [['ssh', 1], ['rdp', 2], ['vnc', 4]] as const;
const WAYS_OF = `CAST(a.attribute_value AS UNSIGNED) AS vm_id,
  BIT_OR(CASE k.attribute_value ${WAY_BITS.map(([w, bit]) => `WHEN '${w}' THEN ${bit}`).join(' ')} ELSE 0 END) AS ways`;
/** VMs with a queued or running job: a handful of rows through job_runnable (state, run_after), read once per query. */
const ACTIVE_JOBS = `LEFT JOIN (SELECT DISTINCT vm_id FROM job WHERE state IN ('queued', 'running')) aj ON aj.vm_id = v.id`;
type ListingRow = Omit<PortalVmListing, 'template' | 'guestWays' | 'hasActiveJob'> & { template: number; ways: number | string | null; hasActiveJob: number | string };
const LISTING_COLUMNS = `v.id, c.name AS clusterName, v.node, v.vmid, v.name, v.status, v.qmpstatus, v.lock_state AS lockState, v.template,
  v.gone_at AS goneAt, w.ways, aj.vm_id IS NOT NULL AS hasActiveJob`;
/** Every set of guest ways a VM can have, by its bits: one shared frozen list each, none made per row. */
const WAYS_BY_BITS: readonly (readonly GuestWayKind[])[] = Array.from({ length: 8 }, (_, bits) => Object.freeze(WAY_BITS.filter(([, bit]) => (bits & bit) !== 0).map(([w]) => w)));

/** What the portal reads about VMs, always through the Guacamole permission tables. */
export class PortalVmRepository {
  constructor(private readonly db: DataSource) {}

  /** The VMs a user may use (every VM for an admin), by name. */
  async visibleTo(entityId: number, admin: boolean): Promise<PortalVm[]> {
    const rows = admin
      ? ((await this.db.query(`${VM_SELECT} ORDER BY v.name, v.id`)) as VmRow[])
      : ((await this.db.query(`${EFFECTIVE} ${VM_SELECT} JOIN (${GRANTED}) gr ON gr.vm_id = v.id ORDER BY v.name, v.id`, [entityId])) as VmRow[]);
    return rows.map(toVm);
  }

  /**
   * "My machines" in one round trip: the VMs a user may use (every VM for an admin) by name, each with its
   * guest ways in and its active job. The same permission rule as visibleTo/canUse/guestWays: READ on one of
   * the VM's connections through the user or an enabled group (transitively).
   */
  async listFor(entityId: number, admin: boolean): Promise<PortalVmListing[]> {
    const sql = admin
      ? `SELECT ${LISTING_COLUMNS}
           FROM vm v JOIN pve_cluster c ON c.id = v.cluster_id
           LEFT JOIN (SELECT ${WAYS_OF}
                        FROM guacamole_connection_attribute a
                        LEFT JOIN guacamole_connection_attribute k ON k.connection_id = a.connection_id AND k.attribute_name = '${ATTR_KIND}'
                       WHERE a.attribute_name = '${ATTR_VM_ID}' GROUP BY vm_id) w ON w.vm_id = v.id
           ${ACTIVE_JOBS}
          ORDER BY v.name, v.id`
      : `${EFFECTIVE} SELECT ${LISTING_COLUMNS}
           FROM vm v JOIN pve_cluster c ON c.id = v.cluster_id
           JOIN (SELECT ${WAYS_OF}
                   FROM guacamole_connection_permission p
                   JOIN eff ON eff.entity_id = p.entity_id
                   JOIN guacamole_connection_attribute a ON a.connection_id = p.connection_id AND a.attribute_name = '${ATTR_VM_ID}'
                   LEFT JOIN guacamole_connection_attribute k ON k.connection_id = p.connection_id AND k.attribute_name = '${ATTR_KIND}'
                  WHERE p.permission = 'READ' GROUP BY vm_id) w ON w.vm_id = v.id
           ${ACTIVE_JOBS}
          ORDER BY v.name, v.id`;
    const rows = await readRows<ListingRow>(this.db, sql, admin ? [] : [entityId]);
    return rows.map((r) => ({
      id: r.id,
      clusterName: r.clusterName,
      node: r.node,
      vmid: r.vmid,
      name: r.name,
      status: r.status,
      qmpstatus: r.qmpstatus,
      lockState: r.lockState,
      template: Number(r.template) === 1,
      goneAt: r.goneAt,
      guestWays: WAYS_BY_BITS[Number(r.ways ?? 0) & 7]!,
      hasActiveJob: Number(r.hasActiveJob) === 1,
    }));
  }

  async canUse(entityId: number, admin: boolean, vmId: number): Promise<boolean> {
    if (admin) return (await this.get(vmId)) !== undefined;
    const rows = (await this.db.query(`${EFFECTIVE} SELECT 1 AS ok FROM (${GRANTED}) gr WHERE gr.vm_id = ? LIMIT 1`, [entityId, vmId])) as unknown[];
    return rows.length > 0;
  }

  async get(vmId: number): Promise<PortalVm | undefined> {
    const rows = (await this.db.query(`${VM_SELECT} WHERE v.id = ?`, [vmId])) as VmRow[];
    return rows[0] && toVm(rows[0]);
  }

  /** Current state of these VMs (the live feed's poll). */
  async states(vmIds: readonly number[]): Promise<PortalVm[]> {
    if (vmIds.length === 0) return [];
    const rows = (await this.db.query(`${VM_SELECT} WHERE v.id IN (?)`, [vmIds])) as VmRow[];
    return rows.map(toVm);
  }

  async events(vmId: number, limit = 100): Promise<VmEventRecord[]> {
    const rows = (await this.db.query(
      'SELECT id, vm_id AS vmId, at, kind, actor, detail, upid FROM vm_event WHERE vm_id = ? ORDER BY at DESC, id DESC LIMIT ?',
      [vmId, limit],
    )) as VmEventRecord[];
    return rows.map((r) => ({ ...r, id: Number(r.id) }));
  }

  /**
   * The guest ways in (ssh/rdp/vnc connections at the guest's address) each VM has and the user may READ
   * (through the user or an enabled group; an administrator may use all), by VM id.
   */
  async guestWays(entityId: number, admin: boolean, vmIds: readonly number[]): Promise<Map<number, string[]>> {
    const out = new Map<number, string[]>();
    if (vmIds.length === 0) return out;
    const rows = (await this.db.query(
      `${EFFECTIVE} SELECT DISTINCT CAST(a.attribute_value AS UNSIGNED) AS vmId, k.attribute_value AS kind
         FROM guacamole_connection c
         JOIN guacamole_connection_attribute a ON a.connection_id = c.connection_id AND a.attribute_name = '${ATTR_VM_ID}'
         JOIN guacamole_connection_attribute k ON k.connection_id = c.connection_id AND k.attribute_name = '${ATTR_KIND}'
        WHERE a.attribute_value IN (?) AND k.attribute_value IN ('ssh', 'rdp', 'vnc')
          AND (? OR EXISTS (SELECT 1 FROM guacamole_connection_permission p JOIN eff ON eff.entity_id = p.entity_id
                             WHERE p.connection_id = c.connection_id AND p.permission = 'READ'))
        ORDER BY vmId, FIELD(k.attribute_value, 'ssh', 'rdp', 'vnc')`,
      [entityId, vmIds.map(String), admin ? 1 : 0],
    )) as { vmId: number | string; kind: string }[];
    for (const r of rows) {
      const id = Number(r.vmId);
      out.set(id, [...(out.get(id) ?? []), r.kind]);
    }
    return out;
  }

  async connections(vmId: number): Promise<VmConnection[]> {
    return (await this.db.query(
      `SELECT c.connection_id AS connectionId, c.connection_name AS name, c.protocol, COALESCE(k.attribute_value, c.protocol) AS kind
         FROM guacamole_connection c
         JOIN guacamole_connection_attribute a ON a.connection_id = c.connection_id AND a.attribute_name = '${ATTR_VM_ID}' AND a.attribute_value = ?
         LEFT JOIN guacamole_connection_attribute k ON k.connection_id = c.connection_id AND k.attribute_name = '${ATTR_KIND}'
        ORDER BY c.connection_id`,
      [String(vmId)],
    )) as VmConnection[];
  }
}

function toVm(r: VmRow): PortalVm {
  return {
    id: r.id,
    clusterId: r.clusterId,
    clusterName: r.clusterName,
    node: r.node,
    vmid: r.vmid,
    name: r.name,
    type: r.type,
    status: r.status,
    qmpstatus: r.qmpstatus,
    lockState: r.lockState,
    template: Number(r.template) === 1,
    ipv4: r.ipv4,
    goneAt: r.goneAt,
    lastSeenAt: r.lastSeenAt,
  };
}

