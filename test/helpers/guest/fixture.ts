/**
 * A guest-connection stack for end-to-end tests, wired the way `earcandle serve` wires it: a migrated
 * throw-away MariaDB database, the PVE simulator with one running VM tagged `ssh` and `ssh-port-<port of a
 * real sshd on 127.0.0.1>`, sync (which builds the VM's ssh connection), a portal user granted the VM, the
 * built-in guacd with first-use host keys (`HostKeyTrust.decide` as its ssh onHostKey) and the terminal
 * models it creates, the portal and the tunnel on one HTTP server. Every log line of the portal, the tunnel,
 * the trust and guacd is kept in `logs`. `stop()` undoes all of it (processes by PID, the database dropped,
 * the sshd user removed).
 *
 * The guest's address: the scenario's agent reports 127.0.0.1, and sync deliberately drops loopback and
 * link-local addresses from the agent (a guest's 127.0.0.1 is its own loopback, never reachable from the
 * gateway; src/pve/parse.ts), so the first sync leaves the VM without an address and without an SSH way
 * in. The fixture then stands in for the address source (a DHCP reservation or an earlier agent report)
 * by writing vm.ipv4, and the second sync, which keeps a known address when the agent offers none, makes
 * the ssh connection to 127.0.0.1 on the tag's port.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createGuacd, type Guacd, type GuacLogger, type GuacTerminal } from '../../../guacamole/index.js';
import { loadConfig, requireSecret, type Config } from '../../../src/config/index.js';
import { ConsoleTunnel, HostKeyTrust, sessionUserIdentifier } from '../../../src/console/index.js';
import { AuditRepository, ClusterRepository, IdentityRepository, migrateUp, openDatabase, SshHostKeyRepository, type DataSource } from '../../../src/db/index.js';
import { GrantRepository } from '../../../src/db/grants.js';
import { JobRepository } from '../../../src/db/jobs.js';
import { JobQueue } from '../../../src/jobs/index.js';
import { SESSION_COOKIE } from '../../../src/portal/app.js';
import { createPortalServer } from '../../../src/portal/server.js';
import { wirePortal } from '../../../src/portal/wiring.js';
import { startPveSim, type PveSim } from '../../../src/pvesim/index.js';
import { syncCluster } from '../../../src/sync/index.js';
import { createTestDatabase } from '../mariadb.js';
import { startSshd, type Sshd } from '../sshd.js';

export interface GuestFixture {
  db: DataSource;
  dbName: string;
  sim: PveSim;
  sshd: Sshd;
  port: number;
  base: string;
  /** EarCandle vm.id of the guest. */
  vmId: number;
  vmName: string;
  user: { name: string; password: string; entityId: number };
  admin: { name: string; password: string; entityId: number };
  terminals: GuacTerminal[];
  hostKeys: HostKeyTrust;
  /** Every log line written so far (portal, tunnel, trust, guacd). */
  logs: string[];
  /** What the first sync left: the VM's address and its connection kinds. */
  beforeAddress: { ipv4: string | null; kinds: string[] };
  /** Runs sync once more. */
  sync(): Promise<void>;
  stop(): Promise<void>;
}

const VMID = 100;

