/**
 * The RFB handshake (RFC 6143 §7.1–7.3) as a pure named-state machine:
 * VERSION → SECURITY → AUTH → SECURITY_RESULT → SERVER_INIT → DONE, for RFB 3.3, 3.7 and 3.8 with
 * security types None and VNC Authentication. Bytes in; bytes to send and, at the end, ServerInit out.
 */
import { ByteQueue } from './byte-queue.js';
import { encode } from './encoder.js';
import { RfbClientError, type RfbErrorCode } from './errors.js';
import { SecurityType } from './messages.js';
import { PIXEL_FORMAT_LENGTH, parsePixelFormat, type PixelFormat } from './pixel-format.js';
import { vncAuthResponse } from './vnc-auth.js';

export type RfbVersion = '3.3' | '3.7' | '3.8';

export const enum HandshakeState {
  VERSION = 'VERSION',
  SECURITY = 'SECURITY',
  AUTH = 'AUTH',
  SECURITY_RESULT = 'SECURITY_RESULT',
  FAILURE_REASON = 'FAILURE_REASON',
  SERVER_INIT = 'SERVER_INIT',
  DONE = 'DONE',
}

export interface ServerInit {
  readonly width: number;
  readonly height: number;
  readonly pixelFormat: PixelFormat;
  readonly name: string;
  readonly version: RfbVersion;
  readonly securityType: SecurityType;
}

export interface HandshakeOptions {
  password?: string | undefined;
  /** ClientInit shared-flag; true (share the desktop) unless told otherwise, as libvncclient does. */
  shared?: boolean;
}

export interface HandshakeOutput {
  /** Bytes to write to the server, in order. */
  readonly send: Buffer[];
  /** Set once ServerInit has been read. */
  readonly init?: ServerInit;
  /** Bytes that arrived after ServerInit: the first server messages. */
  readonly rest?: Buffer;
}

const MAX_NAME = 64 * 1024;
const MAX_REASON = 64 * 1024;

export class Handshake {
  state: HandshakeState = HandshakeState.VERSION;
  version: RfbVersion | undefined;
  private securityType: SecurityType = SecurityType.Invalid;
  private readonly queue = new ByteQueue();
  /** The error a FAILURE_REASON string completes. */
  private failureCode: RfbErrorCode = 'RFB_PROTOCOL_ERROR';
  private failurePrefix = '';

  constructor(private readonly options: HandshakeOptions = {}) {}

  /** Feeds server bytes; throws RfbClientError when the server refuses or breaks the protocol. */
  push(chunk: Uint8Array): HandshakeOutput {
    this.queue.push(chunk);
    const send: Buffer[] = [];
    let init: ServerInit | undefined;
    while (this.state !== HandshakeState.DONE) {
      const step = this.step(send);
      if (step === false) break;
      if (step !== true) init = step;
    }
    if (!init) return { send };
    const rest = this.queue.take(this.queue.length);
    return rest && rest.length > 0 ? { send, init, rest: Buffer.from(rest) } : { send, init };
  }

  /** Runs the current state: false when more bytes are needed, ServerInit when done. */
  private step(send: Buffer[]): boolean | ServerInit {
    const q = this.queue;
    switch (this.state) {
      case HandshakeState.VERSION: {
        const b = q.take(12);
        if (!b) return false;
        this.version = Handshake.chooseVersion(b.toString('latin1'));
        send.push(Buffer.from(`RFB 003.00${this.version.slice(2)}\n`, 'latin1'));
        this.state = HandshakeState.SECURITY;
        return true;
      }
      case HandshakeState.SECURITY:
        return this.version === '3.3' ? this.security33(send) : this.securityList(send);
      case HandshakeState.AUTH: {
        const challenge = q.take(16);
        if (!challenge) return false;
        send.push(vncAuthResponse(this.options.password ?? '', Buffer.from(challenge)));
        this.state = HandshakeState.SECURITY_RESULT;
        return true;
      }
      case HandshakeState.SECURITY_RESULT: {
        const b = q.take(4);
        if (!b) return false;
        const result = b.readUInt32BE(0);
        if (result === 0) return this.sendClientInit(send);
        if (this.version === '3.8') {
          return this.expectReason('RFB_AUTH_FAILED', 'VNC authentication failed');
        }
        throw new RfbClientError('RFB_AUTH_FAILED', result === 2 ? 'VNC authentication failed: too many attempts' : 'VNC authentication failed');
      }
      case HandshakeState.FAILURE_REASON: {
        const h = q.peek(4);
        if (!h) return false;
        const len = h.buf.readUInt32BE(h.off);
        const size = Math.min(len, MAX_REASON);
        if (len > MAX_REASON) throw new RfbClientError(this.failureCode, this.failurePrefix, { detail: 'SERVER_REFUSED' });
        const p = q.peek(4 + size);
        if (!p) return false;
        const reason = p.buf.toString('utf8', p.off + 4, p.off + 4 + size).split('').map((c) => (c < ' ' ? ' ' : c)).join('').trim();
        q.skip(4 + size);
        throw new RfbClientError(this.failureCode, reason ? `${this.failurePrefix}: ${reason}` : this.failurePrefix, { detail: 'SERVER_REFUSED' });
      }
      case HandshakeState.SERVER_INIT: {
        const h = q.peek(24);
        if (!h) return false;
        const nameLen = h.buf.readUInt32BE(h.off + 20);
        if (nameLen > MAX_NAME) throw new RfbClientError('RFB_PROTOCOL_ERROR', `desktop name of ${nameLen} bytes`, { detail: 'BAD_HANDSHAKE' });
        const p = q.peek(24 + nameLen);
        if (!p) return false;
        const init: ServerInit = {
          width: p.buf.readUInt16BE(p.off),
          height: p.buf.readUInt16BE(p.off + 2),
          pixelFormat: parsePixelFormat(p.buf, p.off + 4),
          name: p.buf.toString('utf8', p.off + 4 + PIXEL_FORMAT_LENGTH + 4, p.off + 24 + nameLen),
          version: this.version!,
          securityType: this.securityType,
        };
        q.skip(24 + nameLen);
        this.state = HandshakeState.DONE;
        return init;
      }
      default:
        return false;
    }
  }

