/**
 * The SSH host keys of guests (ssh_host_key), trusted on first use: one key per VM and port. Only keys and
 * their metadata live here; no credential ever does.
 */
import type { DataSource } from 'typeorm';
import { isDuplicateKey } from './errors.js';

export interface SshHostKeyRecord {
  id: number;
  vmId: number;
  hostname: string;
  port: number;
  algorithm: string;
  /** Base64 of the public key blob. */
  key: string;
  fingerprint: string;
  firstSeen: Date;
  acceptedBy: string | null;
  acceptedByEntityId: number | null;
}

export interface NewSshHostKey {
  vmId: number;
  hostname: string;
  port: number;
  algorithm: string;
  key: string;
  fingerprint: string;
  acceptedBy: string | null;
  acceptedByEntityId: number | null;
  firstSeen?: Date;
}

const SELECT = `SELECT id, vm_id AS vmId, hostname, port, algorithm, key_blob AS \`key\`, fingerprint, first_seen AS firstSeen,
  accepted_by AS acceptedBy, accepted_by_entity_id AS acceptedByEntityId FROM ssh_host_key`;

export class SshHostKeyRepository {
  constructor(private readonly db: DataSource) {}

  /** The recorded key of a VM's SSH server on this port. */
  async find(vmId: number, port: number): Promise<SshHostKeyRecord | undefined> {
    const rows = (await this.db.query(`${SELECT} WHERE vm_id = ? AND port = ?`, [vmId, port])) as SshHostKeyRecord[];
    return rows[0];
  }

  /** Every recorded key of a VM (the admin page). */
  async forVm(vmId: number): Promise<SshHostKeyRecord[]> {
    return (await this.db.query(`${SELECT} WHERE vm_id = ? ORDER BY port`, [vmId])) as SshHostKeyRecord[];
  }

  /**
   * Records a key seen for the first time. When a key is already recorded for the VM and port (another
   * session won the race, or it was recorded earlier), nothing changes and that record comes back with
   * `created: false`; the caller compares keys.
   */
  async recordFirstUse(entry: NewSshHostKey): Promise<{ record: SshHostKeyRecord; created: boolean }> {
    try {
      await this.db.query(
        `INSERT INTO ssh_host_key (vm_id, hostname, port, algorithm, key_blob, fingerprint, first_seen, accepted_by, accepted_by_entity_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          entry.vmId,
          entry.hostname.slice(0, 253),
          entry.port,
          entry.algorithm.slice(0, 64),
          entry.key,
          entry.fingerprint.slice(0, 100),
          entry.firstSeen ?? new Date(),
          entry.acceptedBy?.slice(0, 128) ?? null,
          entry.acceptedByEntityId,
        ],
      );
      const record = await this.find(entry.vmId, entry.port);
      if (!record) throw new Error('ssh_host_key row vanished after insert');
      return { record, created: true };
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const record = await this.find(entry.vmId, entry.port);
      if (!record) throw err;
      return { record, created: false };
    }
  }

  /** Forgets a VM's keys (one port, or all); the next session records the key again. Returns rows removed. */
  async forget(vmId: number, port?: number): Promise<SshHostKeyRecord[]> {
    return this.db.transaction(async (tx) => {
      const rows = (await tx.query(`${SELECT} WHERE vm_id = ?${port === undefined ? '' : ' AND port = ?'} FOR UPDATE`, port === undefined ? [vmId] : [vmId, port])) as SshHostKeyRecord[];
      if (rows.length > 0) await tx.query(`DELETE FROM ssh_host_key WHERE id IN (${rows.map(() => '?').join(',')})`, rows.map((r) => r.id));
      return rows;
    });
  }
}
