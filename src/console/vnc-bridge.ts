/**
 * The per-console VNC bridge: PVE's VNC stream on one side (already opened by an `UpstreamOpener`), a
 * loopback RFB endpoint for guacd on the other. The bridge answers PVE's VNC authentication itself with the
 * one-time password, then listens on 127.0.0.1 (ephemeral port) for exactly ONE connection, which it
 * authenticates with a fresh random password of its own; after both security handshakes it pipes bytes both
 * ways unchanged. A second connection is refused (the listener is closed once the first arrives), and the
 * whole bridge dies when either side ends, the accept deadline passes, or `close()` is called.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Secret } from '../config/index.js';
import { ConsoleError } from './errors.js';
import { DownstreamHandshake, RfbHandshakeError, UpstreamHandshake } from './rfb-handshake.js';

export interface VncUpstream {
  /** Bytes to and from the VM's VNC server (PVE's vncwebsocket as a stream, or a plain socket in tests). */
  stream: Duplex;
  /** The password the upstream asks for (PVE's one-time password); undefined when none is expected. */
  password: Secret | undefined;
}

export type UpstreamOpener = () => Promise<VncUpstream>;

export interface VncBridgeOptions {
  open: UpstreamOpener;
  /** Upstream security handshake deadline (PVE allows 10 s to connect). Default 10 s. */
  handshakeTimeoutMs?: number;
  /** How long the endpoint waits for guacd's one connection. Default 15 s. */
  acceptTimeoutMs?: number;
  /** Offer guacd VNC authentication with a fresh password (default) or security None. */
  downstreamAuth?: boolean;
}

/** Where guacd connects; these become the VNC connection settings. */
export interface VncEndpoint {
  host: '127.0.0.1';
  port: number;
  /** The fresh per-bridge password (not PVE's), or undefined with security None. */
  password: string | undefined;
}

export const enum BridgeState {
  Upstream = 'upstream',
  Listening = 'listening',
  Handshake = 'handshake',
  Relaying = 'relaying',
  Closed = 'closed',
}

export type BridgeEnd = 'closed' | 'upstream-ended' | 'client-ended' | 'accept-timeout' | 'client-auth-failed' | 'error';

const HANDSHAKE_TIMEOUT_MS = 10_000;
const ACCEPT_TIMEOUT_MS = 15_000;
const PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

function freshPassword(): string {
  return [...randomBytes(8)].map((b) => PASSWORD_ALPHABET[b % PASSWORD_ALPHABET.length]).join('');
}

export class VncBridge {
  state: BridgeState = BridgeState.Upstream;
  /** Bytes relayed after the handshakes: guacd → VM and VM → guacd. */
  readonly bytes = { up: 0, down: 0 };
  /** Loopback connections turned away because one was already accepted. */
  refused = 0;
  /** Resolves once, with why the bridge ended. */
  readonly ended: Promise<BridgeEnd>;

  #endpoint: VncEndpoint | undefined;
  #upstream: Duplex | undefined;
  #server: Server | undefined;
  #client: Socket | undefined;
  #timer: NodeJS.Timeout | undefined;
  #finish!: (why: BridgeEnd) => void;
  #pending: Buffer[] = [];

