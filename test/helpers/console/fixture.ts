/**
 * A whole console stack for tests and benchmarks: a migrated throw-away MariaDB database, the PVE simulator
 * (QEMU-backed VMs when asked), the cluster registered with its token and CA, vm rows with their console
 * connections, users with and without READ, the built-in guacd on an ephemeral port and an HTTP server with
 * the tunnel attached. `stop()` undoes all of it (processes by PID, the database dropped).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGuacd, type Guacd } from '../../../guacamole/index.js';
import { loadConfig, Secret } from '../../../src/config/index.js';
import { ConsoleTunnel, sessionUserIdentifier, type ConsoleTunnelOptions } from '../../../src/console/index.js';
import { JobRepository } from '../../../src/db/jobs.js';
import { JobQueue } from '../../../src/jobs/index.js';
import { SESSION_COOKIE } from '../../../src/portal/app.js';
import { createPortalServer } from '../../../src/portal/server.js';
import { wirePortal } from '../../../src/portal/wiring.js';
import { AuditRepository, ClusterRepository, IdentityRepository, migrateUp, openDatabase, type DataSource } from '../../../src/db/index.js';
import { createPveClient } from '../../../src/pve/index.js';
import { startPveSim, type PveSim } from '../../../src/pvesim/index.js';
import { createTestDatabase, type TestDatabase } from '../mariadb.js';

export const PVE_TOKEN_ID = 'root@pam!earcandle';
export const PVE_TOKEN_SECRET = '6a1d2c3b-4e5f-4a7b-8c9d-0e1f2a3b4c5d';

export interface ConsoleFixture {
  db: DataSource;
  sim: PveSim;
  guacd: Guacd;
  guacdPort: number;
  http: Server;
  port: number;
  tunnel: ConsoleTunnel;
  tokenKey: Buffer;
  audit: AuditRepository;
  /** entity ids */
  users: { alice: number; bob: number; admin: number };
  /** EarCandle vm.id by PVE vmid; alice holds READ on all of them. */
  vms: Map<number, { vmId: number; connectionId: number }>;
  tunnelUrl(token: string, query?: string): string;
  stop(): Promise<void>;
}

export interface FixtureOptions {
  qemu: boolean;
  /** VMs to create and start (vmid 100…); default 1. */
  vms?: number;
  tunnel?: Partial<ConsoleTunnelOptions>;
  /** Serve the real portal (login, pages, API, console page) with the tunnel on its HTTP server. */
  portal?: boolean;
}

