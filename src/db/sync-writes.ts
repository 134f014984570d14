import type { EntityManager } from 'typeorm';
import { ATTR_KIND, ATTR_OWNER_GRANT, ATTR_VM_ID } from './connection-attributes.js';
import type { VmFields } from './sync-rows.js';

/** A vm row by id, or one inserted in this transaction, by vmid. */
export type VmKey = { id: number } | { vmid: number };

const CHUNK = 1000;

const COLUMNS: Record<keyof VmFields, string> = {
  node: 'node',
  name: 'name',
  type: 'type',
  status: 'status',
  qmpstatus: 'qmpstatus',
  template: 'template',
  cores: 'cores',
  memoryMib: 'memory_mib',
  diskBytes: 'disk_bytes',
  macs: 'macs',
  ipv4: 'ipv4',
  tags: 'tags',
  pool: 'pool',
  lock: 'lock_state',
  ownerEntityId: 'owner_entity_id',
  agent: 'agent',
  configDigest: 'config_digest',
};

/** `AA:BB:…` → `AABB…` for UNHEX (Kea's dhcp_identifier). */
const hexMac = (mac: string): string => mac.replace(/:/g, '');

function sqlValue(k: keyof VmFields, v: unknown): unknown {
  if (k === 'macs' || k === 'tags') return (v as string[]).join(',');
  if (k === 'template' || k === 'agent') return v ? 1 : 0;
  return v;
}

/**
 * The writes of one sync run, inside the caller's transaction. Every method returns the rows it touched
 * (affectedRows), so the run can say how much it wrote.
 */
export class SyncWriter {
  readonly #vmIds = new Map<number, number>();
  written = 0;

  constructor(
    private readonly tx: EntityManager,
    private readonly clusterId: number,
    private readonly keaDatabase: string | null,
  ) {}

