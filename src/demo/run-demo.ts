import { createHash } from 'node:crypto';
import { userInfo } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { loadConfig, type Config } from '../config/index.js';
import { ClusterRepository, IdentityRepository, migrateUp, openDatabase, type DataSource } from '../db/index.js';
import { startPveSim, qemuAvailable, type PveSim } from '../pvesim/index.js';
import { syncAll, summaryLine } from '../sync/index.js';
import type { Logger } from '../log.js';
import { startServeProcess } from './serve-process.js';
import { demoScenario, DEMO_ADMIN, DEMO_CLUSTER, DEMO_TOKEN_ID, DEMO_USER } from './demo-scenario.js';
import { loadOrCreateDemoState } from './demo-state.js';
import { startPrivateMariaDb, type PrivateMariaDb } from './private-mariadb.js';

export interface DemoOptions {
  /** Project root: the demo keeps its state in <root>/.earcandle/demo. */
  root: string;
  env: NodeJS.ProcessEnv;
  log: Logger;
  say: (line: string) => void;
}

export interface RunningDemo {
  url: string;
  stop(): Promise<void>;
}

/**
 * Everything `earcandle demo` starts, in order, each part stopped in reverse by `stop()`:
 * database (given or private), migrations, the Proxmox simulator (QEMU-backed VMs on two nodes), the cluster
 * registration, one sync, the demo accounts, and the gateway with its built-in guacd.
 */
