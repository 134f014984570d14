/**
 * The two RFB security handshakes the VNC bridge runs (RFC 6143 §7.1–7.2), as pure state machines:
 * bytes in (`push`), bytes to send and the new state out; no sockets, no timers.
 *
 * - `UpstreamHandshake` is the client side towards PVE's vncwebsocket: it answers VNC authentication with
 *   PVE's one-time password, which never leaves it.
 * - `DownstreamHandshake` is the server side towards guacd on the loopback endpoint: it offers VNC
 *   authentication with a fresh password of its own (or None).
 *
 * Both stop right after SecurityResult; ClientInit, ServerInit and everything after are piped unchanged.
 * RFB 3.3, 3.7 and 3.8 are understood on both sides.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { vncAuthResponse } from '../../guacamole/index.js';

export const enum SecurityType {
  Invalid = 0,
  None = 1,
  VncAuth = 2,
}

export const enum HandshakeState {
  Version = 'version',
  SecurityTypes = 'security-types',
  SecurityType33 = 'security-type-3.3',
  FailureReason = 'failure-reason',
  ClientChoice = 'client-choice',
  Challenge = 'challenge',
  Response = 'response',
  Result = 'result',
  Done = 'done',
  Failed = 'failed',
}

export class RfbHandshakeError extends Error {
  override readonly name = 'RfbHandshakeError';
  constructor(
    readonly code: 'RFB_BAD_VERSION' | 'RFB_NO_SECURITY' | 'RFB_AUTH_FAILED' | 'RFB_REFUSED' | 'RFB_BAD_MESSAGE',
    message: string,
  ) {
    super(message);
  }
}

export interface Step {
  /** Bytes to write to the peer, in order. */
  out: Buffer[];
  /** Set once the handshake is over: bytes received past its end (belong to the piped phase). */
  rest?: Buffer;
}

type Minor = 3 | 7 | 8;

function parseVersion(b: Buffer): Minor {
  const m = /^RFB (\d{3})\.(\d{3})\n$/.exec(b.toString('latin1'));
  if (!m || m[1] !== '003') throw new RfbHandshakeError('RFB_BAD_VERSION', 'not an RFB 3.x version string');
  const minor = Number(m[2]);
  // RFC 6143 §7.1.1: unknown minors count as 3.3; 3.889 is Apple's, treated as 3.8.
  if (minor >= 8) return 8;
  if (minor === 7) return 7;
  return 3;
}

function versionString(minor: Minor): Buffer {
  return Buffer.from(`RFB 003.00${minor}\n`, 'latin1');
}

/** Accumulates input and hands out exact-length reads. */
class Bytes {
  #buf: Buffer = Buffer.alloc(0);
  push(chunk: Buffer): void {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
  }
  has(n: number): boolean {
    return this.#buf.length >= n;
  }
  at(i: number): number {
    return this.#buf[i]!;
  }
  peekU32(): number {
    return this.#buf.readUInt32BE(0);
  }
  take(n: number): Buffer {
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }
  rest(): Buffer {
    return this.take(this.#buf.length);
  }
}

const MAX_REASON = 4096;

/** Client side towards PVE: version, security, VNC auth with the one-time password, SecurityResult. */
export class UpstreamHandshake {
  state: HandshakeState = HandshakeState.Version;
  /** Negotiated minor version. */
  minor: Minor = 8;
  readonly #in = new Bytes();
  readonly #password: string;
  #failureText: string | undefined;

  constructor(password: string) {
    this.#password = password;
  }