  private constructor() {
    this.ended = new Promise((resolve) => (this.#finish = resolve));
  }

  /**
   * Opens the upstream, completes its VNC authentication and starts the loopback endpoint. Rejects with
   * ConsoleError (UPSTREAM_REFUSED, UPSTREAM_UNREACHABLE, BRIDGE_FAILED or the opener's own) and leaves
   * nothing open.
   */
  static async open(options: VncBridgeOptions): Promise<VncBridge> {
    const bridge = new VncBridge();
    try {
      await bridge.#start(options);
      return bridge;
    } catch (err) {
      bridge.close('error');
      throw err;
    }
  }

  get endpoint(): VncEndpoint {
    if (!this.#endpoint) throw new Error('the bridge has no endpoint yet');
    return this.#endpoint;
  }

  /** Ends everything. Harmless when repeated. */
  close(why: BridgeEnd = 'closed'): void {
    if (this.state === BridgeState.Closed) return;
    this.state = BridgeState.Closed;
    clearTimeout(this.#timer);
    this.#server?.close();
    this.#client?.destroy();
    this.#upstream?.destroy();
    this.#pending = [];
    this.#finish(why);
  }

  async #start(options: VncBridgeOptions): Promise<void> {
    const upstream = await options.open();
    this.#upstream = upstream.stream;
    if (this.state === BridgeState.Closed) {
      upstream.stream.destroy();
      return;
    }
    upstream.stream.on('error', () => this.close('error'));
    await this.#authenticateUpstream(upstream, options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS);
    upstream.stream.on('close', () => this.close('upstream-ended'));
    upstream.stream.on('end', () => this.close('upstream-ended'));
    const password = options.downstreamAuth === false ? undefined : freshPassword();
    const server = createServer({ pauseOnConnect: true });
    this.#server = server;
    server.on('connection', (socket) => this.#accept(socket, password));
    server.on('error', () => this.close('error'));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new ConsoleError('BRIDGE_FAILED', 'no loopback port');
    this.#endpoint = { host: '127.0.0.1', port: address.port, password };
    this.state = BridgeState.Listening;
    this.#timer = setTimeout(() => this.close('accept-timeout'), options.acceptTimeoutMs ?? ACCEPT_TIMEOUT_MS).unref();
  }

  /** Runs the client side of the upstream handshake; keeps any early bytes for the relay. */
  #authenticateUpstream(upstream: VncUpstream, timeoutMs: number): Promise<void> {
    const hs = new UpstreamHandshake(upstream.password?.reveal() ?? '');
    const stream = upstream.stream;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new ConsoleError('UPSTREAM_UNREACHABLE', 'VNC handshake timed out')), timeoutMs).unref();
      const cleanup = (): void => {
        clearTimeout(timer);
        stream.off('data', onData);
        stream.off('close', onClose);
      };
      const fail = (err: Error): void => {
        cleanup();
        reject(err);
      };
      const onClose = (): void => fail(new ConsoleError('UPSTREAM_REFUSED', 'the VNC stream closed during the handshake'));
      const onData = (chunk: Buffer): void => {
        let step;
        try {
          step = hs.push(chunk);
        } catch (err) {
          const detail = err instanceof RfbHandshakeError ? err.code : 'handshake error';
          return fail(new ConsoleError('UPSTREAM_REFUSED', detail));
        }
        for (const b of step.out) stream.write(b);
        if (step.rest !== undefined) {
          cleanup();
          stream.pause();
          if (step.rest.length > 0) this.#pending.push(step.rest);
          // Anything PVE sends before guacd arrives waits here.
          stream.on('data', (more: Buffer) => this.#pending.push(more));
          resolve();
        }
      };
      stream.on('data', onData);
      stream.on('close', onClose);
    });
  }

  #accept(socket: Socket, password: string | undefined): void {
    socket.on('error', () => undefined);
    if (this.#client || this.state !== BridgeState.Listening) {
      this.refused++;
      socket.destroy();
      return;
    }
    this.#client = socket;
    this.state = BridgeState.Handshake;
    // One connection only: stop listening, so the next connect is refused by the kernel.
    this.#server?.close();
    clearTimeout(this.#timer);
    socket.setNoDelay(true);
    const hs = new DownstreamHandshake(password === undefined ? {} : { password });
    socket.write(hs.start());
    socket.on('close', () => this.close('client-ended'));
    const onData = (chunk: Buffer): void => {
      let step;
      try {
        step = hs.push(chunk);
      } catch {
        for (const b of hs.failureBytes()) socket.write(b);
        socket.end();
        this.close('client-auth-failed');
        return;
      }
      for (const b of step.out) socket.write(b);
      if (step.rest !== undefined) {
        socket.off('data', onData);
        this.#relay(socket, step.rest);
      }
    };
    socket.on('data', onData);
    socket.resume();
  }

  #relay(socket: Socket, early: Buffer): void {
    const upstream = this.#upstream!;
    this.state = BridgeState.Relaying;
    upstream.removeAllListeners('data');
    for (const b of this.#pending) {
      this.bytes.down += b.length;
      socket.write(b);
    }
    this.#pending = [];
    if (early.length > 0) {
      this.bytes.up += early.length;
      upstream.write(early);
    }
    socket.on('data', (chunk: Buffer) => {
      this.bytes.up += chunk.length;
      if (!upstream.write(chunk)) {
        socket.pause();
        upstream.once('drain', () => socket.resume());
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      this.bytes.down += chunk.length;
      if (!socket.write(chunk)) {
        upstream.pause();
        socket.once('drain', () => upstream.resume());
      }
    });
    upstream.resume();
  }
}
