/**
 * Console tokens in the exact format guacamole-lite 1.2.0 decrypts (guacd-protocol.md §11):
 * base64(JSON{ iv: base64(16 bytes), value: base64(AES-256-CBC(JSON payload)) }), plus a `mac` field
 * guacamole-lite ignores: HMAC-SHA256 over iv and ciphertext with a key derived from the same secret, so a
 * flipped bit (CBC alone is malleable) is caught before anything else runs.
 *
 * The payload carries only what a session needs: the user's entity id, the VM, the way in, issue and expiry
 * times and a random single-use id, plus, for ssh/rdp/vnc at the guest, the guest credentials the user just
 * typed (`cred`, guest-credentials.ts; encrypted, MAC'd, single use, ≤ 60 s). Never a PVE password, ticket
 * or address: those are fetched when the tunnel opens. The JSON is pure ASCII (guacamole-lite decodes it as
 * 'ascii').
 *
 * Pure: no I/O; the clock and the random source come in as arguments.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ConsoleError } from './errors.js';
import { credentialsClaim, CredentialsError, MAX_CREDENTIALS_JSON, readCredentialsClaim, type CredentialsClaim, type GuestCredentials } from './guest-credentials.js';

/** The ways into a VM; `console` is the PVE VNC console through the bridge. */
export const CONSOLE_KINDS = ['console', 'ssh', 'rdp', 'vnc'] as const;
export type ConsoleKind = (typeof CONSOLE_KINDS)[number];

/** Longest life a token may have; the issuer may choose shorter. */
export const MAX_TOKEN_TTL_MS = 60_000;
/**
 * Longer token texts are refused unread. Credentials of MAX_CREDENTIALS_JSON bytes make a token of about
 * 11 kB (two base64 layers), which still fits in a WebSocket URL under Node's 16 kB header limit.
 */
export const MAX_TOKEN_LENGTH = 12 * 1024;

export interface ConsoleClaims {
  /** guacamole_entity.entity_id of the user. */
  entityId: number;
  /** EarCandle vm.id */
  vmId: number;
  kind: ConsoleKind;
  /** Epoch ms. */
  issuedAt: number;
  expiresAt: number;
  /** 16 random bytes: the single-use id. */
  tokenId: Buffer;
  /** Guest login for ssh/rdp/vnc; never for the PVE console. Secrets print as "[redacted]". */
  credentials?: GuestCredentials;
}

/** What the token's JSON looks like inside; guacamole-lite reads `connection`, EarCandle reads `earcandle`. */
interface Payload {
  connection: { type: string; settings: Record<string, never> };
  earcandle: { v: 1; sub: number; vm: number; kind: ConsoleKind; iat: number; exp: number; jti: string; cred?: CredentialsClaim };
}

/** The guacd protocol guacamole-lite selects for each way in. */
function guacdProtocol(kind: ConsoleKind): 'vnc' | 'ssh' | 'rdp' {
  return kind === 'console' ? 'vnc' : kind;
}

function macKey(key: Buffer): Buffer {
  return createHmac('sha256', key).update('earcandle console token mac v1').digest();
}

function mac(key: Buffer, iv: string, value: string): Buffer {
  return createHmac('sha256', macKey(key)).update(iv).update('.').update(value).digest();
}

/** JSON with every non-ASCII character written as \uXXXX, so guacamole-lite's 'ascii' decoding sees the same text. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function assertKey(key: Buffer): void {
  if (key.length !== 32) throw new RangeError('the console token key must be 32 bytes');
}

export interface MintInput {
  entityId: number;
  vmId: number;
  kind: ConsoleKind;
  /** ms, at most MAX_TOKEN_TTL_MS; default 30 s. */
  ttlMs?: number;
  /** Guest login (ssh/rdp/vnc only), from credentialsFor(). */
  credentials?: GuestCredentials;
}

