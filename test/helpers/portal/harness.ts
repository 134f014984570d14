import { loadConfig, type Config } from '../../../src/config/index.js';
import { ClusterRepository, IdentityRepository, migrateUp, openDatabase, type DataSource } from '../../../src/db/index.js';
import { JobRepository } from '../../../src/db/jobs.js';
import { PortalVmRepository } from '../../../src/db/portal-vms.js';
import { JobQueue, JobRunner, PveClients, systemClock, type JobRunnerOptions } from '../../../src/jobs/index.js';
import type { Mailer } from '../../../src/portal/mailer.js';
import { createPortalServer, type PortalServer } from '../../../src/portal/server.js';
import { wirePortal, type PortalWiring } from '../../../src/portal/wiring.js';
import { createTestDatabase, type TestDatabase } from '../mariadb.js';

export const ENCRYPTION_KEY = 'ab'.repeat(32);

export interface HarnessOptions {
  env?: Record<string, string>;
  mailer?: Mailer;
  /** Start a job runner in the same process (power jobs reach the simulator). */
  runner?: JobRunnerOptions | false;
  auth?: PortalWiring['auth'];
  publicUrl?: string;
}

/** A portal on 127.0.0.1:<free port> over a fresh, migrated database; `stop()` removes everything. */
export interface Harness {
  url: string;
  db: DataSource;
  testDb: TestDatabase;
  config: Config;
  server: PortalServer;
  jobs: JobRepository;
  identities: IdentityRepository;
  clusters: ClusterRepository;
  pveClients: PveClients;
  runner: JobRunner | undefined;
  stop(): Promise<void>;
}

export async function startHarness(o: HarnessOptions = {}): Promise<Harness> {
  const testDb = await createTestDatabase('ecportal');
  const config = loadConfig({
    env: {
      EARCANDLE_DB_URL: testDb.url,
      EARCANDLE_SECRETS_SESSION_SECRET: 's'.repeat(40),
      EARCANDLE_SECRETS_ENCRYPTION_KEY: ENCRYPTION_KEY,
      EARCANDLE_GUACD_PORT: '1',
      EARCANDLE_LOG_LEVEL: 'silent',
      ...(o.env ?? {}),
    },
  });
  const db = await openDatabase(config);
  let server: PortalServer | undefined;
  let runner: JobRunner | undefined;
  let pveClients: PveClients | undefined;
  let closeStore: (() => Promise<void>) | undefined;
  const stop = async (): Promise<void> => {
    await server?.stop();
    await runner?.stop();
    await pveClients?.close();
    if (!server) await closeStore?.();
    if (db.isInitialized) await db.destroy();
    await testDb.drop();
  };
  try {
    await migrateUp(db);
    const jobs = new JobRepository(db);
    const identities = new IdentityRepository(db);
    const clusters = new ClusterRepository(db, () => config.secrets.encryptionKey!);
    pveClients = new PveClients(clusters);
    const pc = pveClients;
    let poke = (): void => undefined;
    runner =
      o.runner === false || o.runner === undefined
        ? undefined
        : new JobRunner({ jobs, vms: new PortalVmRepository(db), pve: (id) => pc.get(id), clock: systemClock, onJobChange: () => poke() }, o.runner);
    const r = runner;
    const queue = new JobQueue({ jobs, wake: () => r?.wake() });
    const { deps, sessionStore, feed } = wirePortal({
      db,
      config,
      jobs,
      queue,
      publicUrl: o.publicUrl ?? 'http://127.0.0.1',
      mailer: o.mailer,
      feedPollMs: 200,
      ...(o.auth ? { auth: o.auth } : {}),
    });
    closeStore = () => sessionStore.close();
    poke = () => feed.poke();
    server = createPortalServer(deps, { host: '127.0.0.1', port: 0, onClose: () => sessionStore.close() });
    await server.start();
    runner?.start();
    return { url: server.url(), db, testDb, config, server, jobs, identities, clusters, pveClients, runner, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