export async function runDemo(options: DemoOptions): Promise<RunningDemo> {
  const { root, env, log, say } = options;
  const stateDir = path.join(root, '.earcandle', 'demo');
  const state = loadOrCreateDemoState(stateDir);
  const stops: { name: string; stop: () => Promise<void> }[] = [];
  const stop = async (): Promise<void> => {
    for (const part of stops.splice(0).reverse()) {
      say(`stopping ${part.name}`);
      await part.stop().catch((err: Error) => say(`stopping ${part.name} failed: ${err.message}`));
    }
  };

  try {
    let dbUrl = env.EARCANDLE_DB_URL;
    if (!dbUrl) {
      const mariadb: PrivateMariaDb = await startPrivateMariaDb({
        dataDir: privateDataDir(root),
        port: Number(env.EARCANDLE_DEMO_DB_PORT ?? (await freePort())),
        log: say,
      });
      stops.push({ name: 'MariaDB', stop: () => mariadb.stop() });
      dbUrl = mariadb.url;
    }

    const config: Config = loadConfig({
      env: withoutDemoKeys(env),
      overrides: {
        db: { url: dbUrl },
        http: { port: env.EARCANDLE_HTTP_PORT ?? (await portOr(8080)) },
        guacd: { port: env.EARCANDLE_GUACD_PORT ?? (await portOr(4822)) },
        secrets: { sessionSecret: state.sessionSecret, consoleTokenKey: state.consoleTokenKey, encryptionKey: state.encryptionKey },
        sync: { intervalSeconds: env.EARCANDLE_SYNC_INTERVAL_SECONDS ?? 10 },
      },
    });

    const db: DataSource = await openDatabase(config);
    stops.push({ name: 'database connections', stop: () => db.destroy() });
    const applied = await migrateUp(db);
    say(applied.length > 0 ? `database migrated (${applied.join(', ')})` : 'database is up to date');

    const withQemu = qemuAvailable();
    if (!withQemu) say('qemu-system-x86_64 is not installed: the VMs are simulated in-process (their consoles draw name and state)');
    const sim: PveSim = await startPveSim({ port: 0, qemu: withQemu, scenario: demoScenario(state.pveTokenSecret, withQemu), authFailDelayMs: 0 });
    stops.push({ name: 'Proxmox simulator', stop: () => sim.stop() });
    say(`Proxmox VE simulator on ${sim.url} (2 nodes, ${sim.state.vms.size} VMs${withQemu ? ', QEMU-backed' : ''})`);

    const clusters = new ClusterRepository(db, () => config.secrets.encryptionKey!);
    if (await clusters.findByName(DEMO_CLUSTER)) {
      await clusters.updateConnection(DEMO_CLUSTER, { apiUrl: sim.url, caPem: sim.caPem, tokenId: DEMO_TOKEN_ID, tokenSecret: state.pveTokenSecret });
    } else {
      await clusters.add({ name: DEMO_CLUSTER, apiUrl: sim.url, tokenId: DEMO_TOKEN_ID, tokenSecret: state.pveTokenSecret, caPem: sim.caPem, ownerRule: 'pool' });
    }

    const identities = new IdentityRepository(db);
    if (!(await identities.findUserByName(DEMO_ADMIN))) {
      await identities.createUser({ name: DEMO_ADMIN, password: state.adminPassword, admin: true, email: 'admin@demo.invalid' });
    }
    if (!(await identities.findUserByName(DEMO_USER))) {
      await identities.createUser({ name: DEMO_USER, password: state.userPassword, email: 'demo@demo.invalid' });
    }

    // The gateway syncs every few seconds anyway; the first sync here makes the VMs visible at the first login.
    for (let attempt = 1; attempt <= 5; attempt++) {
      const results = await syncAll({ db, clusters, config, log: (line) => log.debug(line) }, DEMO_CLUSTER);
      for (const r of results) say(summaryLine(r));
      if (results.every((r) => r.outcome === 'ok')) break;
      await new Promise((r) => setTimeout(r, 1000));
    }

    const gateway = await startServeProcess(
      {
        EARCANDLE_DB_URL: dbUrl,
        EARCANDLE_HTTP_PORT: String(config.http.port),
        EARCANDLE_GUACD_PORT: String(config.guacd.port),
        EARCANDLE_SYNC_INTERVAL_SECONDS: String(config.sync.intervalSeconds),
        EARCANDLE_SECRETS_SESSION_SECRET: state.sessionSecret,
        EARCANDLE_SECRETS_CONSOLE_TOKEN_KEY: state.consoleTokenKey,
        EARCANDLE_SECRETS_ENCRYPTION_KEY: state.encryptionKey,
        EARCANDLE_LOG_LEVEL: env.EARCANDLE_LOG_LEVEL ?? 'warn',
      },
      say,
    );
    stops.push({ name: 'gateway', stop: () => gateway.stop() });
    say(`gateway running (pid ${gateway.pid})`);

    return { url: gateway.url, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Printed when everything runs. */
export function demoBanner(url: string, root: string): string {
  const state = loadOrCreateDemoState(path.join(root, '.earcandle', 'demo'));
  return [
    '',
    `  EarCandle demo is running: ${url}`,
    '',
    `  user   ${DEMO_USER.padEnd(8)} password ${state.userPassword}   (owns the VMs in pool "${DEMO_USER}")`,
    `  admin  ${DEMO_ADMIN.padEnd(8)} password ${state.adminPassword}   (sees everything, manages users and grants)`,
    '',
    '  Ctrl-C stops everything the demo started.',
    '',
  ].join('\n');
}

/** MariaDB's own user must reach the data directory: as root, keep it under /var/lib, one per checkout. */
function privateDataDir(root: string): string {
  if (userInfo().uid !== 0) return path.join(root, '.earcandle', 'demo', 'mariadb');
  return path.join('/var/lib/earcandle-demo', createHash('sha256').update(root).digest('hex').slice(0, 12));
}

function withoutDemoKeys(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (!k.startsWith('EARCANDLE_DEMO_')) out[k] = v;
  return out;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** The preferred port when it is free on 127.0.0.1, otherwise any free one. */
async function portOr(preferred: number): Promise<number> {
  const server = net.createServer();
  const ok = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false)).listen(preferred, '127.0.0.1', () => resolve(true));
  });
  if (ok) {
    await new Promise((r) => server.close(r));
    return preferred;
  }
  return freePort();
}
