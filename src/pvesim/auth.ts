import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Identity } from './acl.js';
import type { ClusterState } from './state.js';
import { authError } from './errors.js';

/** PVE's ticket lifetime ([AC] `$ticket_lifetime = 3600 * 2`). */
export const TICKET_LIFETIME_S = 2 * 3600;
/** Short-lived (VNC) tickets are valid from -20 s to +40 s. */
const SHORT_MIN_AGE_S = -20;
const SHORT_MAX_AGE_S = 40;

const hex8 = (n: number): string => n.toString(16).toUpperCase().padStart(8, '0');

/** Signs and verifies PVE-shaped tickets with one HMAC key per simulator. */
export class TicketSigner {
  private readonly key = randomBytes(32);

  constructor(private readonly now: () => number = () => Math.floor(Date.now() / 1000)) {}

  private sign(data: string): string {
    return createHmac('sha256', this.key).update(data).digest('base64');
  }

  private same(a: string, b: string): boolean {
    const x = Buffer.from(a);
    const y = Buffer.from(b);
    return x.length === y.length && timingSafeEqual(x, y);
  }

  /** `PVE:<user>:<HEXTIME>::<signature>` */
  ticket(userid: string): string {
    const plain = `PVE:${userid}:${hex8(this.now())}`;
    return `${plain}::${this.sign(plain)}`;
  }

  /** The user of a valid, unexpired ticket, else undefined. */
  verifyTicket(ticket: string): string | undefined {
    const m = /^(PVE:([^:]+):([0-9A-F]{8}))::(.+)$/.exec(ticket);
    if (!m || !this.same(this.sign(m[1]!), m[4]!)) return undefined;
    const age = this.now() - parseInt(m[3]!, 16);
    if (age < -300 || age > TICKET_LIFETIME_S) return undefined;
    return m[2];
  }

  /** `<HEXTIME>:<signature>` bound to the user. */
  csrf(userid: string): string {
    const t = hex8(this.now());
    return `${t}:${this.sign(`${t}:${userid}`)}`;
  }

  verifyCsrf(token: string, userid: string): boolean {
    const m = /^([0-9A-F]{8}):(.+)$/.exec(token);
    if (!m || !this.same(this.sign(`${m[1]}:${userid}`), m[2]!)) return false;
    const age = this.now() - parseInt(m[1]!, 16);
    return age >= -300 && age <= TICKET_LIFETIME_S;
  }

  /** A VNC ticket bound to identity, path and port: `PVEVNC:<HEXTIME>::<signature>`. */
  vncTicket(authid: string, path: string, port: number): string {
    const t = hex8(this.now());
    return `PVEVNC:${t}::${this.sign(`PVEVNC:${t}:${authid}:${path}:${port}`)}`;
  }

  verifyVncTicket(ticket: string, authid: string, path: string, port: number): boolean {
    const m = /(?:^|:)PVEVNC:([0-9A-F]{8})::(.+)$/.exec(ticket);
    if (!m || !this.same(this.sign(`PVEVNC:${m[1]}:${authid}:${path}:${port}`), m[2]!)) return false;
    const age = this.now() - parseInt(m[1]!, 16);
    return age >= SHORT_MIN_AGE_S && age <= SHORT_MAX_AGE_S;
  }
}

function cookieTicket(cookie: string | undefined): string | undefined {
  if (!cookie) return undefined;
  for (const part of cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === 'PVEAuthCookie') return decodeURIComponent(v.join('='));
  }
  return undefined;
}

/**
 * Authenticates a request from its headers: `Authorization: PVEAPIToken=...` or the `PVEAuthCookie` ticket
 * (with the CSRF token on writes). Throws a 401 PveError on failure.
 */
export function authenticate(state: ClusterState, signer: TicketSigner, headers: IncomingHttpHeaders, method: string): Identity {
  const authz = headers.authorization;
  if (authz && authz.startsWith('PVEAPIToken=')) {
    const m = /^PVEAPIToken=([^!=\s]+@[^!=\s]+)!([^=\s]+)[=:](\S+)$/.exec(authz);
    if (!m) throw authError();
    const tokenid = `${m[1]}!${m[2]}`;
    const token = state.tokens.get(tokenid);
    const user = state.users.get(m[1]!);
    if (!token || !user?.enable) throw authError();
    const a = Buffer.from(token.secret);
    const b = Buffer.from(m[3]!);
    if (a.length !== b.length || !timingSafeEqual(a, b)) throw authError();
    return { authid: tokenid, userid: m[1]!, tokenid: m[2]!, privsep: token.privsep, viaTicket: false };
  }
  const ticket = cookieTicket(headers.cookie);
  if (!ticket) throw authError('No ticket');
  const userid = signer.verifyTicket(ticket);
  if (!userid || !state.users.get(userid)?.enable) throw authError();
  if (method !== 'GET') {
    const csrf = headers.csrfpreventiontoken;
    if (typeof csrf !== 'string' || !signer.verifyCsrf(csrf, userid)) throw authError('Permission denied - invalid csrf token');
  }
  return { authid: userid, userid, privsep: false, viaTicket: true };
}

/** 8 printable characters (`!`..`~`), as pve-common `generate_vnc_password`. */
export function generateVncPassword(): string {
  const bytes = randomBytes(8);
  return [...bytes].map((b) => String.fromCharCode(33 + (b % 94))).join('');
}
