import type { Config } from '../config/index.js';
import { requireSecret } from '../config/index.js';
import { AuditRepository, ClusterRepository, migrationStatus, openDatabase, SshHostKeyRepository } from '../db/index.js';
import { JobRepository } from '../db/jobs.js';
import { PortalVmRepository } from '../db/portal-vms.js';
import { JobQueue, JobRunner, PveClients, systemClock } from '../jobs/index.js';
import type { Logger } from '../log.js';
import { createSmtpMailer } from '../portal/mailer.js';
import { createPortalServer } from '../portal/server.js';
import { wirePortal } from '../portal/wiring.js';
import { SESSION_COOKIE } from '../portal/app.js';
import { createGuacd } from '../../guacamole/index.js';
import { SyncMetrics, SyncScheduler } from '../sync/index.js';
import { ConsoleMetrics, ConsoleTunnel, HostKeyTrust, sessionUserIdentifier } from '../console/index.js';
import { CliError, ExitCode } from './errors.js';

export interface Gateway {
  url: string;
  /** Stops every part in the reverse order of starting. Idempotent. */
  stop(): Promise<void>;
}

interface Part {
  name: string;
  stop(): Promise<void> | void;
}

/**
 * The whole gateway in one process: database, built-in guacd (guacd.builtin), sync scheduler, job runner, the
 * portal's HTTP server and the console tunnel on it. A failure while starting stops what had started.
 */
export async function startGateway(config: Config, log: Logger): Promise<Gateway> {
  const sessionSecret = requireSecret(config, 'sessionSecret');
  const started: Part[] = [];
  const stop = async (): Promise<void> => {
    for (const part of started.splice(0).reverse()) {
      try {
        await part.stop();
      } catch (err) {
        log.warn({ err, part: part.name }, 'stopping failed');
      }
    }
  };
  try {
    const db = await openDatabase(config);
    started.push({ name: 'database', stop: () => db.destroy() });
    const status = await migrationStatus(db);
    if (status.pending.length > 0) {
      throw new CliError(`the database needs migrating first (${status.pending.length} pending): run \`earcandle migrate\``, ExitCode.TempFail);
    }
    const audit = new AuditRepository(db);

    // Guests' SSH host keys, trusted on first use: the tunnel records what to expect, the in-process guacd asks
    // it about every key it has no `host-key` for.
    const hostKeys = new HostKeyTrust({ store: new SshHostKeyRepository(db), audit, logger: log });
    const consoleMetrics = new ConsoleMetrics();
    if (config.guacd.builtin) {
      const guacd = createGuacd({ host: config.guacd.host, port: config.guacd.port, ssh: { onHostKey: (info) => hostKeys.decide(info) } });
      consoleMetrics.countGuacdSessions(() => guacd.sessions());
      await guacd.start().catch((err: NodeJS.ErrnoException) => {
        throw new CliError(`guacd cannot listen on ${config.guacd.host}:${config.guacd.port}: ${err.code ?? err.message}`, ExitCode.Unavailable);
      });
      started.push({ name: 'guacd', stop: () => guacd.stop() });
    }

    const clusters = new ClusterRepository(db, () => requireSecret(config, 'encryptionKey'));
    const pveClients = new PveClients(clusters);
    started.push({ name: 'pve clients', stop: () => pveClients.close() });
    const syncMetrics = new SyncMetrics();
    const scheduler = new SyncScheduler({ db, clusters, config, metrics: syncMetrics, log: (line) => log.info(line) });
    scheduler.start();
    started.push({ name: 'sync', stop: () => scheduler.stop() });
    const requestSync = (clusterId: number): void => {
      clusters.require(clusterId).then((c) => scheduler.requestSync(c.name), () => undefined);
    };

    const jobs = new JobRepository(db);
    let poke = (): void => undefined;
    const runner = new JobRunner({
      jobs,
      vms: new PortalVmRepository(db),
      pve: (id) => pveClients.get(id),
      clock: systemClock,
      onJobChange: () => poke(),
      requestSync,
      log,
    });
    const queue = new JobQueue({ jobs, wake: () => runner.wake() });

    const mailer = config.mail.smtpUrl ? createSmtpMailer(config.mail.smtpUrl.reveal(), config.mail.from) : undefined;
    if (mailer) started.push({ name: 'mailer', stop: () => mailer.close() });
    const { deps, sessionStore, feed } = wirePortal({
      db,
      config: { ...config, secrets: { ...config.secrets, sessionSecret } },
      jobs,
      queue,
      publicUrl: config.http.publicUrl ?? listeningUrl(config),
      mailer,
      log,
      forgetCluster: (id) => void pveClients.forget(id),
      requestSync,
      metricsRegistries: [syncMetrics.registry, consoleMetrics.registry],
    });
    poke = () => feed.poke();
    const server = createPortalServer(deps, { host: config.http.bind, port: config.http.port, onClose: () => sessionStore.close() });

    // The console tunnel (/tunnel) shares the portal's HTTP server; a token is only honoured from its owner's session.
    let tunnel: ConsoleTunnel | undefined;
    if (config.secrets.consoleTokenKey) {
      tunnel = new ConsoleTunnel({
        db,
        tokenKey: config.secrets.consoleTokenKey.reveal(),
        guacd: { host: config.guacd.host, port: config.guacd.port },
        clusters,
        audit,
        identify: sessionUserIdentifier({ store: sessionStore, secret: sessionSecret.reveal(), cookieName: SESSION_COOKIE }),
        logger: log,
        metrics: consoleMetrics,
        ...(config.guacd.builtin ? { hostKeys } : {}),
      });
      tunnel.attach(server.httpServer);
    } else {
      log.warn('secrets.consoleTokenKey is not set: browser consoles are off');
    }

    runner.start();
    started.push({ name: 'job runner', stop: () => runner.stop() });
    await server.start().catch((err: NodeJS.ErrnoException) => {
      throw new CliError(`cannot listen on ${config.http.bind}:${config.http.port}: ${err.code ?? err.message}`, ExitCode.Unavailable);
    });
    started.push({ name: 'portal', stop: () => server.stop() });
    // Stopped before the portal: open consoles end first.
    if (tunnel) started.push({ name: 'console tunnel', stop: () => tunnel.close() });
    return { url: server.url(), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function listeningUrl(config: Config): string {
  const host = config.http.bind.includes(':') ? `[${config.http.bind}]` : config.http.bind;
  return `http://${host}:${config.http.port}`;
}
