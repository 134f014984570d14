import type { DataSource } from 'typeorm';
import { Secret } from '../config/index.js';
import { ConflictError, NotFoundError, isDuplicateKey } from './errors.js';
import { assertGuacamoleName } from './names.js';
import { open, seal } from './secret-box.js';

export interface ClusterRecord {
  id: number;
  name: string;
  apiUrl: string;
  tokenId: string;
  caPem: string | null;
  enabled: boolean;
  dhcpSubnet: string | null;
  keaSubnetId: number | null;
  guestProtocols: string[];
  ownerRule: string;
  lastSyncAt: Date | null;
  lastSyncOkAt: Date | null;
  lastSyncError: string | null;
}

/** A cluster with its decrypted token secret: only for the code that talks to PVE, never for display. */
export interface ClusterCredentials extends ClusterRecord {
  tokenSecret: Secret;
}

export interface NewCluster {
  name: string;
  apiUrl: string;
  tokenId: string;
  tokenSecret: string;
  caPem?: string | null;
  dhcpSubnet?: string | null;
  keaSubnetId?: number | null;
  guestProtocols?: string[];
  ownerRule?: string;
}

const SELECT = `SELECT id, name, api_url AS apiUrl, token_id AS tokenId, ca_pem AS caPem, enabled, dhcp_subnet AS dhcpSubnet,
  kea_subnet_id AS keaSubnetId, guest_protocols AS guestProtocols, owner_rule AS ownerRule, last_sync_at AS lastSyncAt,
  last_sync_ok_at AS lastSyncOkAt, last_sync_error AS lastSyncError, token_secret_enc AS tokenSecretEnc FROM pve_cluster`;

type ClusterRow = Omit<ClusterRecord, 'enabled' | 'guestProtocols'> & { enabled: number; guestProtocols: string; tokenSecretEnc: Buffer };

/** Proxmox clusters EarCandle reads; token secrets are sealed with the at-rest key, bound to the cluster's name. */
export class ClusterRepository {
  constructor(
    private readonly db: DataSource,
    private readonly encryptionKey: () => Secret<Buffer>,
  ) {}

  async add(cluster: NewCluster): Promise<ClusterRecord> {
    assertGuacamoleName('cluster', cluster.name, 64);
    const sealed = seal(this.encryptionKey().reveal(), cluster.tokenSecret, secretContext(cluster.name));
    try {
      const res = (await this.db.query(
        `INSERT INTO pve_cluster (name, api_url, token_id, token_secret_enc, ca_pem, dhcp_subnet, kea_subnet_id, guest_protocols, owner_rule)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          cluster.name,
          cluster.apiUrl,
          cluster.tokenId,
          sealed,
          cluster.caPem ?? null,
          cluster.dhcpSubnet ?? null,
          cluster.keaSubnetId ?? null,
          (cluster.guestProtocols ?? []).join(','),
          cluster.ownerRule ?? 'pool',
        ],
      )) as { insertId: number };
      return this.require(res.insertId);
    } catch (err) {
      if (isDuplicateKey(err)) throw new ConflictError(`a cluster named ${cluster.name} already exists`);
      throw err;
    }
  }

  async list(): Promise<ClusterRecord[]> {
    const rows = (await this.db.query(`${SELECT} ORDER BY name`)) as ClusterRow[];
    return rows.map(toRecord);
  }

  async findByName(name: string): Promise<ClusterRecord | undefined> {
    const rows = (await this.db.query(`${SELECT} WHERE name = ?`, [name])) as ClusterRow[];
    return rows[0] && toRecord(rows[0]);
  }

  async require(id: number): Promise<ClusterRecord> {
    const rows = (await this.db.query(`${SELECT} WHERE id = ?`, [id])) as ClusterRow[];
    if (!rows[0]) throw new NotFoundError(`no cluster with id ${id}`);
    return toRecord(rows[0]);
  }

  /** The cluster with its token secret decrypted. */
  async credentials(name: string): Promise<ClusterCredentials> {
    const rows = (await this.db.query(`${SELECT} WHERE name = ?`, [name])) as ClusterRow[];
    const row = rows[0];
    if (!row) throw new NotFoundError(`no cluster named ${name}`);
    return { ...toRecord(row), tokenSecret: new Secret(open(this.encryptionKey().reveal(), row.tokenSecretEnc, secretContext(row.name))) };
  }

  /** Points an existing cluster at a new endpoint, CA or token (a re-issued token, a moved API). */
  async updateConnection(name: string, change: { apiUrl?: string; caPem?: string | null; tokenId?: string; tokenSecret?: string }): Promise<void> {
    const columns: [string, unknown][] = [];
    if (change.apiUrl !== undefined) columns.push(['api_url', change.apiUrl]);
    if (change.caPem !== undefined) columns.push(['ca_pem', change.caPem]);
    if (change.tokenId !== undefined) columns.push(['token_id', change.tokenId]);
    if (change.tokenSecret !== undefined) {
      columns.push(['token_secret_enc', seal(this.encryptionKey().reveal(), change.tokenSecret, secretContext(name))]);
    }
    if (columns.length === 0) return;
    const res = (await this.db.query(`UPDATE pve_cluster SET ${columns.map(([c]) => `${c} = ?`).join(', ')} WHERE name = ?`, [
      ...columns.map(([, v]) => v),
      name,
    ])) as { affectedRows: number };
    if (res.affectedRows === 0) throw new NotFoundError(`no cluster named ${name}`);
  }

  async setEnabled(name: string, enabled: boolean): Promise<void> {
    const res = (await this.db.query('UPDATE pve_cluster SET enabled = ? WHERE name = ?', [enabled ? 1 : 0, name])) as { affectedRows: number };
    if (res.affectedRows === 0) throw new NotFoundError(`no cluster named ${name}`);
  }

  async recordSync(id: number, outcome: { at: Date; error?: string | undefined }): Promise<void> {
    await this.db.query(
      outcome.error === undefined
        ? 'UPDATE pve_cluster SET last_sync_at = ?, last_sync_ok_at = ?, last_sync_error = NULL WHERE id = ?'
        : 'UPDATE pve_cluster SET last_sync_at = ?, last_sync_error = ? WHERE id = ?',
      outcome.error === undefined ? [outcome.at, outcome.at, id] : [outcome.at, outcome.error.slice(0, 1024), id],
    );
  }
}

function secretContext(clusterName: string): string {
  return `pve_cluster.token_secret:${clusterName}`;
}

function toRecord(r: ClusterRow): ClusterRecord {
  return {
    id: r.id,
    name: r.name,
    apiUrl: r.apiUrl,
    tokenId: r.tokenId,
    caPem: r.caPem,
    enabled: Number(r.enabled) === 1,
    dhcpSubnet: r.dhcpSubnet,
    keaSubnetId: r.keaSubnetId,
    guestProtocols: r.guestProtocols ? r.guestProtocols.split(',') : [],
    ownerRule: r.ownerRule,
    lastSyncAt: r.lastSyncAt,
    lastSyncOkAt: r.lastSyncOkAt,
    lastSyncError: r.lastSyncError,
  };
}
