import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { DEFAULT_PIXEL_FORMAT, Framebuffer, decodePixelFormat, encodePixelFormat, encodeRaw, type PixelFormat } from './framebuffer.js';
import { vncAuthResponse } from './vnc-auth.js';

/** Handshake and session states of one RFB connection. */
const enum RfbState {
  Version,
  Security,
  Auth,
  ClientInit,
  Normal,
  Closed,
}

const WIDTH = 480;
const HEIGHT = 160;

/** What the console shows: supplied live by the VM. */
export type ScreenSource = () => { readonly lines: readonly string[]; readonly running: boolean };

/**
 * A tiny RFB 3.8 server with VNC authentication (security type 2) that draws the VM's name and state in
 * a raw framebuffer. One per simulated VM, on an ephemeral loopback port.
 */
export class RfbServer {
  private server: Server | undefined;
  private password: string | undefined;
  private passwordExpiry = 0;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly screen: ScreenSource,
    private readonly desktopName: string,
  ) {}

  /** Sets the VNC password, valid for `validS` seconds (like QMP set_password + expire_password). */
  setPassword(password: string, validS: number): void {
    this.password = password;
    this.passwordExpiry = Date.now() + validS * 1000;
  }

  async listen(): Promise<number> {
    if (!this.server) {
      const server = createServer((s) => this.accept(s));
      this.server = server;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private render(): Framebuffer {
    const fb = new Framebuffer(WIDTH, HEIGHT);
    const { lines, running } = this.screen();
    fb.fill(running ? 0 : 40, running ? 40 : 0, running ? 96 : 0);
    lines.forEach((line, i) => fb.text(16, 16 + i * 40, line, 4, [255, 255, 255]));
    return fb;
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    let state = RfbState.Version;
    let buf = Buffer.alloc(0);
    let challenge = Buffer.alloc(0);
    let pf: PixelFormat = DEFAULT_PIXEL_FORMAT;
    let pendingIncremental = false;
    const fail = (reason: string): void => {
      const r = Buffer.from(reason);
      const msg = Buffer.alloc(8);
      msg.writeUInt32BE(1, 0);
      msg.writeUInt32BE(r.length, 4);
      socket.end(Buffer.concat([msg, r]));
      state = RfbState.Closed;
    };
    const sendUpdate = (): void => {
      const fb = this.render();
      const head = Buffer.alloc(16);
      head[0] = 0; // FramebufferUpdate
      head.writeUInt16BE(1, 2);
      head.writeUInt16BE(0, 4);
      head.writeUInt16BE(0, 6);
      head.writeUInt16BE(fb.width, 8);
      head.writeUInt16BE(fb.height, 10);
      head.writeInt32BE(0, 12); // Raw
      socket.write(Buffer.concat([head, encodeRaw(fb, pf)]));
    };
    socket.write('RFB 003.008\n');
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const need = this.step(state, buf);
        if (need === undefined || buf.length < need) return;
        const msg = buf.subarray(0, need);
        buf = buf.subarray(need);
        switch (state) {
          case RfbState.Version:
            if (!/^RFB 003\.00[378]\n$/.test(msg.toString('latin1'))) return fail('Unsupported RFB version');
            socket.write(Buffer.from([1, 2])); // one security type: VNC Authentication
            state = RfbState.Security;
            break;
          case RfbState.Security:
            if (msg[0] !== 2) return fail('Unsupported security type');
            challenge = randomBytes(16);
            socket.write(challenge);
            state = RfbState.Auth;
            break;
          case RfbState.Auth: {
            const ok = this.password !== undefined && Date.now() < this.passwordExpiry && timingSafeEqual(vncAuthResponse(challenge, this.password), msg);
            if (!ok) return fail('Authentication failed');
            socket.write(Buffer.from([0, 0, 0, 0]));
            state = RfbState.ClientInit;
            break;
          }
          case RfbState.ClientInit: {
            const name = Buffer.from(this.desktopName, 'utf8');
            const init = Buffer.alloc(4);
            init.writeUInt16BE(WIDTH, 0);
            init.writeUInt16BE(HEIGHT, 2);
            const len = Buffer.alloc(4);
            len.writeUInt32BE(name.length);
            socket.write(Buffer.concat([init, encodePixelFormat(DEFAULT_PIXEL_FORMAT), len, name]));
            state = RfbState.Normal;
            break;
          }
          case RfbState.Normal:
            if (msg[0] === 0) {
              const next = decodePixelFormat(msg.subarray(4, 20));
              if (next.trueColour && [8, 16, 32].includes(next.bitsPerPixel)) pf = next;
            } else if (msg[0] === 3) {
              const incremental = msg[1] !== 0;
              if (!incremental) sendUpdate();
              else if (!pendingIncremental) {
                // nothing changes on its own: answer incremental requests slowly, like an idle screen
                pendingIncremental = true;
                setTimeout(() => {
                  pendingIncremental = false;
                  if (state === RfbState.Normal && !socket.destroyed) sendUpdate();
                }, 1000).unref();
              }
            }
            break;
          default:
            return;
        }
      }
    });
  }

  /** Bytes the next message needs in `state`, or undefined when the header is incomplete. */
  private step(state: RfbState, buf: Buffer): number | undefined {
    switch (state) {
      case RfbState.Version:
        return 12;
      case RfbState.Security:
        return 1;
      case RfbState.Auth:
        return 16;
      case RfbState.ClientInit:
        return 1;
      case RfbState.Normal:
        if (buf.length < 1) return undefined;
        switch (buf[0]) {
          case 0:
            return 20;
          case 2:
            return buf.length < 4 ? undefined : 4 + 4 * buf.readUInt16BE(2);
          case 3:
            return 10;
          case 4:
            return 8;
          case 5:
            return 6;
          case 6:
            return buf.length < 8 ? undefined : 8 + buf.readUInt32BE(4);
          default:
            return undefined;
        }
      default:
        return undefined;
    }
  }
}
