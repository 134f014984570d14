/**
 * The console tunnel: guacamole-lite 1.2.0 on `/tunnel`, sharing the portal's HTTP server.
 *
 * The seam (guacd-protocol.md §11 bugs 2 and 6, without forking the library): guacamole-lite runs with
 * `noServer`, and this module owns the HTTP `upgrade` event for its path only. At upgrade time it does the
 * asynchronous work guacamole-lite's synchronous settings callback cannot: token, replay, session user,
 * permission and VM checks (`admit`), then the PVE bridge (`prepareSession`). Only a fully admitted socket is
 * handed to guacamole-lite, and its synchronous `processConnectionSettings` just picks the prepared settings
 * by the token's single-use id. A refused request gets a WebSocket that carries one Guacamole `error`
 * instruction and closes with the status as its reason, plus an audit row; guacamole-lite and guacd never
 * see it. Both kinds of socket speak permessage-deflate when the browser offers it (TUNNEL_WEBSOCKET_OPTIONS).
 * guacamole-lite's own logging is kept at ERRORS (it logs every instruction, passwords included, at
 * DEBUG) and routed to our logger; its SIGTERM/SIGINT listeners are removed.
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import GuacamoleLite from 'guacamole-lite';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type WebSocket from 'ws';
import { instruction } from '../../guacamole/index.js';
import { ConnectionHistory, ConsoleAccess, TokenUseLedger, type AuditRepository, type ClusterRepository } from '../db/index.js';
import { createPveClient } from '../pve/index.js';
import { admit, type Admission } from './admission.js';
import { ConsoleError } from './errors.js';
import { openPveVnc } from './pve-vnc.js';
import { prepareSession, type PreparedSession } from './session-setup.js';
import type { HostKeyTrust } from './host-key-trust.js';
import type { ConsoleMetrics } from './metrics.js';
import { stripCredentials, tokenIdOf, type ConsoleClaims } from './token.js';
import { TUNNEL_WEBSOCKET_OPTIONS } from './tunnel-websocket.js';
import type { VncUpstream } from './vnc-bridge.js';

export const TUNNEL_PATH = '/tunnel';

export interface ConsoleTunnelOptions {
  db: DataSource;
  /** secrets.consoleTokenKey, 32 bytes. */
  tokenKey: Buffer;
  /** Where guacd listens (the built-in daemon by default). */
  guacd: { host: string; port: number };
  clusters: Pick<ClusterRepository, 'credentials'>;
  audit: Pick<AuditRepository, 'record'>;
  path?: string;
  /**
   * The portal session's user for an upgrade request (entity id), or null without a session. When given, a
   * token presented from another user's browser is refused (TOKEN_WRONG_USER).
   */
  identify?: (req: IncomingMessage) => Promise<number | null>;
  /** The client's address for history and audit (honour X-Forwarded-For only behind a trusted proxy). */
  remoteAddress?: (req: IncomingMessage) => string | null;
  logger?: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
  /** Replaces the PVE console opener (benchmarks point it elsewhere). */
  openUpstream?: (admission: Admission) => Promise<VncUpstream>;
  /** How long a bridge waits for guacd's connection. */
  acceptTimeoutMs?: number;
  /**
   * SSH host keys trusted on first use; pass the same object's `decide` to the in-process guacd as
   * `ssh.onHostKey`. Absent: recorded keys are not consulted and guacd decides on its own.
   */
  hostKeys?: Pick<HostKeyTrust, 'prepare'>;
  /** Sessions open, opened, refused and their length for /metrics. */
  metrics?: ConsoleMetrics;
  clock?: () => number;
}

interface LiveSession {
  admission: Admission;
  prepared: PreparedSession;
  remoteHost: string | null;
  history: Promise<number | undefined> | undefined;
  ended: boolean;
  /** performance.now() at admission. */
  admittedAt: number;
}

const LITE_LOG_ERRORS = 10;

export class ConsoleTunnel {
  readonly path: string;
  readonly #opts: ConsoleTunnelOptions;
  readonly #lite: GuacamoleLite;
  readonly #access: ConsoleAccess;
  readonly #ledger: TokenUseLedger;
  readonly #history: ConnectionHistory;
  /** Admitted, not yet picked up by guacamole-lite's settings callback; by token id. */
  readonly #prepared = new Map<string, LiveSession>();
  readonly #live = new Set<LiveSession>();
  readonly #attached = new Map<HttpServer, (req: IncomingMessage, socket: Duplex, head: Buffer) => void>();
  #closed = false;
  /** Refusals so far, by error code (tests and metrics). */
  readonly refusals = new Map<string, number>();

