/**
 * What the tunnel must know, read fresh from the database when a console opens: the VM and its Guacamole
 * connection for the way in, the user (still enabled?) and whether the user may use that connection (READ
 * through the user or an enabled group, or ADMINISTER), exactly as the portal decides it.
 */
import type { DataSource } from 'typeorm';
import { ATTR_KIND, ATTR_VM_ID } from './connection-attributes.js';
import type { ConnectionKind } from './sync-rows.js';

export interface ConsoleVm {
  id: number;
  clusterName: string;
  node: string;
  vmid: number;
  name: string;
  status: string;
  gone: boolean;
  ipv4: string | null;
}

export interface ConsoleConnection {
  connectionId: number;
  name: string;
  protocol: string;
}

export interface ConsoleUser {
  entityId: number;
  /** guacamole_user.user_id (history rows use it). */
  userId: number;
  username: string;
  enabled: boolean;
  admin: boolean;
}

const EFFECTIVE = `WITH RECURSIVE eff (entity_id) AS (
    SELECT ?
    UNION
    SELECT g.entity_id FROM guacamole_user_group_member m
      JOIN eff ON m.member_entity_id = eff.entity_id
      JOIN guacamole_user_group g ON g.user_group_id = m.user_group_id
     WHERE g.disabled = 0
  )`;

export class ConsoleAccess {
  constructor(private readonly db: DataSource) {}

  async vm(vmId: number): Promise<ConsoleVm | undefined> {
    const rows = (await this.db.query(
      `SELECT v.id, c.name AS clusterName, v.node, v.vmid, v.name, v.status, v.gone_at AS goneAt, v.ipv4
         FROM vm v JOIN pve_cluster c ON c.id = v.cluster_id WHERE v.id = ?`,
      [vmId],
    )) as (Omit<ConsoleVm, 'gone'> & { goneAt: Date | null })[];
    const r = rows[0];
    if (!r) return undefined;
    return { id: r.id, clusterName: r.clusterName, node: r.node, vmid: Number(r.vmid), name: r.name, status: r.status, gone: r.goneAt !== null, ipv4: r.ipv4 };
  }

  /** The VM's Guacamole connection for this way in. */
  async connection(vmId: number, kind: ConnectionKind): Promise<ConsoleConnection | undefined> {
    const rows = (await this.db.query(
      `SELECT c.connection_id AS connectionId, c.connection_name AS name, c.protocol
         FROM guacamole_connection c
         JOIN guacamole_connection_attribute a ON a.connection_id = c.connection_id AND a.attribute_name = '${ATTR_VM_ID}' AND a.attribute_value = ?
         JOIN guacamole_connection_attribute k ON k.connection_id = c.connection_id AND k.attribute_name = '${ATTR_KIND}' AND k.attribute_value = ?
        ORDER BY c.connection_id LIMIT 1`,
      [String(vmId), kind],
    )) as ConsoleConnection[];
    return rows[0];
  }

  async user(entityId: number): Promise<ConsoleUser | undefined> {
    const rows = (await this.db.query(
      `SELECT e.entity_id AS entityId, u.user_id AS userId, e.name AS username, u.disabled,
              (u.valid_until IS NOT NULL AND u.valid_until < CURDATE()) OR (u.valid_from IS NOT NULL AND u.valid_from > CURDATE()) AS outside,
              COALESCE(a.state, 'active') AS state,
              EXISTS (SELECT 1 FROM guacamole_system_permission p WHERE p.entity_id = e.entity_id AND p.permission = 'ADMINISTER') AS admin
         FROM guacamole_entity e
         JOIN guacamole_user u ON u.entity_id = e.entity_id
         LEFT JOIN portal_account a ON a.entity_id = e.entity_id
        WHERE e.entity_id = ? AND e.type = 'USER'`,
      [entityId],
    )) as { entityId: number; userId: number; username: string; disabled: number; outside: number | string | null; state: string; admin: number | string }[];
    const r = rows[0];
    if (!r) return undefined;
    return {
      entityId: r.entityId,
      userId: r.userId,
      username: r.username,
      enabled: Number(r.disabled) === 0 && Number(r.outside ?? 0) === 0 && r.state === 'active',
      admin: Number(r.admin) === 1,
    };
  }

  /** READ on the connection through the user or one of its enabled groups (transitively). */
  async mayRead(entityId: number, connectionId: number): Promise<boolean> {
    const rows = (await this.db.query(
      `${EFFECTIVE} SELECT 1 AS ok FROM guacamole_connection_permission p JOIN eff ON eff.entity_id = p.entity_id
        WHERE p.connection_id = ? AND p.permission = 'READ' LIMIT 1`,
      [entityId, connectionId],
    )) as unknown[];
    return rows.length > 0;
  }

  /** The stored parameters of a guest connection (ssh/rdp/vnc at the VM's address). */
  async parameters(connectionId: number): Promise<Record<string, string>> {
    const rows = (await this.db.query('SELECT parameter_name AS name, parameter_value AS value FROM guacamole_connection_parameter WHERE connection_id = ?', [
      connectionId,
    ])) as { name: string; value: string }[];
    return Object.fromEntries(rows.map((r) => [r.name, r.value]));
  }
}
