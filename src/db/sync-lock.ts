import { createHash } from 'node:crypto';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';

/** A held sync lock: a dedicated connection, on which the run's transaction also happens. */
export interface SyncLock {
  readonly manager: EntityManager;
  readonly queryRunner: QueryRunner;
  release(): Promise<void>;
}

/** MySQL lock names are at most 64 characters. */
export function syncLockName(cluster: string): string {
  const name = `earcandle.sync.${cluster}`;
  return name.length <= 64 ? name : `earcandle.sync.#${createHash('sha256').update(cluster).digest('hex').slice(0, 40)}`;
}

/**
 * GET_LOCK('earcandle.sync.<cluster>', 0) on a connection of its own: null at once when another run (in this
 * process or another gateway) holds it. The lock lives as long as the connection, so a crashed run frees it.
 */
export async function acquireSyncLock(db: DataSource, cluster: string): Promise<SyncLock | null> {
  const qr = db.createQueryRunner();
  await qr.connect();
  try {
    const rows = (await qr.query('SELECT GET_LOCK(?, 0) AS got', [syncLockName(cluster)])) as { got: number | null }[];
    if (Number(rows[0]?.got) !== 1) {
      await qr.release();
      return null;
    }
  } catch (err) {
    await qr.release();
    throw err;
  }
  let released = false;
  return {
    manager: qr.manager,
    queryRunner: qr,
    async release() {
      if (released) return;
      released = true;
      try {
        await qr.query('SELECT RELEASE_LOCK(?)', [syncLockName(cluster)]);
      } finally {
        await qr.release();
      }
    },
  };
}