  constructor(options: ConsoleTunnelOptions) {
    if (options.tokenKey.length !== 32) throw new RangeError('the console token key must be 32 bytes');
    this.#opts = options;
    this.path = options.path ?? TUNNEL_PATH;
    this.#access = new ConsoleAccess(options.db);
    this.#ledger = new TokenUseLedger(options.db);
    this.#history = new ConnectionHistory(options.db);
    options.metrics?.countOpenSessions(() => this.sessions());
    const log = options.logger;
    this.#lite = new GuacamoleLite(
      { noServer: true, port: undefined, ...TUNNEL_WEBSOCKET_OPTIONS },
      { host: options.guacd.host, port: options.guacd.port },
      {
        crypt: { cypher: 'AES-256-CBC', key: options.tokenKey },
        log: {
          level: LITE_LOG_ERRORS,
          stdLog: (...args: unknown[]) => log?.debug({ component: 'guacamole-lite' }, args.map(String).join(' ')),
          errorLog: (...args: unknown[]) => log?.warn({ component: 'guacamole-lite' }, args.map(String).join(' ')),
        },
      },
      { processConnectionSettings: (settings, callback) => this.#pickSettings(settings, callback) },
    );
    // The app owns shutdown; guacamole-lite's close() does not exit and would linger on SIGTERM.
    if (this.#lite.sigTermHandler) process.removeListener('SIGTERM', this.#lite.sigTermHandler);
    if (this.#lite.sigIntHandler) process.removeListener('SIGINT', this.#lite.sigIntHandler);
    this.#lite.sigTermHandler = null;
    this.#lite.sigIntHandler = null;
    this.#lite.on('open', (conn: GuacamoleLite.ClientConnection) => this.#onOpen(conn));
    // guacamole-lite removes every 'close' listener of a WebSocket it closes itself (guacd ended the session:
    // a refused guest login, an unreachable guest), so the session is also ended from its own close event.
    this.#lite.on('close', (conn: GuacamoleLite.ClientConnection) => this.#onLiteClose(conn));
    this.#lite.on('error', () => undefined);
  }

  /** Sessions admitted and not yet ended. */
  sessions(): number {
    return this.#live.size;
  }

  /** Listens for WebSocket upgrades to `path` on this server; other paths are left to other listeners. */
  attach(server: HttpServer): void {
    if (this.#attached.has(server)) return;
    const listener = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
      this.handleUpgrade(req, socket, head);
    };
    this.#attached.set(server, listener);
    server.on('upgrade', listener);
  }

  /** Takes the upgrade if it is for the tunnel path; returns false (touching nothing) otherwise. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', 'http://tunnel.invalid').pathname;
    } catch {
      return false;
    }
    if (pathname !== this.path) return false;
    socket.on('error', () => undefined);
    if (this.#closed) {
      socket.destroy();
      return true;
    }
    void this.#upgrade(req, socket, head);
    return true;
  }

  /** Ends every session, detaches from the servers. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const [server, listener] of this.#attached) server.off('upgrade', listener);
    this.#attached.clear();
    for (const s of this.#prepared.values()) s.prepared.close();
    this.#prepared.clear();
    this.#lite.close();
    for (const ws of this.#lite.webSocketServer.clients) ws.terminate();
    await Promise.all([...this.#live].map((s) => this.#end(s)));
  }

  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const remoteHost = this.#opts.remoteAddress?.(req) ?? req.socket.remoteAddress ?? null;
    let claims: ConsoleClaims | undefined;
    let session: LiveSession | undefined;
    try {
      const token = new URL(req.url ?? '/', 'http://tunnel.invalid').searchParams.get('token');
      const sessionUser = this.#opts.identify ? await this.#opts.identify(req) : undefined;
      const admission = await admit(
        { tokenKey: this.#opts.tokenKey, access: this.#access, ledger: this.#ledger, ...(this.#opts.clock ? { clock: this.#opts.clock } : {}) },
        token,
        sessionUser,
        (c) => (claims = c),
      );
      const prepared = await prepareSession(
        {
          openUpstream: this.#opts.openUpstream ?? ((a) => this.#openPve(a)),
          parameters: (id) => this.#access.parameters(id),
          ...(this.#opts.acceptTimeoutMs ? { acceptTimeoutMs: this.#opts.acceptTimeoutMs } : {}),
          ...(this.#opts.hostKeys ? { hostKeys: this.#opts.hostKeys } : {}),
          remoteHost,
        },
        admission,
      );
      session = { admission, prepared, remoteHost, history: undefined, ended: false, admittedAt: performance.now() };
      if (this.#closed || socket.destroyed) {
        prepared.close();
        socket.destroy();
        return;
      }
    } catch (err) {
      const error = err instanceof ConsoleError ? err : new ConsoleError('BRIDGE_FAILED', 'unexpected error');
      if (!(err instanceof ConsoleError)) this.#opts.logger?.error({ err }, 'console: unexpected failure while opening');
      this.refusals.set(error.code, (this.refusals.get(error.code) ?? 0) + 1);
      this.#opts.metrics?.refused(error.code);
      await this.#audit(claims, remoteHost, error);
      this.#refuse(req, socket, head, error);
      return;
    }
    const s = session;
    const jti = s.admission.claims.tokenId.toString('base64url');
    this.#live.add(s);
    this.#opts.metrics?.opened(s.admission.claims.kind);
    s.prepared.bridge?.ended.then(() => undefined, () => undefined);
    const wss = this.#lite.webSocketServer;
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      ws.on('close', () => void this.#end(s));
      ws.on('error', () => undefined);
      // The settings callback runs synchronously inside this emit (guacamole-lite constructs the client
      // connection after one await of a synchronous lookup), so the entry below is present when it looks.
      this.#prepared.set(jti, s);
      wss.emit('connection', ws, req);
    });
    void this.#audit(claims, remoteHost, undefined);
  }

  /** guacamole-lite's synchronous settings callback: the prepared settings of an admitted token, or refusal. */
  #pickSettings(settings: Record<string, unknown>, callback: (err: Error | undefined, settings?: Record<string, unknown>) => void): void {
    const jti = tokenIdOf(settings);
    const s = jti === undefined ? undefined : this.#prepared.get(jti);
    if (!s || jti === undefined) {
      callback(new Error('console session was not admitted'));
      return;
    }
    this.#prepared.delete(jti);
    stripCredentials(settings);
    const connection = (settings.connection ?? {}) as Record<string, unknown>;
    settings.connection = { ...connection, ...s.prepared.settings };
    callback(undefined, settings);
  }

  #onOpen(conn: GuacamoleLite.ClientConnection): void {
    const jti = tokenIdOf(conn.connectionSettings);
    const s = [...this.#live].find((x) => x.admission.claims.tokenId.toString('base64url') === jti);
    if (!s || s.ended || s.history) return;
    const a = s.admission;
    s.history = this.#history
      .start({ userId: a.user.userId, username: a.user.username, remoteHost: s.remoteHost, connectionId: a.connection.connectionId, connectionName: a.connection.name })
      .catch((err: unknown) => {
        this.#opts.logger?.error({ err }, 'console: history row not written');
        return undefined;
      });
  }

  #onLiteClose(conn: GuacamoleLite.ClientConnection): void {
    const jti = tokenIdOf(conn.connectionSettings);
    const s = [...this.#live].find((x) => x.admission.claims.tokenId.toString('base64url') === jti);
    if (s) void this.#end(s);
  }

  async #end(s: LiveSession): Promise<void> {
    if (s.ended) return;
    s.ended = true;
    this.#opts.metrics?.ended(s.admission.claims.kind, (performance.now() - s.admittedAt) / 1000);
    s.prepared.close();
    this.#prepared.delete(s.admission.claims.tokenId.toString('base64url'));
    const id = await s.history;
    if (id !== undefined) {
      await this.#history.end(id).catch((err: unknown) => this.#opts.logger?.error({ err }, 'console: history end not written'));
    }
    this.#live.delete(s);
  }

