import type { Config } from '../config/index.js';
import { acquireSyncLock, readSyncSnapshot, recordSyncStatus, type ClusterCredentials, type ClusterRepository, type DataSource, type EntityManager } from '../db/index.js';
import { createPveClient, describePveError, type PveClient } from '../pve/index.js';
import { applyChanges } from './apply.js';
import { diff } from './diff.js';
import { readInventory } from './inventory.js';
import type { SyncMetrics } from './metrics.js';
import { countChanges, isEmpty, type SyncRules } from './types.js';

export type SyncOutcome = 'ok' | 'skipped' | 'failed';

export interface ClusterSyncResult {
  cluster: string;
  outcome: SyncOutcome;
  vms: number;
  changes: Record<string, number>;
  /** Rows written (affected rows of the one transaction; 0 when nothing changed). */
  writes: number;
  /** Rows the server's handlers inserted, updated or deleted on the sync connection after reading (Handler_write/update/delete). */
  handlerWrites: number;
  unreadableNodes: string[];
  durationMs: number;
  finishedAt: Date;
  error?: string;
}

export interface SyncDeps {
  db: DataSource;
  clusters: ClusterRepository;
  config: Pick<Config, 'sync' | 'dhcp'>;
  log?: (line: string) => void;
  metrics?: SyncMetrics;
  now?: () => Date;
  /** How to reach a cluster (tests may pass timeouts); default createPveClient with the stored token and CA. */
  clientFor?: (cluster: ClusterCredentials, concurrency: number) => PveClient;
}

/** pve_cluster.last_sync_* is rewritten on success at most this often when nothing else changed. */
const STATUS_EVERY_MS = 300_000;
const TASK_MARGIN_MS = 120_000;

export class SyncError extends Error {
  override readonly name = 'SyncError';
  readonly code = 'SYNC_FAILED';
}

function defaultClient(c: ClusterCredentials, concurrency: number): PveClient {
  return createPveClient({ apiUrl: c.apiUrl, tokenId: c.tokenId, tokenSecret: c.tokenSecret, caPem: c.caPem, concurrency });
}

async function handlerCount(m: EntityManager): Promise<number> {
  const rows = (await m.query("SHOW SESSION STATUS WHERE Variable_name IN ('Handler_write','Handler_update','Handler_delete')")) as { Value: string }[];
  return rows.reduce((n, r) => n + Number(r.Value), 0);
}

/** Syncs one cluster: lock, read the database, read PVE, diff, write in one transaction. Never throws. */
export async function syncCluster(deps: SyncDeps, name: string): Promise<ClusterSyncResult> {
  const now = (deps.now ?? (() => new Date()))();
  const started = performance.now();
  const log = deps.log ?? (() => {});
  const result: ClusterSyncResult = { cluster: name, outcome: 'ok', vms: 0, changes: {}, writes: 0, handlerWrites: 0, unreadableNodes: [], durationMs: 0, finishedAt: now };
  const finish = (): ClusterSyncResult => {
    result.durationMs = performance.now() - started;
    result.finishedAt = new Date();
    deps.metrics?.record(result);
    log(summaryLine(result));
    return result;
  };
  let cluster: ClusterCredentials;
  try {
    cluster = await deps.clusters.credentials(name);
  } catch (err) {
    result.outcome = 'failed';
    result.error = describePveError(err);
    return finish();
  }
  const lock = await acquireSyncLock(deps.db, name);
  if (!lock) {
    result.outcome = 'skipped';
    result.error = 'another sync of this cluster is running';
    return finish();
  }
  let client: PveClient | undefined;
  try {
    const sync = deps.config.sync;
    const rules: SyncRules = {
      clusterName: cluster.name,
      ownerRule: cluster.ownerRule,
      guestProtocols: cluster.guestProtocols,
      goneGraceSeconds: sync.goneGraceSeconds,
      dhcpGraceSeconds: sync.dhcpGraceSeconds,
      dhcp: cluster.dhcpSubnet ? { subnet: cluster.dhcpSubnet, keaSubnetId: cluster.keaSubnetId ?? cluster.id } : null,
    };
    const lastOk = cluster.lastSyncOkAt?.getTime() ?? now.getTime() - 600_000;
    const tasksSince = Math.max(lastOk, now.getTime() - 86_400_000) - TASK_MARGIN_MS;
    const snapshot = await readSyncSnapshot(lock.manager, cluster, {
      goneSince: new Date(now.getTime() - sync.goneGraceSeconds * 1000),
      eventsSince: new Date(tasksSince - TASK_MARGIN_MS),
    });
    const known = new Map(snapshot.vms.filter((v) => v.goneAt === null).map((v) => [v.vmid, v]));
    client = (deps.clientFor ?? defaultClient)(cluster, sync.perClusterConcurrency);
    log(`${name}: reading ${client.origin}`);
    const inventory = await readInventory(client, known, { tasksSince: tasksSince / 1000, progress: (l) => log(`${name}: ${l}`) });
    const changes = diff(inventory, snapshot, now, rules);
    result.vms = inventory.vms.length + inventory.uncertainVmids.length;
    result.unreadableNodes = inventory.unreadableNodes;
    result.changes = countChanges(changes);
    const before = await handlerCount(lock.manager);
    result.writes = await applyChanges(lock.manager, changes, { keaDatabase: deps.config.dhcp.keaDatabase ?? null, keaSubnetId: rules.dhcp?.keaSubnetId ?? null, now });
    const stale = cluster.lastSyncOkAt === null || cluster.lastSyncError !== null || now.getTime() - cluster.lastSyncOkAt.getTime() >= STATUS_EVERY_MS;
    if (stale || !isEmpty(changes)) await recordSyncStatus(lock.manager, cluster.id, { at: now });
    result.handlerWrites = (await handlerCount(lock.manager)) - before;
  } catch (err) {
    result.outcome = 'failed';
    result.error = describePveError(err);
    await recordSyncStatus(lock.manager, cluster.id, { at: now, error: result.error }).catch(() => {});
  } finally {
    await client?.close().catch(() => {});
    await lock.release().catch(() => {});
  }
  return finish();
}

/** Syncs every enabled cluster (or the one named), one after the other. */
export async function syncAll(deps: SyncDeps, only?: string): Promise<ClusterSyncResult[]> {
  const names = only !== undefined ? [only] : (await deps.clusters.list()).filter((c) => c.enabled).map((c) => c.name);
  const out: ClusterSyncResult[] = [];
  for (const name of names) out.push(await syncCluster(deps, name));
  return out;
}

/** `sync lab: ok, 120 VMs, changes appeared=3 started=1, 57 rows written, 412 ms` */
export function summaryLine(r: ClusterSyncResult): string {
  const changes = Object.entries(r.changes).map(([k, n]) => `${k}=${n}`).join(' ') || 'none';
  const unreadable = r.unreadableNodes.length ? `, unreadable nodes ${r.unreadableNodes.join(',')}` : '';
  const tail = r.error ? `: ${r.error}` : '';
  if (r.outcome !== 'ok') return `sync ${r.cluster}: ${r.outcome}${tail}`;
  return `sync ${r.cluster}: ok, ${r.vms} VMs, changes ${changes}, ${r.writes} rows written${unreadable}, ${Math.round(r.durationMs)} ms`;
}
