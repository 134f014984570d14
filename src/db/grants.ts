import type { DataSource } from 'typeorm';
import { NotFoundError } from './errors.js';
import { ATTR_VM_ID } from './connection-attributes.js';

export interface VmGrant {
  entityId: number;
  name: string;
  type: 'USER' | 'USER_GROUP';
}

/** A VM without any Guacamole connection cannot be granted: there is no row to write the permission on. */
export class NoConnectionError extends Error {
  override readonly name = 'NoConnectionError';
}

/**
 * Per-VM grants, written as the stock Guacamole admin writes them: READ in guacamole_connection_permission
 * for the user or group entity, on every connection of the VM.
 */
export class GrantRepository {
  constructor(private readonly db: DataSource) {}

  async grant(vmId: number, entityId: number): Promise<number> {
    return this.db.transaction(async (tx) => {
      const conns = (await tx.query(
        `SELECT connection_id AS id FROM guacamole_connection_attribute WHERE attribute_name = '${ATTR_VM_ID}' AND attribute_value = ?`,
        [String(vmId)],
      )) as { id: number }[];
      if (conns.length === 0) throw new NoConnectionError(`machine ${vmId} has no connection yet (wait for the next sync)`);
      for (const c of conns) {
        await tx.query("INSERT IGNORE INTO guacamole_connection_permission (entity_id, connection_id, permission) VALUES (?, ?, 'READ')", [
          entityId,
          c.id,
        ]);
      }
      return conns.length;
    });
  }

  async revoke(vmId: number, entityId: number): Promise<number> {
    const res = (await this.db.query(
      `DELETE p FROM guacamole_connection_permission p
         JOIN guacamole_connection_attribute a ON a.connection_id = p.connection_id AND a.attribute_name = '${ATTR_VM_ID}'
        WHERE a.attribute_value = ? AND p.entity_id = ? AND p.permission = 'READ'`,
      [String(vmId), entityId],
    )) as { affectedRows: number };
    return res.affectedRows;
  }

  /** Users and groups holding READ on any of the VM's connections. */
  async forVm(vmId: number): Promise<VmGrant[]> {
    return (await this.db.query(
      `SELECT DISTINCT e.entity_id AS entityId, e.name, e.type
         FROM guacamole_connection_permission p
         JOIN guacamole_connection_attribute a ON a.connection_id = p.connection_id AND a.attribute_name = '${ATTR_VM_ID}'
         JOIN guacamole_entity e ON e.entity_id = p.entity_id
        WHERE a.attribute_value = ? AND p.permission = 'READ'
        ORDER BY e.type, e.name`,
      [String(vmId)],
    )) as VmGrant[];
  }

  /** The entity of a user or group by name. */
  async entity(type: 'USER' | 'USER_GROUP', name: string): Promise<number> {
    const rows = (await this.db.query('SELECT entity_id AS id FROM guacamole_entity WHERE type = ? AND name = ?', [type, name])) as { id: number }[];
    if (!rows[0]) throw new NotFoundError(`no ${type === 'USER' ? 'user' : 'group'} named ${name}`);
    return rows[0].id;
  }

  async setGroupDisabled(name: string, disabled: boolean): Promise<void> {
    const res = (await this.db.query(
      `UPDATE guacamole_user_group g JOIN guacamole_entity e ON e.entity_id = g.entity_id
          SET g.disabled = ? WHERE e.type = 'USER_GROUP' AND e.name = ?`,
      [disabled ? 1 : 0, name],
    )) as { affectedRows: number };
    if (res.affectedRows === 0 && !(await this.groupExists(name))) throw new NotFoundError(`no group named ${name}`);
  }

  async disabledGroups(): Promise<string[]> {
    const rows = (await this.db.query(
      "SELECT e.name FROM guacamole_user_group g JOIN guacamole_entity e ON e.entity_id = g.entity_id WHERE g.disabled = 1 ORDER BY e.name",
    )) as { name: string }[];
    return rows.map((r) => r.name);
  }

  private async groupExists(name: string): Promise<boolean> {
    const rows = (await this.db.query("SELECT 1 FROM guacamole_entity WHERE type = 'USER_GROUP' AND name = ?", [name])) as unknown[];
    return rows.length > 0;
  }
}