  /** RFB 3.3: the server decides the security type (u32). */
  private security33(send: Buffer[]): boolean {
    const b = this.queue.take(4);
    if (!b) return false;
    const type = b.readUInt32BE(0);
    if (type === SecurityType.Invalid) return this.expectReason('RFB_CONNECT_FAILED', 'the VNC server refused the connection');
    return this.useSecurity(type, send);
  }

  /** RFB 3.7/3.8: the server offers a list; the client picks the first it supports. */
  private securityList(send: Buffer[]): boolean {
    const h = this.queue.peek(1);
    if (!h) return false;
    const n = h.buf[h.off]!;
    if (n === 0) {
      this.queue.skip(1);
      return this.expectReason('RFB_CONNECT_FAILED', 'the VNC server refused the connection');
    }
    const p = this.queue.peek(1 + n);
    if (!p) return false;
    const offered = [...p.buf.subarray(p.off + 1, p.off + 1 + n)];
    this.queue.skip(1 + n);
    const type = offered.find((t) => t === SecurityType.None || t === SecurityType.VncAuthentication);
    if (type === undefined) {
      throw new RfbClientError('RFB_NO_SECURITY_TYPE', `the VNC server offers no supported security type (offered: ${offered.join(', ')})`);
    }
    if (type === SecurityType.VncAuthentication) this.requirePassword();
    send.push(Buffer.from([type]));
    return this.useSecurity(type, send);
  }

  private useSecurity(type: number, send: Buffer[]): boolean {
    if (type === SecurityType.None) {
      this.securityType = SecurityType.None;
      if (this.version === '3.8') {
        this.state = HandshakeState.SECURITY_RESULT;
        return true;
      }
      return this.sendClientInit(send);
    }
    if (type === SecurityType.VncAuthentication) {
      this.requirePassword();
      this.securityType = SecurityType.VncAuthentication;
      this.state = HandshakeState.AUTH;
      return true;
    }
    throw new RfbClientError('RFB_NO_SECURITY_TYPE', `the VNC server requires security type ${type}, which is not supported`);
  }

  private requirePassword(): void {
    if (this.options.password === undefined || this.options.password === '') {
      throw new RfbClientError('RFB_PASSWORD_REQUIRED', 'the VNC server requires a password and none was given');
    }
  }

  private sendClientInit(send: Buffer[]): boolean {
    send.push(encode.clientInit(this.options.shared ?? true));
    this.state = HandshakeState.SERVER_INIT;
    return true;
  }

  private expectReason(code: RfbErrorCode, prefix: string): boolean {
    this.failureCode = code;
    this.failurePrefix = prefix;
    this.state = HandshakeState.FAILURE_REASON;
    return true;
  }

  /** The version to answer with, given the server's 12-byte ProtocolVersion. */
  static chooseVersion(text: string): RfbVersion {
    const m = /^RFB (\d{3})\.(\d{3})\n$/.exec(text);
    if (!m) throw new RfbClientError('RFB_BAD_VERSION', `not an RFB server (greeting ${JSON.stringify(text)})`);
    const major = Number(m[1]), minor = Number(m[2]);
    if (major > 3 || (major === 3 && minor >= 8)) return '3.8';
    if (major === 3 && minor === 7) return '3.7';
    if (major === 3 && minor >= 3) return '3.3';
    throw new RfbClientError('RFB_BAD_VERSION', `unsupported RFB version ${major}.${minor}`);
  }
}
