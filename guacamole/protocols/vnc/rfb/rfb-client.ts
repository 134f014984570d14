/**
 * RfbClient: one RFB connection. Owns the socket, the handshake and the parser; turns server messages
 * into RfbClientEvents and RfbClientApi calls into client messages. The byte work is in handshake.ts,
 * parser.ts and encoder.ts; this file only wires them to a socket.
 */
import { EventEmitter } from 'node:events';
import { connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { encode } from './encoder.js';
import { RfbClientError } from './errors.js';
import { Handshake, type ServerInit } from './handshake.js';
import { Encoding, ServerMessageType, type Rectangle, type ServerMessage } from './messages.js';
import { Parser } from './parser.js';
import { pixelFormatForDepth, type PixelFormat } from './pixel-format.js';
import type { RfbClientApi, RfbClientEvents, RfbClientOptions, RfbError } from './rfb-client-types.js';

/** RfbClientEvents as the tuple map EventEmitter<T> wants. */
export type RfbClientEventMap = { [K in keyof RfbClientEvents]: Parameters<RfbClientEvents[K]> };

export const enum RfbClientState {
  IDLE = 'IDLE',
  CONNECTING = 'CONNECTING',
  HANDSHAKING = 'HANDSHAKING',
  OPEN = 'OPEN',
  CLOSED = 'CLOSED',
}

const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;

const ENCODING_NUMBERS: Readonly<Record<NonNullable<RfbClientOptions['encodings']>[number], Encoding>> = {
  tightpng: Encoding.TightPng,
  zrle: Encoding.ZRLE,
  tight: Encoding.Tight,
  hextile: Encoding.Hextile,
  copyrect: Encoding.CopyRect,
  raw: Encoding.Raw,
};

/**
 * ZRLE first: the daemon then re-encodes each frame's changes as one palettised PNG, a third of the bytes
 * QEMU's own Tight PNG images take for the same screen (docs/BENCHMARKS.md). `tightpng` (asked for in the
 * `encodings` parameter) trades those bytes for gateway CPU: the server's PNGs go to the browser as they are.
 */
export const DEFAULT_ENCODINGS = ['zrle', 'tight', 'hextile', 'copyrect', 'raw'] as const;

/** The SetEncodings list: preferred encodings, then CopyRect, Raw and the pseudo-encodings. */
export function encodingList(options: Pick<RfbClientOptions, 'encodings' | 'remoteCursor'>): Encoding[] {
  const preferred = options.encodings ?? DEFAULT_ENCODINGS;
  const list: Encoding[] = [];
  const add = (e: Encoding): void => {
    if (!list.includes(e)) list.push(e);
  };
  for (const name of preferred) add(ENCODING_NUMBERS[name]);
  add(Encoding.CopyRect);
  add(Encoding.Raw);
  add(Encoding.ExtendedDesktopSize);
  add(Encoding.DesktopSize);
  add(Encoding.LastRect);
  if (options.remoteCursor !== false) add(Encoding.Cursor);
  return list;
}

export class RfbClient extends EventEmitter<RfbClientEventMap> implements RfbClientApi {
  state: RfbClientState = RfbClientState.IDLE;
  /** ServerInit, once the handshake is done. */
  serverInit: ServerInit | undefined;
  width = 0;
  height = 0;
  /** Rectangles received per encoding (pixels and fills by their encoding, CopyRect as 1): for metrics and tests. */
  readonly rectCounts = new Map<Encoding, number>();
  private readonly options: RfbClientOptions;
  private readonly pixelFormat: PixelFormat;
  private socket: Duplex | undefined;
  private handshake: Handshake;
  private parser: Parser | undefined;
  private timer: NodeJS.Timeout | undefined;
  private connecting: Promise<void> | undefined;
  private settle: ((err?: RfbClientError) => void) | undefined;
  /** After a resize, the next update request asks for everything. */
  private fullUpdateDue = false;

  constructor(options: RfbClientOptions) {
    super();
    this.options = { ...options };
    this.pixelFormat = pixelFormatForDepth(options.colorDepth);
    this.handshake = new Handshake({ password: options.password });
  }

  /** Connects and runs the handshake; resolves after `ready`, rejects with an RfbError. */
  connect(): Promise<void> {
    if (this.connecting) return this.connecting;
    if (this.state === RfbClientState.CLOSED) return Promise.reject(new RfbClientError('RFB_CLOSED', 'the RFB client was closed'));
    this.connecting = new Promise<void>((resolve, reject) => {
      this.settle = (err) => {
        this.settle = undefined;
        if (err) reject(err);
        else resolve();
      };
    });
    this.state = RfbClientState.CONNECTING;
    const timeoutMs = this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.timer = setTimeout(() => {
      this.fail(new RfbClientError('RFB_TIMEOUT', `no VNC session with ${this.describe()} within ${timeoutMs} ms`));
    }, timeoutMs);
    this.timer.unref();

    if (this.options.socket) {
      this.attach(this.options.socket);
      this.state = RfbClientState.HANDSHAKING;
    } else {
      const socket = netConnect({ host: this.options.host, port: this.options.port });
      socket.setNoDelay(true);
      socket.once('connect', () => {
        if (this.state === RfbClientState.CONNECTING) this.state = RfbClientState.HANDSHAKING;
      });
      this.attach(socket);
    }
    return this.connecting;
  }

  requestUpdate(incremental: boolean): void {
    const full = !incremental || this.fullUpdateDue;
    this.fullUpdateDue = false;
    this.send(encode.framebufferUpdateRequest(!full, 0, 0, this.width, this.height));
  }

  pointer(x: number, y: number, buttonMask: number): void {
    this.send(encode.pointerEvent(x, y, buttonMask));
  }

  key(keysym: number, pressed: boolean): void {
    this.send(encode.keyEvent(keysym, pressed));
  }

  sendClipboard(text: string): void {
    this.send(encode.clientCutText(text));
  }

  /** Ends the connection; idempotent. Emits `close` once, without an error. */
  close(): void {
    this.finish(undefined, new RfbClientError('RFB_CLOSED', 'the RFB client was closed'));
  }

  private describe(): string {
    return this.options.socket ? 'the given stream' : `${this.options.host}:${this.options.port}`;
  }

  private send(b: Buffer): void {
    if (this.state !== RfbClientState.OPEN || !this.socket || this.socket.destroyed) return;
    this.socket.write(b);
  }

  private attach(socket: Duplex): void {
    this.socket = socket;
    socket.on('data', this.socketOnData);
    socket.on('error', this.socketOnError);
    socket.on('close', this.socketOnClose);
    socket.on('end', this.socketOnEnd);
  }

  private detach(): void {
    const socket = this.socket;
    if (!socket) return;
    socket.off('data', this.socketOnData);
    socket.off('error', this.socketOnError);
    socket.off('close', this.socketOnClose);
    socket.off('end', this.socketOnEnd);
    socket.on('error', () => {}); // late errors after destroy are not ours to report
    socket.destroy();
    this.socket = undefined;
  }

  private readonly socketOnData = (chunk: Buffer): void => {
    // Only the byte work is guarded: an exception thrown by an event listener is the listener's, not a protocol error.
    if (this.state === RfbClientState.OPEN) {
      const messages = this.guard(() => this.parser!.push(chunk));
      if (messages) this.dispatch(messages);
      return;
    }
    if (this.state === RfbClientState.CONNECTING) this.state = RfbClientState.HANDSHAKING;
    if (this.state !== RfbClientState.HANDSHAKING) return;
    const out = this.guard(() => this.handshake.push(chunk));
    if (!out) return;
    for (const b of out.send) this.socket?.write(b);
    if (!out.init) return;
    const first = this.guard(() => this.open(out.init!, out.rest));
    if (!first) return;
    this.emit('ready', { width: out.init.width, height: out.init.height, name: out.init.name, version: out.init.version });
    this.settle?.();
    if ((this.state as RfbClientState) === RfbClientState.OPEN) this.dispatch(first);
  };

  /** Runs parser or handshake work; a failure closes the connection with an RfbError and gives undefined. */
  private guard<T>(work: () => T): T | undefined {
    try {
      return work();
    } catch (err) {
      this.fail(err instanceof RfbClientError ? err
        : new RfbClientError('RFB_PROTOCOL_ERROR', `RFB data could not be handled: ${(err as Error).message}`, { cause: err }));
      return undefined;
    }
  }

  private readonly socketOnError = (err: NodeJS.ErrnoException): void => {
    if (this.state === RfbClientState.CONNECTING) {
      this.fail(new RfbClientError('RFB_CONNECT_FAILED', `cannot connect to the VNC server at ${this.describe()}: ${err.code ?? err.message}`, { cause: err }));
    } else {
      this.fail(new RfbClientError('RFB_CLOSED', `the VNC connection failed: ${err.code ?? err.message}`, { cause: err }));
    }
  };

  private readonly socketOnEnd = (): void => {
    this.socketOnClose();
  };

  private readonly socketOnClose = (): void => {
    if (this.state === RfbClientState.CLOSED) return;
    const during = this.state === RfbClientState.OPEN ? '' : ` during the handshake (${this.handshake.state})`;
    this.fail(new RfbClientError('RFB_CLOSED', `the VNC server closed the connection${during}`));
  };

  /** Handshake done: set the pixel format and encodings, ask for the whole screen; parses any bytes that came along. */
  private open(init: ServerInit, rest: Buffer | undefined): ServerMessage[] {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.serverInit = init;
    this.width = init.width;
    this.height = init.height;
    this.parser = new Parser({ pixelFormat: this.pixelFormat, width: init.width, height: init.height });
    this.state = RfbClientState.OPEN;
    this.send(encode.setPixelFormat(this.pixelFormat));
    this.send(encode.setEncodings(encodingList(this.options)));
    this.send(encode.framebufferUpdateRequest(false, 0, 0, init.width, init.height));
    return rest ? this.parser.push(rest) : [];
  }

  private dispatch(messages: ServerMessage[]): void {
    for (const m of messages) {
      if (this.state !== RfbClientState.OPEN) return;
      switch (m.type) {
        case ServerMessageType.FramebufferUpdate:
          for (const r of m.rectangles) this.rectangle(r);
          this.emit('frameEnd');
          break;
        case ServerMessageType.Bell:
          this.emit('bell');
          break;
        case ServerMessageType.ServerCutText:
          this.emit('clipboard', m.text);
          break;
        case ServerMessageType.SetColourMapEntries:
          break; // the parser applies it to later pixels
      }
    }
  }

  private rectangle(r: Rectangle): void {
    const encoding = r.kind === 'copy' ? Encoding.CopyRect : r.kind === 'cursor' ? Encoding.Cursor : r.encoding;
    this.rectCounts.set(encoding, (this.rectCounts.get(encoding) ?? 0) + 1);
    switch (r.kind) {
      case 'pixels':
        this.emit('pixels', r.x, r.y, r.image);
        break;
      case 'fill':
        this.emit('fill', r.x, r.y, r.width, r.height, r.rgba);
        break;
      case 'image':
        this.emit('image', r.x, r.y, r.width, r.height, r.mimetype, r.data);
        break;
      case 'copy':
        this.emit('copy', r.srcX, r.srcY, r.width, r.height, r.x, r.y);
        break;
      case 'cursor':
        this.emit('cursor', r.hotX, r.hotY, r.image);
        break;
      case 'desktopSize':
        if (r.status !== undefined && r.status !== 0) break; // a refused SetDesktopSize: nothing changed
        if (r.width === this.width && r.height === this.height) break;
        this.width = r.width;
        this.height = r.height;
        this.fullUpdateDue = true;
        this.emit('resize', { width: r.width, height: r.height });
        break;
    }
  }

  private fail(err: RfbClientError): void {
    this.finish(err, err);
  }

  /** Closes once: `closeError` goes to the `close` event, `connectError` to a pending connect(). */
  private finish(closeError: RfbClientError | undefined, connectError: RfbClientError): void {
    if (this.state === RfbClientState.CLOSED) return;
    const wasStarted = this.state !== RfbClientState.IDLE;
    this.state = RfbClientState.CLOSED;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.detach();
    this.settle?.(connectError);
    if (wasStarted) this.emit('close', closeError as RfbError | undefined);
  }
}
