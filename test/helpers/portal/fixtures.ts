import type { DataSource } from '../../../src/db/index.js';

export interface VmFixture {
  clusterId: number;
  vmid: number;
  node?: string;
  name?: string;
  status?: 'running' | 'stopped';
  qmpstatus?: string | null;
}

/**
 * A VM row and its console connection, written the way src/sync writes them (connection attributes
 * earcandle-vm-id and earcandle-kind), for tests that do not run a sync.
 */
export async function addVm(db: DataSource, vm: VmFixture): Promise<number> {
  const now = new Date();
  const name = vm.name ?? `vm-${vm.vmid}`;
  const res = (await db.query(
    `INSERT INTO vm (cluster_id, node, vmid, name, type, status, qmpstatus, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, 'qemu', ?, ?, ?, ?)`,
    [vm.clusterId, vm.node ?? 'pve1', vm.vmid, name, vm.status ?? 'stopped', vm.qmpstatus ?? vm.status ?? 'stopped', now, now],
  )) as { insertId: number };
  const conn = (await db.query("INSERT INTO guacamole_connection (connection_name, protocol) VALUES (?, 'vnc')", [`${name} (${vm.vmid})`])) as { insertId: number };
  await db.query("INSERT INTO guacamole_connection_attribute VALUES (?, 'earcandle-vm-id', ?), (?, 'earcandle-kind', 'console')", [conn.insertId, String(res.insertId), conn.insertId]);
  return res.insertId;
}

/** READ on every connection of the VM for a user or group entity (as the stock admin writes it). */
export async function grantVm(db: DataSource, vmId: number, entityId: number): Promise<void> {
  await db.query(
    `INSERT IGNORE INTO guacamole_connection_permission (entity_id, connection_id, permission)
     SELECT ?, connection_id, 'READ' FROM guacamole_connection_attribute WHERE attribute_name = 'earcandle-vm-id' AND attribute_value = ?`,
    [entityId, String(vmId)],
  );
}

/** A checksum of every table a denied request must not change. */
export async function stateChecksum(db: DataSource): Promise<string> {
  const tables = [
    'job',
    'vm',
    'vm_event',
    'guacamole_connection_permission',
    'guacamole_system_permission',
    'guacamole_user',
    'guacamole_entity',
    'guacamole_user_group',
    'guacamole_user_group_member',
    'portal_account',
    'pve_cluster',
  ];
  const rows = (await db.query(`CHECKSUM TABLE ${tables.join(', ')}`)) as { Table: string; Checksum: number }[];
  return rows.map((r) => `${r.Table.split('.').pop()}=${r.Checksum}`).join(' ');
}
