import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { createApp, type PortalDeps } from './app.js';

export interface PortalServer {
  readonly app: Express;
  /** The node server: attach a WebSocket server to its 'upgrade' event (the console tunnel). */
  readonly httpServer: Server;
  /** Listens; resolves to the port (useful with port 0). */
  start(): Promise<number>;
  /** Ends live streams, stops listening, closes open connections and the session store. Idempotent. */
  stop(): Promise<void>;
  url(): string;
}

export interface PortalServerOptions {
  host: string;
  port: number;
  /** Called on stop after the server closed (the session store's pool). */
  onClose?: () => Promise<void>;
}

const STATES = { NEW: 'new', LISTENING: 'listening', STOPPED: 'stopped' } as const;

/** The portal's HTTP server: createApp plus a node http.Server; built here, started by the caller. */
export function createPortalServer(deps: PortalDeps, options: PortalServerOptions): PortalServer {
  const app = createApp(deps);
  const httpServer = createServer(app);
  httpServer.keepAliveTimeout = 10_000;
  httpServer.headersTimeout = 15_000;
  httpServer.requestTimeout = 0; // SSE streams stay open
  let state: (typeof STATES)[keyof typeof STATES] = STATES.NEW;
  let port = options.port;
  return {
    app,
    httpServer,
    async start() {
      if (state === STATES.LISTENING) return port;
      await new Promise<void>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(options.port, options.host, () => {
          httpServer.off('error', reject);
          resolve();
        });
      });
      state = STATES.LISTENING;
      port = (httpServer.address() as AddressInfo).port;
      deps.feed.start();
      return port;
    },
    async stop() {
      if (state === STATES.STOPPED) return;
      const wasListening = state === STATES.LISTENING;
      state = STATES.STOPPED;
      deps.feed.stop();
      if (wasListening) {
        const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
        httpServer.closeIdleConnections();
        setTimeout(() => httpServer.closeAllConnections(), 2000).unref();
        await closed;
      }
      await options.onClose?.();
    },
    url() {
      const host = options.host.includes(':') ? `[${options.host}]` : options.host;
      return `http://${host}:${port}`;
    },
  };
}