export async function startGuestFixture(): Promise<GuestFixture> {
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
    const logs: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logs.push(chunk.toString('utf8'));
        done();
      },
    });
    const log = pino({ level: 'debug' }, sink);
    const line = (level: string) => (message: string) => void logs.push(`guacd ${level}: ${message}`);
    const guacLog: GuacLogger = { info: line('info'), warn: line('warn'), error: line('error'), debug: line('debug') };

    const testDb = await createTestDatabase('ecguest');
    cleanups.push(() => testDb.drop());
    const sshd = await startSshd();
    cleanups.push(() => sshd.stop());

    const tokenSecret = randomUUID();
    const sim = await startPveSim({
      qemu: false,
      authFailDelayMs: 0,
      tokens: [`sync@pve!gw=${tokenSecret}`],
      scenario: {
        nodes: [{ name: 'pve1' }],
        vms: [{ vmid: VMID, node: 'pve1', name: 'guest', status: 'running', tags: ['ssh', `ssh-port-${sshd.port}`], agent: true, ips: ['127.0.0.1'] }],
        acls: [{ path: '/', ugid: 'sync@pve', role: 'Administrator' }],
      },
    });
    cleanups.push(() => sim.stop());

    const sessionSecret = randomBytes(24).toString('hex');
    const tokenKey = randomBytes(32);
    const config: Config = loadConfig({
      env: {
        EARCANDLE_DB_URL: testDb.url,
        EARCANDLE_SECRETS_SESSION_SECRET: sessionSecret,
        EARCANDLE_SECRETS_CONSOLE_TOKEN_KEY: tokenKey.toString('hex'),
        EARCANDLE_SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
      },
    });
    const db = await openDatabase(config);
    cleanups.push(() => db.destroy());
    await migrateUp(db);
    const clusters = new ClusterRepository(db, () => requireSecret(config, 'encryptionKey'));
    await clusters.add({ name: 'lab', apiUrl: sim.url, tokenId: 'sync@pve!gw', tokenSecret, caPem: sim.caPem });
    const sync = async (): Promise<void> => {
      const r = await syncCluster({ db, clusters, config }, 'lab');
      if (r.outcome !== 'ok') throw new Error(`sync failed: ${JSON.stringify(r)}`);
    };
    await sync();
    const vmRow = ((await db.query('SELECT id, name, ipv4 FROM vm WHERE vmid = ?', [VMID])) as { id: number; name: string; ipv4: string | null }[])[0];
    if (!vmRow) throw new Error('sync made no vm row');
    const kinds = ((await db.query(
      "SELECT a.attribute_value AS kind FROM guacamole_connection_attribute a JOIN guacamole_connection_attribute v ON v.connection_id = a.connection_id AND v.attribute_name = 'earcandle-vm-id' AND v.attribute_value = ? WHERE a.attribute_name = 'earcandle-kind'",
      [String(vmRow.id)],
    )) as { kind: string }[]).map((r) => r.kind);
    const beforeAddress = { ipv4: vmRow.ipv4, kinds };
    // The address source (DHCP reservation / earlier agent report) — see the header.
    await db.query("UPDATE vm SET ipv4 = '127.0.0.1' WHERE id = ?", [vmRow.id]);
    await sync();

    const identities = new IdentityRepository(db);
    const user = { name: 'carol', password: 'carol-password-1', entityId: 0 };
    user.entityId = (await identities.createUser({ name: user.name, password: user.password })).entityId;
    const admin = { name: 'root-admin', password: 'admin-password-1', entityId: 0 };
    admin.entityId = (await identities.createUser({ name: admin.name, password: admin.password, admin: true })).entityId;
    await new GrantRepository(db).grant(vmRow.id, user.entityId);

    const audit = new AuditRepository(db);
    const hostKeys = new HostKeyTrust({ store: new SshHostKeyRepository(db), audit, logger: log });
    const terminals: GuacTerminal[] = [];
    const guacd: Guacd = createGuacd({ host: '127.0.0.1', port: 0, logger: guacLog, ssh: { onHostKey: (info) => hostKeys.decide(info), onTerminal: (t) => terminals.push(t) } });
    const { port: guacdPort } = await guacd.start();
    cleanups.push(() => guacd.stop());

    const jobs = new JobRepository(db);
    const queue = new JobQueue({ jobs, wake: () => undefined });
    const { deps, sessionStore } = wirePortal({ db, config, jobs, queue, publicUrl: 'http://127.0.0.1', log });
    const portal = createPortalServer(deps, { host: '127.0.0.1', port: 0, onClose: () => sessionStore.close() });
    await portal.start();
    cleanups.push(() => portal.stop());
    const tunnel = new ConsoleTunnel({
      db,
      tokenKey,
      guacd: { host: '127.0.0.1', port: guacdPort },
      clusters,
      audit,
      identify: sessionUserIdentifier({ store: sessionStore, secret: sessionSecret, cookieName: SESSION_COOKIE }),
      logger: log,
      hostKeys,
    });
    tunnel.attach(portal.httpServer);
    cleanups.push(() => tunnel.close());
    const port = (portal.httpServer.address() as { port: number }).port;
    return {
      db,
      dbName: testDb.name,
      sim,
      sshd,
      port,
      base: `http://127.0.0.1:${port}`,
      vmId: vmRow.id,
      vmName: vmRow.name,
      user,
      admin,
      terminals,
      hostKeys,
      logs,
      beforeAddress,
      sync,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