/** Encrypts a fresh token for one session. */
export function mintConsoleToken(key: Buffer, input: MintInput, now: number = Date.now(), random: (n: number) => Buffer = randomBytes): { token: string; claims: ConsoleClaims } {
  assertKey(key);
  const ttl = input.ttlMs ?? 30_000;
  if (!(ttl > 0 && ttl <= MAX_TOKEN_TTL_MS)) throw new RangeError(`token lifetime must be 1..${MAX_TOKEN_TTL_MS} ms`);
  if (!Number.isSafeInteger(input.entityId) || input.entityId <= 0) throw new RangeError('entityId must be a positive integer');
  if (!Number.isSafeInteger(input.vmId) || input.vmId <= 0) throw new RangeError('vmId must be a positive integer');
  if (!CONSOLE_KINDS.includes(input.kind)) throw new RangeError(`unknown console kind ${String(input.kind)}`);
  let cred: CredentialsClaim | undefined;
  if (input.credentials) {
    if (input.kind === 'console') throw new CredentialsError('The machine screen takes no credentials.');
    cred = credentialsClaim(input.credentials);
    if (asciiJson(cred).length > MAX_CREDENTIALS_JSON) throw new CredentialsError('The credentials are too long.');
  }
  const tokenId = random(16);
  const claims: ConsoleClaims = {
    entityId: input.entityId,
    vmId: input.vmId,
    kind: input.kind,
    issuedAt: now,
    expiresAt: now + ttl,
    tokenId,
    ...(input.credentials ? { credentials: input.credentials } : {}),
  };
  const payload: Payload = {
    connection: { type: guacdProtocol(input.kind), settings: {} },
    earcandle: { v: 1, sub: claims.entityId, vm: claims.vmId, kind: claims.kind, iat: claims.issuedAt, exp: claims.expiresAt, jti: tokenId.toString('base64url'), ...(cred ? { cred } : {}) },
  };
  const ivBytes = random(16);
  const cipher = createCipheriv('aes-256-cbc', key, ivBytes);
  const value = Buffer.concat([cipher.update(asciiJson(payload), 'ascii'), cipher.final()]).toString('base64');
  const iv = ivBytes.toString('base64');
  const token = Buffer.from(asciiJson({ iv, value, mac: mac(key, iv, value).toString('base64') }), 'ascii').toString('base64');
  return { token, claims };
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Opens and checks a token: shape, MAC, decryption, claims, expiry. Throws ConsoleError TOKEN_MALFORMED,
 * TOKEN_TAMPERED or TOKEN_EXPIRED. Replay and permission are the caller's (they need the database).
 */
export function openConsoleToken(key: Buffer, text: unknown, now: number = Date.now()): ConsoleClaims {
  assertKey(key);
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_TOKEN_LENGTH || !BASE64.test(text)) {
    throw new ConsoleError('TOKEN_MALFORMED', 'not a token');
  }
  let outer: unknown;
  try {
    outer = JSON.parse(Buffer.from(text, 'base64').toString('latin1'));
  } catch {
    throw new ConsoleError('TOKEN_MALFORMED', 'not JSON');
  }
  if (!isRecord(outer) || typeof outer.iv !== 'string' || typeof outer.value !== 'string' || typeof outer.mac !== 'string') {
    throw new ConsoleError('TOKEN_MALFORMED', 'missing iv, value or mac');
  }
  const expected = mac(key, outer.iv, outer.value);
  const given = Buffer.from(outer.mac, 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new ConsoleError('TOKEN_TAMPERED', 'bad mac');
  let payload: unknown;
  try {
    const iv = Buffer.from(outer.iv, 'base64');
    const decipher = createDecipheriv('aes-256-cbc', key, iv);
    const plain = Buffer.concat([decipher.update(Buffer.from(outer.value, 'base64')), decipher.final()]);
    payload = JSON.parse(plain.toString('ascii'));
  } catch {
    // Only reachable with a valid MAC, i.e. a token we minted with a broken payload.
    throw new ConsoleError('TOKEN_MALFORMED', 'undecryptable');
  }
  const claims = readClaims(payload);
  if (!claims) throw new ConsoleError('TOKEN_MALFORMED', 'bad claims');
  if (claims.expiresAt - claims.issuedAt > MAX_TOKEN_TTL_MS || claims.expiresAt <= claims.issuedAt) throw new ConsoleError('TOKEN_MALFORMED', 'bad lifetime');
  if (now >= claims.expiresAt) throw new ConsoleError('TOKEN_EXPIRED', `expired ${now - claims.expiresAt} ms ago`);
  return claims;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function readClaims(payload: unknown): ConsoleClaims | undefined {
  if (!isRecord(payload) || !isRecord(payload.earcandle) || !isRecord(payload.connection)) return undefined;
  const e = payload.earcandle;
  const positive = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n > 0;
  if (e.v !== 1 || !positive(e.sub) || !positive(e.vm) || !positive(e.iat) || !positive(e.exp)) return undefined;
  if (typeof e.kind !== 'string' || !(CONSOLE_KINDS as readonly string[]).includes(e.kind)) return undefined;
  const kind = e.kind as ConsoleKind;
  if (payload.connection.type !== guacdProtocol(kind)) return undefined;
  if (typeof e.jti !== 'string' || !/^[A-Za-z0-9_-]{22}$/.test(e.jti)) return undefined;
  let credentials: GuestCredentials | undefined;
  if (e.cred !== undefined) {
    if (kind === 'console') return undefined;
    credentials = readCredentialsClaim(kind, e.cred);
    if (!credentials) return undefined;
  }
  return { entityId: e.sub, vmId: e.vm, kind, issuedAt: e.iat, expiresAt: e.exp, tokenId: Buffer.from(e.jti, 'base64url'), ...(credentials ? { credentials } : {}) };
}

/**
 * Removes the credentials from guacamole-lite's decrypted copy of a token once the session's settings are
 * prepared, so the long-lived connection object keeps no password.
 */
export function stripCredentials(settings: unknown): void {
  if (isRecord(settings) && isRecord(settings.earcandle)) delete settings.earcandle.cred;
}

/** The single-use id as guacamole-lite hands it back in the decrypted settings (`earcandle.jti`). */
export function tokenIdOf(settings: unknown): string | undefined {
  if (!isRecord(settings) || !isRecord(settings.earcandle)) return undefined;
  const jti = settings.earcandle.jti;
  return typeof jti === 'string' ? jti : undefined;
}
