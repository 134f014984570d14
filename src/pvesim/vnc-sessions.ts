import { connect } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { VncTarget } from './vm-runtime.js';

/** vncproxy waits this long for its one client ([QM]). */
export const VNC_CONNECT_TIMEOUT_MS = 10_000;
/** The VNC password is valid this long (`expire_password +30`). */
export const VNC_PASSWORD_VALID_S = 30;
/** Largest WebSocket payload the proxy accepts ([AE] websocket_proxy). */
const MAX_WS_PAYLOAD = 128 * 1024;

/** Named states of one console session. */
export const enum VncSessionState {
  Waiting = 'waiting',
  Connected = 'connected',
  Closed = 'closed',
}

export interface VncSession {
  readonly node: string;
  readonly port: number;
  readonly vmid: number;
  readonly authid: string;
  readonly target: VncTarget;
  state: VncSessionState;
  /** Ends the vncproxy task (error text or undefined for OK). */
  readonly finish: (error?: string) => void;
  timer: NodeJS.Timeout;
}

/** vncproxy port allocations (5900–5999 per API node) and the WebSocket relay behind vncwebsocket. */
export class VncSessions {
  private readonly sessions = new Map<string, VncSession>();
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_WS_PAYLOAD,
    handleProtocols: (protocols) => (protocols.has('binary') ? 'binary' : ([...protocols][0] ?? false)),
  });

  private key(node: string, port: number): string {
    return `${node}:${port}`;
  }

  /** Reserves a port on `node` for a new session; undefined when all 100 are taken. */
  allocatePort(node: string): number | undefined {
    for (let port = 5900; port <= 5999; port++) if (!this.sessions.has(this.key(node, port))) return port;
    return undefined;
  }

  add(session: Omit<VncSession, 'state' | 'timer'>): void {
    const s = session as VncSession;
    s.state = VncSessionState.Waiting;
    s.timer = setTimeout(() => this.end(s, 'connection timed out'), VNC_CONNECT_TIMEOUT_MS).unref();
    this.sessions.set(this.key(s.node, s.port), s);
  }

  get(node: string, port: number): VncSession | undefined {
    return this.sessions.get(this.key(node, port));
  }

  private end(s: VncSession, error?: string): void {
    if (s.state === VncSessionState.Closed) return;
    s.state = VncSessionState.Closed;
    clearTimeout(s.timer);
    this.sessions.delete(this.key(s.node, s.port));
    s.finish(error);
  }

  /** Claims a waiting session for its one connection and relays the WebSocket to the RFB target. */
  relay(s: VncSession, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    s.state = VncSessionState.Connected;
    clearTimeout(s.timer);
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const tcp = connect(s.target.port, s.target.host);
      tcp.on('data', (d) => ws.send(d, { binary: true }));
      tcp.on('close', () => {
        ws.close();
        this.end(s);
      });
      tcp.on('error', () => tcp.destroy());
      ws.on('message', (d: Buffer | ArrayBuffer | Buffer[]) => {
        tcp.write(Array.isArray(d) ? Buffer.concat(d) : Buffer.from(d as Buffer));
      });
      ws.on('close', () => {
        tcp.destroy();
        this.end(s);
      });
      ws.on('error', () => tcp.destroy());
    });
  }

  closeAll(): void {
    for (const s of [...this.sessions.values()]) this.end(s, 'simulator stopped');
    for (const c of this.wss.clients) c.terminate();
    this.wss.close();
  }
}
