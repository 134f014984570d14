import { randomUUID } from 'node:crypto';
import { loadConfig, requireSecret, Secret, type Config } from '../../src/config/index.js';
import { ClusterRepository, IdentityRepository, migrateUp, openDatabase, type DataSource } from '../../src/db/index.js';
import { createPveClient, type PveClient } from '../../src/pve/index.js';
import { startPveSim, type PveSim, type Scenario } from '../../src/pvesim/index.js';
import type { SyncDeps } from '../../src/sync/index.js';
import { createTestDatabase, type TestDatabase } from './mariadb.js';

/** A real MariaDB database, migrated, with a simulated PVE cluster registered as `lab`. */
export interface SyncFixture {
  db: DataSource;
  testDb: TestDatabase;
  sim: PveSim;
  config: Config;
  clusters: ClusterRepository;
  identities: IdentityRepository;
  deps: SyncDeps;
  /** A second API token (ops@pve!ops) to act on the simulator, so tasks name a user other than sync's. */
  ops: PveClient;
  close(): Promise<void>;
}

export async function createSyncFixture(scenario: Scenario, options: { cluster?: { ownerRule?: string; guestProtocols?: string[]; dhcpSubnet?: string; keaSubnetId?: number }; config?: Record<string, unknown> } = {}): Promise<SyncFixture> {
  const syncSecret = randomUUID();
  const opsSecret = randomUUID();
  const testDb = await createTestDatabase('ecsync');
  const sim = await startPveSim({
    qemu: false,
    authFailDelayMs: 0,
    tokens: [`sync@pve!gw=${syncSecret}`, `ops@pve!ops=${opsSecret}`],
    scenario: {
      ...scenario,
      acls: [
        { path: '/', ugid: 'sync@pve', role: 'Administrator' },
        { path: '/', ugid: 'ops@pve', role: 'Administrator' },
        ...(scenario.acls ?? []),
      ],
    },
  }).catch(async (err: unknown) => {
    await testDb.drop();
    throw err;
  });
  let db: DataSource | undefined;
  try {
    const config = loadConfig({
      env: {},
      overrides: {
        db: { url: testDb.url, poolSize: 4 },
        secrets: { encryptionKey: 'ab'.repeat(32) },
        sync: { goneGraceSeconds: 3600, dhcpGraceSeconds: 3600, perClusterConcurrency: 4 },
        ...(options.config ?? {}),
      },
    });
    db = await openDatabase(config);
    await migrateUp(db);
    const clusters = new ClusterRepository(db, () => requireSecret(config, 'encryptionKey'));
    await clusters.add({ name: 'lab', apiUrl: sim.url, tokenId: 'sync@pve!gw', tokenSecret: syncSecret, caPem: sim.caPem, ...(options.cluster ?? {}) });
    const identities = new IdentityRepository(db);
    const ops = createPveClient({ apiUrl: sim.url, tokenId: 'ops@pve!ops', tokenSecret: new Secret(opsSecret), caPem: sim.caPem });
    const openDb = db;
    return {
      db,
      testDb,
      sim,
      config,
      clusters,
      identities,
      ops,
      deps: { db, clusters, config },
      async close() {
        await ops.close();
        await openDb.destroy();
        await sim.stop();
        await testDb.drop();
      },
    };
  } catch (err) {
    await db?.destroy();
    await sim.stop();
    await testDb.drop();
    throw err;
  }
}
