/**
 * Trust on first use for guests' SSH host keys, between the tunnel and the in-process guacd.
 *
 * When the tunnel prepares an ssh session, `prepare()` either returns the key recorded for the VM and port
 * (the tunnel passes it to guacd as `host-key`, so a changed key is refused by the daemon with 0x0303) or,
 * when none is recorded, registers an expectation for the exact hostname and port the session will dial.
 * guacd then calls `decide()` (its ssh `onHostKey`) with the key the server presented: the expectation tells
 * which VM and which user it belongs to, the key is recorded with an audit row naming the fingerprint and the
 * user, and the session goes on. A key nobody expects (a connection that did not come through the tunnel,
 * or one whose session already ended) is refused. Two expectations for the same address but different VMs
 * are ambiguous, and refused too.
 */
import type { Logger } from 'pino';
import type { HostKeyInfo } from '../../guacamole/index.js';
import type { AuditRepository, SshHostKeyRecord, SshHostKeyRepository } from '../db/index.js';

export interface HostKeyTrustDeps {
  store: Pick<SshHostKeyRepository, 'find' | 'recordFirstUse'>;
  audit: Pick<AuditRepository, 'record'>;
  logger?: Pick<Logger, 'info' | 'warn'>;
  clock?: () => Date;
}

export interface HostKeySession {
  vmId: number;
  vmName: string;
  /** What guacd dials: the connection's hostname and port. */
  hostname: string;
  port: number;
  entityId: number;
  username: string;
  remoteHost: string | null;
}

export interface PreparedHostKey {
  /** The recorded key (base64 blob) to pass as `host-key`; undefined on first use. */
  recorded: SshHostKeyRecord | undefined;
  /** Drops the first-use expectation (the session ended or never reached the server). Idempotent. */
  release(): void;
}

interface Expectation {
  session: HostKeySession;
  done: boolean;
}

export class HostKeyTrust {
  readonly #deps: HostKeyTrustDeps;
  readonly #expected = new Map<string, Expectation[]>();

  constructor(deps: HostKeyTrustDeps) {
    this.#deps = deps;
  }

  /** Expectations not yet decided or released (tests). */
  pending(): number {
    let n = 0;
    for (const list of this.#expected.values()) n += list.length;
    return n;
  }

  async prepare(session: HostKeySession): Promise<PreparedHostKey> {
    const recorded = await this.#deps.store.find(session.vmId, session.port);
    if (recorded) return { recorded, release: () => undefined };
    const where = addressKey(session.hostname, session.port);
    const e: Expectation = { session, done: false };
    const list = this.#expected.get(where) ?? [];
    list.push(e);
    this.#expected.set(where, list);
    return { recorded: undefined, release: () => this.#drop(where, e) };
  }

  /** guacd's ssh onHostKey: true to go on (the key is now recorded, or equals the recorded one). */
  async decide(info: HostKeyInfo): Promise<boolean> {
    const where = addressKey(info.hostname, info.port);
    const list = this.#expected.get(where) ?? [];
    const first = list[0];
    if (!first) {
      this.#deps.logger?.warn({ hostname: info.hostname, port: info.port, fingerprint: info.fingerprint }, 'ssh host key offered for no console session: refused');
      return false;
    }
    if (list.some((e) => e.session.vmId !== first.session.vmId)) {
      this.#deps.logger?.warn({ hostname: info.hostname, port: info.port }, 'ssh host key: several machines share this address; refused');
      this.#drop(where, first);
      return false;
    }
    this.#drop(where, first);
    const s = first.session;
    const { record, created } = await this.#deps.store.recordFirstUse({
      vmId: s.vmId,
      hostname: s.hostname,
      port: s.port,
      algorithm: info.algorithm,
      key: info.key,
      fingerprint: info.fingerprint,
      acceptedBy: s.username,
      acceptedByEntityId: s.entityId,
      firstSeen: (this.#deps.clock ?? (() => new Date()))(),
    });
    const same = record.key === info.key;
    if (created || !same) {
      await this.#deps.audit.record({
        actor: s.username,
        actorEntityId: s.entityId,
        action: created ? 'ssh.host-key.trust' : 'ssh.host-key.refuse',
        target: `vm:${s.vmId} ${s.vmName}`,
        sourceAddress: s.remoteHost?.slice(0, 64) ?? null,
        result: created ? 'success' : 'denied',
        detail: created
          ? `first use: ${info.algorithm} ${info.fingerprint} at ${s.hostname}:${s.port}`
          : `presented ${info.algorithm} ${info.fingerprint}, recorded ${record.fingerprint} since ${record.firstSeen.toISOString()}`,
      });
    }
    if (created) this.#deps.logger?.info({ vmId: s.vmId, fingerprint: info.fingerprint, user: s.username }, 'ssh host key recorded on first use');
    return same;
  }

  #drop(where: string, e: Expectation): void {
    if (e.done) return;
    e.done = true;
    const list = (this.#expected.get(where) ?? []).filter((x) => x !== e);
    if (list.length > 0) this.#expected.set(where, list);
    else this.#expected.delete(where);
  }
}

function addressKey(hostname: string, port: number): string {
  return `${hostname.toLowerCase()}|${port}`;
}