  /** Feeds server bytes; throws RfbHandshakeError on refusal or nonsense. */
  push(chunk: Buffer): Step {
    this.#in.push(chunk);
    const out: Buffer[] = [];
    for (;;) {
      switch (this.state) {
        case HandshakeState.Version: {
          if (!this.#in.has(12)) return { out };
          this.minor = parseVersion(this.#in.take(12));
          out.push(versionString(this.minor));
          this.state = this.minor === 3 ? HandshakeState.SecurityType33 : HandshakeState.SecurityTypes;
          break;
        }
        case HandshakeState.SecurityTypes: {
          if (!this.#in.has(1)) return { out };
          const n = this.#in.at(0);
          if (n === 0) {
            this.#in.take(1);
            this.#failureText = 'server refused the connection';
            this.state = HandshakeState.FailureReason;
            break;
          }
          if (!this.#in.has(1 + n)) return { out };
          const types = [...this.#in.take(1 + n).subarray(1)];
          const choice = types.includes(SecurityType.VncAuth) ? SecurityType.VncAuth : types.includes(SecurityType.None) ? SecurityType.None : undefined;
          if (choice === undefined) throw new RfbHandshakeError('RFB_NO_SECURITY', `no usable security type among ${types.join(',')}`);
          out.push(Buffer.from([choice]));
          this.state = choice === SecurityType.VncAuth ? HandshakeState.Challenge : this.minor === 8 ? HandshakeState.Result : HandshakeState.Done;
          break;
        }
        case HandshakeState.SecurityType33: {
          if (!this.#in.has(4)) return { out };
          const type = this.#in.take(4).readUInt32BE(0);
          if (type === SecurityType.Invalid) {
            this.#failureText = 'server refused the connection';
            this.state = HandshakeState.FailureReason;
          } else if (type === SecurityType.VncAuth) this.state = HandshakeState.Challenge;
          else if (type === SecurityType.None) this.state = HandshakeState.Done;
          else throw new RfbHandshakeError('RFB_NO_SECURITY', `unsupported security type ${type}`);
          break;
        }
        case HandshakeState.Challenge: {
          if (!this.#in.has(16)) return { out };
          out.push(vncAuthResponse(this.#password, this.#in.take(16)));
          this.state = HandshakeState.Result;
          break;
        }
        case HandshakeState.Result: {
          if (!this.#in.has(4)) return { out };
          const result = this.#in.take(4).readUInt32BE(0);
          if (result === 0) {
            this.state = HandshakeState.Done;
            break;
          }
          this.#failureText = 'authentication failed';
          if (this.minor !== 8) throw new RfbHandshakeError('RFB_AUTH_FAILED', this.#failureText);
          this.state = HandshakeState.FailureReason;
          break;
        }
        case HandshakeState.FailureReason: {
          if (!this.#in.has(4)) return { out };
          const len = this.#in.peekU32();
          if (len > MAX_REASON) throw new RfbHandshakeError('RFB_BAD_MESSAGE', 'failure reason too long');
          if (!this.#in.has(4 + len)) return { out };
          this.#in.take(4);
          const reason = this.#in.take(len).toString('latin1').replace(/[^\x20-\x7e]/g, '?');
          this.state = HandshakeState.Failed;
          throw new RfbHandshakeError(this.#failureText === 'authentication failed' ? 'RFB_AUTH_FAILED' : 'RFB_REFUSED', `${this.#failureText}: ${reason}`);
        }
        case HandshakeState.Done:
          return { out, rest: this.#in.rest() };
        default:
          throw new RfbHandshakeError('RFB_BAD_MESSAGE', `unexpected state ${this.state}`);
      }
    }
  }
}

export interface DownstreamOptions {
  /** VNC authentication with this password; undefined offers security None. */
  password?: string;
  /** 16 random bytes for the challenge (tests pass their own). */
  challenge?: Buffer;
}

/**
 * Server side towards guacd: offers RFB 3.8 and one security type; the first bytes to send come from
 * `start()`. Ends with SecurityResult OK; a wrong password ends in RfbHandshakeError RFB_AUTH_FAILED after
 * the failure result has been queued in `Step.out` (the caller writes it, then closes).
 */
export class DownstreamHandshake {
  state: HandshakeState = HandshakeState.Version;
  minor: Minor = 8;
  readonly #in = new Bytes();
  readonly #password: string | undefined;
  readonly #challenge: Buffer;
  #failed: Buffer[] | undefined;

  constructor(options: DownstreamOptions = {}) {
    this.#password = options.password;
    this.#challenge = options.challenge ?? randomBytes(16);
  }

  get securityType(): SecurityType {
    return this.#password === undefined ? SecurityType.None : SecurityType.VncAuth;
  }

  start(): Buffer {
    return versionString(8);
  }

  /** Bytes that must still reach the client when `push` threw (the failed SecurityResult). */
  failureBytes(): Buffer[] {
    return this.#failed ?? [];
  }

  push(chunk: Buffer): Step {
    this.#in.push(chunk);
    const out: Buffer[] = [];
    for (;;) {
      switch (this.state) {
        case HandshakeState.Version: {
          if (!this.#in.has(12)) return { out };
          this.minor = parseVersion(this.#in.take(12));
          if (this.minor === 3) {
            const t = Buffer.alloc(4);
            t.writeUInt32BE(this.securityType);
            out.push(t);
            if (this.securityType === SecurityType.VncAuth) {
              out.push(this.#challenge);
              this.state = HandshakeState.Response;
            } else this.state = HandshakeState.Done;
          } else {
            out.push(Buffer.from([1, this.securityType]));
            this.state = HandshakeState.ClientChoice;
          }
          break;
        }
        case HandshakeState.ClientChoice: {
          if (!this.#in.has(1)) return { out };
          const choice = this.#in.take(1)[0]!;
          if (choice !== this.securityType) {
            this.#failed = [...out, ...this.#result(false, 'security type not offered')];
            this.state = HandshakeState.Failed;
            throw new RfbHandshakeError('RFB_NO_SECURITY', `client chose security type ${choice}`);
          }
          if (choice === SecurityType.VncAuth) {
            out.push(this.#challenge);
            this.state = HandshakeState.Response;
          } else if (this.minor === 8) {
            out.push(...this.#result(true));
            this.state = HandshakeState.Done;
          } else this.state = HandshakeState.Done;
          break;
        }
        case HandshakeState.Response: {
          if (!this.#in.has(16)) return { out };
          const response = this.#in.take(16);
          const expected = vncAuthResponse(this.#password ?? '', this.#challenge);
          if (!timingSafeEqual(response, expected)) {
            this.#failed = [...out, ...this.#result(false, 'Authentication failed')];
            this.state = HandshakeState.Failed;
            throw new RfbHandshakeError('RFB_AUTH_FAILED', 'the loopback client failed VNC authentication');
          }
          out.push(...this.#result(true));
          this.state = HandshakeState.Done;
          break;
        }
        case HandshakeState.Done:
          return { out, rest: this.#in.rest() };
        default:
          throw new RfbHandshakeError('RFB_BAD_MESSAGE', `unexpected state ${this.state}`);
      }
    }
  }

  #result(ok: boolean, reason = ''): Buffer[] {
    const r = Buffer.alloc(4);
    r.writeUInt32BE(ok ? 0 : 1);
    if (ok || this.minor !== 8) return [r];
    const len = Buffer.alloc(4);
    len.writeUInt32BE(Buffer.byteLength(reason, 'latin1'));
    return [r, len, Buffer.from(reason, 'latin1')];
  }
}