export async function startConsoleFixture(options: FixtureOptions): Promise<ConsoleFixture> {
  const cleanups: (() => Promise<void> | void)[] = [];
  const stop = async (): Promise<void> => {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch {
        // keep cleaning
      }
    }
  };
  try {
    const testDb: TestDatabase = await createTestDatabase('ecconsole');
    cleanups.push(() => testDb.drop());
    const db = await openDatabase(loadConfig({ env: { EARCANDLE_DB_URL: testDb.url } }));
    cleanups.push(() => db.destroy());
    await migrateUp(db);

    const count = options.vms ?? 1;
    const sim = await startPveSim({ port: 0, nodes: 1, vms: count, qemu: options.qemu, tokens: [`${PVE_TOKEN_ID}=${PVE_TOKEN_SECRET}`], authFailDelayMs: 0 });
    cleanups.push(async () => {
      const pids = sim.qemuPids();
      await sim.stop();
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
    });
    const pve = createPveClient({ apiUrl: sim.url, tokenId: PVE_TOKEN_ID, tokenSecret: new Secret(PVE_TOKEN_SECRET), caPem: sim.caPem });
    const vmids = [...sim.state.vms.keys()].sort((a, b) => a - b).slice(0, count);
    await Promise.all(vmids.map(async (vmid) => pve.waitForTask(await pve.power(sim.state.vms.get(vmid)!.node, vmid, 'start'), { pollMs: 100 })));
    await pve.close();

    const encryptionKey = new Secret(randomBytes(32));
    const clusters = new ClusterRepository(db, () => encryptionKey);
    const cluster = await clusters.add({ name: 'sim', apiUrl: sim.url, tokenId: PVE_TOKEN_ID, tokenSecret: PVE_TOKEN_SECRET, caPem: sim.caPem });
    const identities = new IdentityRepository(db);
    const alice = (await identities.createUser({ name: 'alice', password: 'alice-password-1' })).entityId;
    const bob = (await identities.createUser({ name: 'bob', password: 'bob-password-1' })).entityId;
    const admin = (await identities.createUser({ name: 'root-admin', password: 'admin-password-1', admin: true })).entityId;
    const vms = new Map<number, { vmId: number; connectionId: number }>();
    for (const vmid of vmids) {
      const simVm = sim.state.vms.get(vmid)!;
      const now = new Date();
      const vm = (await db.query(
        "INSERT INTO vm (cluster_id, node, vmid, name, type, status, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, 'qemu', 'running', ?, ?)",
        [cluster.id, simVm.node, vmid, `vm-${vmid}`, now, now],
      )) as { insertId: number };
      const conn = (await db.query("INSERT INTO guacamole_connection (connection_name, protocol) VALUES (?, 'vnc')", [`vm-${vmid} (${vmid})`])) as { insertId: number };
      await db.query(
        "INSERT INTO guacamole_connection_attribute (connection_id, attribute_name, attribute_value) VALUES (?, 'earcandle-vm-id', ?), (?, 'earcandle-kind', 'console')",
        [conn.insertId, String(vm.insertId), conn.insertId],
      );
      await db.query("INSERT INTO guacamole_connection_permission (entity_id, connection_id, permission) VALUES (?, ?, 'READ')", [alice, conn.insertId]);
      vms.set(vmid, { vmId: vm.insertId, connectionId: conn.insertId });
    }

    const guacd = createGuacd({ host: '127.0.0.1', port: 0 });
    const { port: guacdPort } = await guacd.start();
    cleanups.push(() => guacd.stop());

    const tokenKey = randomBytes(32);
    const audit = new AuditRepository(db);
    let http: Server;
    let identify: ConsoleTunnelOptions['identify'];
    if (options.portal) {
      const sessionSecret = randomBytes(24).toString('hex');
      const config = loadConfig({
        env: {
          EARCANDLE_DB_URL: testDb.url,
          EARCANDLE_SECRETS_SESSION_SECRET: sessionSecret,
          EARCANDLE_SECRETS_CONSOLE_TOKEN_KEY: tokenKey.toString('hex'),
          EARCANDLE_SECRETS_ENCRYPTION_KEY: encryptionKey.reveal().toString('hex'),
        },
      });
      const jobs = new JobRepository(db);
      const queue = new JobQueue({ jobs, wake: () => undefined });
      const { deps, sessionStore } = wirePortal({ db, config, jobs, queue, publicUrl: 'http://127.0.0.1' });
      const portal = createPortalServer(deps, { host: '127.0.0.1', port: 0, onClose: () => sessionStore.close() });
      await portal.start();
      cleanups.push(() => portal.stop());
      http = portal.httpServer;
      identify = sessionUserIdentifier({ store: sessionStore, secret: sessionSecret, cookieName: SESSION_COOKIE });
    } else {
      http = createServer((_req, res) => {
        res.writeHead(404).end();
      });
    }
    const tunnel = new ConsoleTunnel({ db, tokenKey, guacd: { host: '127.0.0.1', port: guacdPort }, clusters, audit, ...(identify ? { identify } : {}), ...options.tunnel });
    tunnel.attach(http);
    cleanups.push(() => tunnel.close());
    if (!http.listening) {
      await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
      cleanups.push(
        () =>
          new Promise<void>((resolve) => {
            http.closeAllConnections();
            http.close(() => resolve());
          }),
      );
    }
    const port = (http.address() as AddressInfo).port;
    return {
      db,
      sim,
      guacd,
      guacdPort,
      http,
      port,
      tunnel,
      tokenKey,
      audit,
      users: { alice, bob, admin },
      vms,
      tunnelUrl: (token, query = 'width=1024&height=768&dpi=96') => `ws://127.0.0.1:${port}/tunnel?token=${encodeURIComponent(token)}&${query}`,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