  #refuse(req: IncomingMessage, socket: Duplex, head: Buffer, error: ConsoleError): void {
    if (socket.destroyed) return;
    try {
      this.#lite.webSocketServer.handleUpgrade(req, socket, head, (ws: WebSocket) => {
        ws.on('error', () => undefined);
        ws.send(instruction('error', error.userMessage, error.status), () => {
          // Guacamole's WebSocketTunnel reads the close reason as the status code.
          ws.close(error.status >= 0x0300 ? 1008 : 1011, String(error.status));
        });
      });
    } catch {
      socket.destroy();
    }
  }

  async #audit(claims: ConsoleClaims | undefined, remoteHost: string | null, error: ConsoleError | undefined): Promise<void> {
    try {
      await this.#opts.audit.record({
        actorEntityId: claims?.entityId ?? null,
        action: error ? 'console.refused' : 'console.open',
        target: claims ? `vm:${claims.vmId}:${claims.kind}` : null,
        sourceAddress: remoteHost?.slice(0, 64) ?? null,
        result: error ? (error.status >= 0x0300 ? 'denied' : 'failure') : 'success',
        detail: error ? `${error.code}: ${error.message}` : null,
      });
    } catch (err) {
      this.#opts.logger?.error({ err }, 'console: audit row not written');
    }
  }

  async #openPve(a: Admission): Promise<VncUpstream> {
    let creds;
    try {
      creds = await this.#opts.clusters.credentials(a.vm.clusterName);
    } catch {
      throw new ConsoleError('UPSTREAM_REFUSED', 'cluster not configured');
    }
    if (!creds.enabled) throw new ConsoleError('UPSTREAM_REFUSED', 'cluster disabled');
    const pve = createPveClient({ apiUrl: creds.apiUrl, tokenId: creds.tokenId, tokenSecret: creds.tokenSecret, caPem: creds.caPem });
    try {
      return await openPveVnc({ pve, caPem: creds.caPem, node: a.vm.node, vmid: a.vm.vmid });
    } finally {
      void pve.close();
    }
  }
}
