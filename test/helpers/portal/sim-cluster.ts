import { randomUUID } from 'node:crypto';
import type { ClusterRepository } from '../../../src/db/index.js';
import { startPveSim, type PveSim, type PveSimOptions } from '../../../src/pvesim/index.js';

export const TOKEN_ID = 'root@pam!earcandle';

/** A simulator with one API token, registered as a cluster in the database. */
export async function simCluster(clusters: ClusterRepository, options: PveSimOptions, name = 'sim'): Promise<{ sim: PveSim; clusterId: number; secret: string }> {
  const secret = randomUUID();
  const sim = await startPveSim({ port: 0, authFailDelayMs: 0, ...options, tokens: [`${TOKEN_ID}=${secret}`] });
  try {
    const c = await clusters.add({ name, apiUrl: sim.url, tokenId: TOKEN_ID, tokenSecret: secret, caPem: sim.caPem });
    return { sim, clusterId: c.id, secret };
  } catch (err) {
    await sim.stop();
    throw err;
  }
}

/** Polls `probe` until it returns a value (bounded: throws after `limitMs`). */
export async function eventually<T>(probe: () => Promise<T | undefined | false>, limitMs = 20_000, stepMs = 50): Promise<T> {
  const until = Date.now() + limitMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`condition not reached within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