  async #run(sql: string, params: unknown[]): Promise<void> {
    const res = (await this.tx.query(sql, params)) as { affectedRows?: number };
    this.written += res.affectedRows ?? 0;
  }

  async #bulk<T>(rows: readonly T[], head: string, placeholders: string, values: (r: T) => unknown[], tail = ''): Promise<void> {
    for (let i = 0; i < rows.length; i += CHUNK) {
      const part = rows.slice(i, i + CHUNK);
      await this.#run(`${head} VALUES ${part.map(() => placeholders).join(',')}${tail}`, part.flatMap(values));
    }
  }

  vmId(key: VmKey): number {
    if ('id' in key) return key.id;
    const id = this.#vmIds.get(key.vmid);
    if (id === undefined) throw new Error(`sync: VM ${key.vmid} was not inserted`);
    return id;
  }

  async createGroup(name: string): Promise<number> {
    const res = (await this.tx.query("INSERT INTO guacamole_connection_group (connection_group_name, parent_id, type) VALUES (?, NULL, 'ORGANIZATIONAL')", [name])) as {
      insertId: number;
    };
    this.written += 1;
    return res.insertId;
  }

  async insertVms(rows: readonly (VmFields & { vmid: number })[], now: Date): Promise<void> {
    if (rows.length === 0) return;
    const keys = Object.keys(COLUMNS) as (keyof VmFields)[];
    await this.#bulk(
      rows,
      `INSERT INTO vm (cluster_id, vmid, first_seen_at, last_seen_at, ${keys.map((k) => COLUMNS[k]).join(', ')})`,
      `(${new Array(keys.length + 4).fill('?').join(',')})`,
      (r) => [this.clusterId, r.vmid, now, now, ...keys.map((k) => sqlValue(k, r[k]))],
    );
    for (let i = 0; i < rows.length; i += CHUNK) {
      const ids = (await this.tx.query('SELECT id, vmid FROM vm WHERE cluster_id = ? AND gone_at IS NULL AND vmid IN (?)', [
        this.clusterId,
        rows.slice(i, i + CHUNK).map((r) => r.vmid),
      ])) as { id: number; vmid: number }[];
      for (const r of ids) this.#vmIds.set(r.vmid, r.id);
    }
  }

  async updateVm(id: number, fields: Partial<VmFields> & { goneAt?: Date | null }, now: Date): Promise<void> {
    const sets: string[] = [];
    const params: unknown[] = [];
    for (const [k, v] of Object.entries(fields)) {
      if (k === 'goneAt') sets.push('gone_at = ?');
      else sets.push(`${COLUMNS[k as keyof VmFields]} = ?`);
      params.push(k === 'goneAt' ? v : sqlValue(k as keyof VmFields, v));
    }
    if (sets.length === 0) return;
    if (fields.goneAt === undefined || fields.goneAt === null) {
      sets.push('last_seen_at = ?');
      params.push(now);
    }
    await this.#run(`UPDATE vm SET ${sets.join(', ')} WHERE id = ? AND cluster_id = ?`, [...params, id, this.clusterId]);
  }

  async insertEvents(rows: readonly { vm: VmKey; at: Date; kind: string; actor: string | null; detail: string | null; upid: string | null }[]): Promise<void> {
    await this.#bulk(rows, 'INSERT IGNORE INTO vm_event (vm_id, at, kind, actor, detail, upid)', '(?,?,?,?,?,?)', (e) => [
      this.vmId(e.vm),
      e.at,
      e.kind,
      e.actor?.slice(0, 128) ?? null,
      e.detail?.slice(0, 1024) ?? null,
      e.upid,
    ]);
  }

  async setEventActor(id: number, actor: string | null, upid: string): Promise<void> {
    await this.#run('UPDATE IGNORE vm_event SET actor = ?, upid = ? WHERE id = ?', [actor?.slice(0, 128) ?? null, upid, id]);
  }

  async deleteConnections(ids: readonly number[]): Promise<void> {
    for (let i = 0; i < ids.length; i += CHUNK) await this.#run('DELETE FROM guacamole_connection WHERE connection_id IN (?)', [ids.slice(i, i + CHUNK)]);
  }

  /** New connections with their parameters, the attributes that link them to their VM, and the owner's READ. */
  async insertConnections(
    groupId: number,
    rows: readonly { vm: VmKey; kind: string; name: string; protocol: string; params: Record<string, string>; grantTo: number | null }[],
  ): Promise<void> {
    for (let i = 0; i < rows.length; i += CHUNK) {
      const part = rows.slice(i, i + CHUNK);
      await this.#bulk(part, 'INSERT INTO guacamole_connection (connection_name, parent_id, protocol)', '(?,?,?)', (c) => [c.name, groupId, c.protocol]);
      const ids = (await this.tx.query('SELECT connection_id AS id, connection_name AS name FROM guacamole_connection WHERE parent_id = ? AND connection_name IN (?)', [
        groupId,
        part.map((c) => c.name),
      ])) as { id: number; name: string }[];
      const byName = new Map(ids.map((r) => [r.name.toLowerCase(), r.id]));
      const idOf = (c: { name: string }): number => byName.get(c.name.toLowerCase()) as number;
      const params = part.flatMap((c) => Object.entries(c.params).map(([k, v]) => [idOf(c), k, v]));
      await this.#bulk(params, 'INSERT INTO guacamole_connection_parameter (connection_id, parameter_name, parameter_value)', '(?,?,?)', (p) => p);
      const attrs = part.flatMap((c) => [
        [idOf(c), ATTR_VM_ID, String(this.vmId(c.vm))],
        [idOf(c), ATTR_KIND, c.kind],
        ...(c.grantTo === null ? [] : [[idOf(c), ATTR_OWNER_GRANT, String(c.grantTo)]]),
      ]);
      await this.#bulk(attrs, 'INSERT INTO guacamole_connection_attribute (connection_id, attribute_name, attribute_value)', '(?,?,?)', (a) => a);
      const grants = part.filter((c) => c.grantTo !== null).map((c) => [c.grantTo, idOf(c)]);
      await this.#bulk(grants, 'INSERT IGNORE INTO guacamole_connection_permission (entity_id, connection_id, permission)', "(?,?,'READ')", (g) => g);
    }
  }

  async updateConnection(u: { connectionId: number; name?: string; setParams: Record<string, string>; deleteParams: string[] }): Promise<void> {
    if (u.name !== undefined) await this.#run('UPDATE guacamole_connection SET connection_name = ? WHERE connection_id = ?', [u.name, u.connectionId]);
    const set = Object.entries(u.setParams);
    if (set.length > 0) {
      await this.#bulk(set, 'INSERT INTO guacamole_connection_parameter (connection_id, parameter_name, parameter_value)', '(?,?,?)', ([k, v]) => [u.connectionId, k, v], ' ON DUPLICATE KEY UPDATE parameter_value = VALUES(parameter_value)');
    }
    if (u.deleteParams.length > 0) {
      await this.#run('DELETE FROM guacamole_connection_parameter WHERE connection_id = ? AND parameter_name IN (?)', [u.connectionId, u.deleteParams]);
    }
  }

  /** Removes a READ grant sync made (and its record); never called for grants sync did not record. */
  async revoke(connectionId: number, entityId: number): Promise<void> {
    await this.#run("DELETE FROM guacamole_connection_permission WHERE entity_id = ? AND connection_id = ? AND permission = 'READ'", [entityId, connectionId]);
    await this.#run("DELETE FROM guacamole_connection_attribute WHERE connection_id = ? AND attribute_name = ? AND attribute_value = ?", [
      connectionId,
      ATTR_OWNER_GRANT,
      String(entityId),
    ]);
  }

  async grant(connectionId: number, entityId: number): Promise<void> {
    await this.#run("INSERT IGNORE INTO guacamole_connection_permission (entity_id, connection_id, permission) VALUES (?, ?, 'READ')", [entityId, connectionId]);
    await this.#run(
      "INSERT INTO guacamole_connection_attribute (connection_id, attribute_name, attribute_value) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE attribute_value = VALUES(attribute_value)",
      [connectionId, ATTR_OWNER_GRANT, String(entityId)],
    );
  }

  #hosts(): string {
    return `\`${this.keaDatabase}\`.hosts`;
  }

  /** Kea's host row for each reservation (hw-address identifier), when Kea's database is configured. */
  async #keaUpsert(keaSubnetId: number, rows: readonly { mac: string; ipv4: number; hostname: string }[]): Promise<void> {
    if (this.keaDatabase === null) return;
    await this.#bulk(
      rows,
      `INSERT INTO ${this.#hosts()} (dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, ipv4_address, hostname)`,
      '(UNHEX(?),0,?,?,?)',
      (r) => [hexMac(r.mac), keaSubnetId, r.ipv4, r.hostname],
      ' ON DUPLICATE KEY UPDATE ipv4_address = VALUES(ipv4_address), hostname = VALUES(hostname)',
    );
  }

  async insertReservations(keaSubnetId: number, rows: readonly { vm: VmKey; mac: string; ipv4: number; hostname: string }[]): Promise<void> {
    await this.#bulk(rows, 'INSERT INTO dhcp_reservation (cluster_id, vm_id, mac, ipv4, kea_subnet_id, hostname)', '(?,?,?,?,?,?)', (r) => [
      this.clusterId,
      this.vmId(r.vm),
      r.mac,
      r.ipv4,
      keaSubnetId,
      r.hostname,
    ]);
    await this.#keaUpsert(keaSubnetId, rows);
  }

  async updateReservation(keaSubnetId: number, r: { id: number; mac: string; ipv4: number; vm: VmKey; hostname: string }): Promise<void> {
    await this.#run('UPDATE dhcp_reservation SET vm_id = ?, hostname = ? WHERE id = ?', [this.vmId(r.vm), r.hostname, r.id]);
    await this.#keaUpsert(keaSubnetId, [r]);
  }

  async releaseReservation(keaSubnetId: number, r: { id: number; mac: string }, now: Date): Promise<void> {
    await this.#run('UPDATE dhcp_reservation SET released_at = ? WHERE id = ?', [now, r.id]);
    if (this.keaDatabase === null) return;
    await this.#run(`DELETE FROM ${this.#hosts()} WHERE dhcp_identifier = UNHEX(?) AND dhcp_identifier_type = 0 AND dhcp4_subnet_id = ?`, [hexMac(r.mac), keaSubnetId]);
  }
}

/** pve_cluster.last_sync_*, written on the sync's own connection. */
export async function recordSyncStatus(db: EntityManager, clusterId: number, outcome: { at: Date; error?: string | undefined }): Promise<void> {
  await db.query(
    outcome.error === undefined
      ? 'UPDATE pve_cluster SET last_sync_at = ?, last_sync_ok_at = ?, last_sync_error = NULL WHERE id = ?'
      : 'UPDATE pve_cluster SET last_sync_at = ?, last_sync_error = ? WHERE id = ?',
    outcome.error === undefined ? [outcome.at, outcome.at, clusterId] : [outcome.at, outcome.error.slice(0, 1024), clusterId],
  );
}
