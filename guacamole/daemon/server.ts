/**
 * The TCP listener: accepts sockets, gives each a GuacSession and runs the handshake.
 * `start()` and `stop()` are idempotent; `stop()` ends every session and the listener.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { handleConnection } from './connection.js';
import type { GuacLogger } from './protocol-module.js';
import { defaultRegistry, type ProtocolRegistry } from './registry.js';
import { GuacSession, SessionState, CLIENT_TIMEOUT_MS } from './session.js';
import type { SharedConnection } from './shared-connection.js';

export interface GuacdServerOptions {
  /** Address to bind; 127.0.0.1 by default (guacd's `localhost` may resolve to ::1 only). */
  readonly host?: string;
  /** TCP port; 4822 by default, 0 picks a free one. */
  readonly port?: number;
  readonly logger?: GuacLogger;
  readonly registry?: ProtocolRegistry;
  /** How long the daemon waits for a client instruction (15 s like guacd). */
  readonly clientTimeoutMs?: number;
}

const enum ServerState {
  IDLE = 'IDLE',
  RUNNING = 'RUNNING',
  CLOSING = 'CLOSING',
  CLOSED = 'CLOSED',
}

const silent: GuacLogger = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };

export class GuacdServer {
  readonly #host: string;
  readonly #port: number;
  readonly #logger: GuacLogger;
  readonly #registry: ProtocolRegistry;
  readonly #timeoutMs: number;
  readonly #sessions = new Set<GuacSession>();
  readonly #connections = new Map<string, SharedConnection>();
  #state: ServerState = ServerState.IDLE;
  #server: Server | undefined;
  #starting: Promise<{ port: number }> | undefined;
  #stopping: Promise<void> | undefined;
  #nextSession = 1;

  constructor(options: GuacdServerOptions = {}) {
    this.#host = options.host ?? '127.0.0.1';
    this.#port = options.port ?? 4822;
    this.#logger = options.logger ?? silent;
    this.#registry = options.registry ?? defaultRegistry();
    this.#timeoutMs = options.clientTimeoutMs ?? CLIENT_TIMEOUT_MS;
  }

  /** Sessions that finished the handshake and are still open. */
  sessions(): number {
    let n = 0;
    for (const s of this.#sessions) if (s.state === SessionState.OPEN) n++;
    return n;
  }

  start(): Promise<{ port: number }> {
    if (this.#starting) return this.#starting;
    if (this.#state !== ServerState.IDLE) return Promise.reject(new Error('The guacd server was stopped; create a new one.'));
    this.#starting = new Promise((resolve, reject) => {
      const server = createServer(this.#serverOnConnection);
      this.#server = server;
      const onError = (err: Error): void => {
        this.#state = ServerState.CLOSED;
        reject(err);
      };
      server.once('error', onError);
      server.listen(this.#port, this.#host, () => {
        server.off('error', onError);
        server.on('error', (err) => this.#logger.error(`guacd listener: ${err.message}`));
        this.#state = ServerState.RUNNING;
        const address = server.address();
        const port = typeof address === 'object' && address ? address.port : this.#port;
        this.#logger.info(`guacd listening on ${this.#host}:${port}`);
        resolve({ port });
      });
    });
    return this.#starting;
  }

  stop(): Promise<void> {
    if (this.#stopping) return this.#stopping;
    this.#stopping = (async () => {
      await this.#starting?.catch(() => {});
      this.#state = ServerState.CLOSING;
      const server = this.#server;
      const closed = server?.listening ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
      for (const session of [...this.#sessions]) session.close();
      for (const session of [...this.#sessions]) session.socket.destroy();
      await closed;
      this.#state = ServerState.CLOSED;
      this.#logger.info('guacd stopped');
    })();
    return this.#stopping;
  }

  readonly #serverOnConnection = (socket: Socket): void => {
    if (this.#state !== ServerState.RUNNING) {
      socket.destroy();
      return;
    }
    const id = `@${this.#nextSession++}`;
    const session = new GuacSession(socket, this.#logger, id, (s) => this.#sessions.delete(s), this.#timeoutMs);
    this.#sessions.add(session);
    this.#logger.debug(`session ${id}: accepted ${socket.remoteAddress}:${socket.remotePort}`);
    void handleConnection(session, { registry: this.#registry, connections: this.#connections, logger: this.#logger });
  };
}
