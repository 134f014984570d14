import type { Registry } from 'prom-client';
import type { Config } from '../config/index.js';
import { ConsoleTokenService } from '../console/index.js';
import { AuditRepository, ClusterRepository, ConnectionHistory, IdentityRepository, type DataSource } from '../db/index.js';
import { GrantRepository } from '../db/grants.js';
import type { JobRepository } from '../db/jobs.js';
import { PortalAccountRepository } from '../db/portal-accounts.js';
import { PortalVmRepository } from '../db/portal-vms.js';
import { SshHostKeyRepository } from '../db/ssh-host-keys.js';
import { checkCluster, type JobQueue } from '../jobs/index.js';
import type { Logger } from '../log.js';
import { AdminService } from './admin/service.js';
import type { PortalDeps } from './app.js';
import { AuthService } from './auth/service.js';
import { LiveFeed } from './live-feed.js';
import type { Mailer } from './mailer.js';
import { HealthService } from './ops/service.js';
import { PrincipalCache } from './principal-cache.js';
import { CachedSessionStore } from './session-cache.js';
import { createSessionStore, type ClosableStore } from './session-store.js';
import type { ConsolePage } from './vms/router.js';
import { jobView, VmService } from './vms/service.js';

export interface PortalWiring {
  db: DataSource;
  config: Config;
  jobs: JobRepository;
  queue: JobQueue;
  /** Base URL for links in mails (http.publicUrl, else the listening address). */
  publicUrl: string;
  mailer?: Mailer | undefined;
  testCluster?: (clusterName: string) => Promise<string>;
  requestSync?: (clusterId: number) => void;
  forgetCluster?: (clusterId: number) => void;
  metricsRegistries?: Registry[];
  consolePage?: ConsolePage;
  log?: Logger;
  /** Feed poll interval (tests use a short one). */
  feedPollMs?: number;
  sessionMaxAgeMs?: number;
  /** Login lockout settings (tests). */
  auth?: { maxFailures?: number; lockMinutes?: number; ipLimit?: number };
}

/** Repositories → services → PortalDeps, from one open database; plus the session store to close at the end. */
export function wirePortal(w: PortalWiring): { deps: PortalDeps; sessionStore: ClosableStore; feed: LiveFeed } {
  const { db, config } = w;
  const audit = new AuditRepository(db);
  const identities = new IdentityRepository(db);
  const accounts = new PortalAccountRepository(db);
  const vmRepo = new PortalVmRepository(db);
  const key = config.secrets.encryptionKey;
  const clusterRepo = new ClusterRepository(db, () => {
    if (!key) throw new Error('secrets.encryptionKey is not configured');
    return key;
  });
  const clusters = key ? clusterRepo : undefined;
  const vms = new VmService({ vms: vmRepo, jobs: w.jobs, queue: w.queue, audit });
  // Accounts (not grants) are remembered for at most 2 s; every change through the portal clears them.
  const principals = new PrincipalCache();
  const auth = new AuthService(
    { accounts, identities, audit, mailer: w.mailer, principals },
    {
      registrationEnabled: config.registration.enabled,
      requireApproval: config.registration.requireApproval,
      publicUrl: w.publicUrl.replace(/\/+$/, ''),
      ...(w.auth ?? {}),
    },
  );
  const clusterList = () => clusterRepo.list();
  const admin = new AdminService({
    identities,
    accounts,
    grants: new GrantRepository(db),
    hostKeys: new SshHostKeyRepository(db),
    sessions: new ConnectionHistory(db),
    vms: vmRepo,
    audit,
    clusters,
    clusterList,
    testCluster: w.testCluster ?? (async (name) => checkCluster(await clusterRepo.credentials(name))),
    changed: () => principals.clear(),
    ...(w.requestSync ? { requestSync: w.requestSync } : {}),
    ...(w.forgetCluster ? { forgetCluster: w.forgetCluster } : {}),
  });
  const health = new HealthService({
    pingDatabase: async () => {
      await db.query('SELECT 1');
    },
    clusters: clusterList,
    guacd: { host: config.guacd.host, port: config.guacd.port },
    staleAfterMs: Math.max(10 * 60_000, config.sync.intervalSeconds * 3000),
  });
  const feed = new LiveFeed(
    {
      visibleIds: (user) => vms.visibleIds(user),
      views: (ids) => vms.views(ids),
      jobsChangedSince: async (since) => (await w.jobs.changedSince(since)).map(jobView),
    },
    w.feedPollMs === undefined ? {} : { pollMs: w.feedPollMs },
  );
  const maxAge = w.sessionMaxAgeMs ?? 12 * 3600_000;
  // Every request reads its session: from memory for up to 5 s (write-through, so only another process's
  // change waits that long; session-cache.ts), else from the database through as many connections as the
  // main pool (db.poolSize). The session names the account; whether it is still active, still an
  // administrator, and which VMs it may use is checked apart (principal-cache.ts, the permission tables).
  const sessionStore = new CachedSessionStore(createSessionStore(config.db.url.reveal(), maxAge, config.db.poolSize), { ttlMs: 5000 });
  const sessionSecret = config.secrets.sessionSecret;
  if (!sessionSecret) throw new Error('secrets.sessionSecret (EARCANDLE_SECRETS_SESSION_SECRET) is missing: the portal needs it to sign session cookies');
  const deps: PortalDeps = {
    services: { auth, vms, admin, health },
    feed,
    sessionStore,
    sessionSecret,
    secureCookies: config.http.secureCookies,
    trustProxy: config.http.trustProxy,
    sessionMaxAgeMs: maxAge,
    ...(w.metricsRegistries ? { metricsRegistries: w.metricsRegistries } : {}),
    ...(w.consolePage ? { consolePage: w.consolePage } : {}),
    // Console tokens need secrets.consoleTokenKey; without it the console-token route is absent.
    ...(config.secrets.consoleTokenKey ? { consoleTokens: new ConsoleTokenService({ db, tokenKey: config.secrets.consoleTokenKey.reveal() }) } : {}),
    ...(w.log ? { log: w.log } : {}),
  };
  return { deps, sessionStore, feed };
}
