import { connect } from 'node:net';
import type { ClusterRecord } from '../../db/index.js';

export interface HealthDeps {
  pingDatabase(): Promise<void>;
  clusters(): Promise<ClusterRecord[]>;
  guacd: { host: string; port: number };
  /** A cluster whose last good sync is older than this is reported stale. */
  staleAfterMs?: number;
}

export interface HealthReport {
  ok: boolean;
  database: { ok: boolean; error?: string };
  guacd: { ok: boolean; address: string; error?: string };
  clusters: { name: string; enabled: boolean; ok: boolean; lastSyncAt: Date | null; lastSyncOkAt: Date | null; error: string | null }[];
}

/** /healthz: can we reach the database, is guacd listening, when did each cluster last sync. */
export class HealthService {
  constructor(private readonly deps: HealthDeps) {}

  async check(): Promise<HealthReport> {
    const database = await this.deps.pingDatabase().then(
      () => ({ ok: true }),
      () => ({ ok: false, error: 'the database does not answer' }),
    );
    const address = `${this.deps.guacd.host}:${this.deps.guacd.port}`;
    const guacd = await tcpReachable(this.deps.guacd.host, this.deps.guacd.port, 1000).then(
      () => ({ ok: true, address }),
      (err: NodeJS.ErrnoException) => ({ ok: false, address, error: err.code ?? 'unreachable' }),
    );
    const stale = this.deps.staleAfterMs ?? 10 * 60_000;
    const clusters = database.ok
      ? (await this.deps.clusters().catch(() => [])).map((c) => ({
          name: c.name,
          enabled: c.enabled,
          ok: !c.enabled || (c.lastSyncOkAt !== null && Date.now() - c.lastSyncOkAt.getTime() < stale && c.lastSyncError === null),
          lastSyncAt: c.lastSyncAt,
          lastSyncOkAt: c.lastSyncOkAt,
          error: c.lastSyncError,
        }))
      : [];
    return { ok: database.ok && guacd.ok && clusters.every((c) => c.ok), database, guacd, clusters };
  }
}

function tcpReachable(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
