/**
 * Guest credentials: what a user types on the console page to log in to a guest (ssh/rdp/vnc at its own
 * address). They exist only in the request body, inside one console token (encrypted and MAC'd, ≤ 60 s,
 * single use) and in the guacd connection settings of that one session: never in the database, a log, an
 * audit row or an error message. The schema bounds every field so a token stays well below the size a
 * WebSocket URL may have (MAX_CREDENTIALS_JSON); the texts are validated here, at the edge, and again when
 * a token is opened. Pure.
 */
import { z } from 'zod';
import { Secret } from '../config/secret.js';
import type { ConsoleKind } from './token.js';

export const CREDENTIAL_LIMITS = {
  /** Characters. Linux allows 32, Windows 104 (with a domain); 128 is generous for both. */
  username: 128,
  password: 256,
  /** An OpenSSH RSA-4096 key is about 3.4 kB; PEM/OpenSSH text only. */
  privateKey: 4096,
  passphrase: 256,
} as const;

/** Longest JSON (ASCII-escaped) the credentials may take inside a token. */
export const MAX_CREDENTIALS_JSON = 6144;

// eslint-disable-next-line no-control-regex
const NO_CONTROL = /^[^\u0000-\u001f\u007f]*$/;
const PRIVATE_KEY = /^-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----\r?\n[\x20-\x7e\r\n]+-----END [A-Z0-9 ]*PRIVATE KEY-----\s*$/;

/** The request body's `credentials` (the portal's edge). Messages name the field, never the value. */
export const guestCredentialsSchema = z
  .object({
    username: z.string().min(1, 'Enter the user name.').max(CREDENTIAL_LIMITS.username, `The user name is longer than ${CREDENTIAL_LIMITS.username} characters.`).regex(NO_CONTROL, 'The user name has control characters.'),
    password: z.string().max(CREDENTIAL_LIMITS.password, `The password is longer than ${CREDENTIAL_LIMITS.password} characters.`).regex(NO_CONTROL, 'The password has control characters.').optional(),
    privateKey: z
      .string()
      .max(CREDENTIAL_LIMITS.privateKey, `The private key is longer than ${CREDENTIAL_LIMITS.privateKey} characters.`)
      .regex(PRIVATE_KEY, 'The private key is not a PEM or OpenSSH private key.')
      .optional(),
    passphrase: z.string().max(CREDENTIAL_LIMITS.passphrase, `The passphrase is longer than ${CREDENTIAL_LIMITS.passphrase} characters.`).regex(NO_CONTROL, 'The passphrase has control characters.').optional(),
  })
  .strict();

export type GuestCredentialsInput = z.input<typeof guestCredentialsSchema>;

/** Parsed credentials; every secret part wrapped so that no way of printing it shows it. */
export interface GuestCredentials {
  readonly username: string;
  readonly password?: Secret;
  readonly privateKey?: Secret;
  readonly passphrase?: Secret;
}

export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';
  readonly code = 'CREDENTIALS_INVALID';
}

/** The compact form inside a token. */
export interface CredentialsClaim {
  u: string;
  p?: string;
  k?: string;
  x?: string;
}

/**
 * Checks credentials for a way in: none for the PVE console; a user name and a password or private key for
 * ssh; a user name and a password for rdp; a password for vnc (its user name is ignored by most servers).
 * Throws CredentialsError with a plain sentence.
 */
export function credentialsFor(kind: ConsoleKind, input: unknown): GuestCredentials | undefined {
  if (kind === 'console') {
    if (input !== undefined) throw new CredentialsError('The machine screen takes no credentials.');
    return undefined;
  }
  if (input === undefined) throw new CredentialsError('Enter the user name and password for the machine.');
  const r = guestCredentialsSchema.safeParse(input);
  if (!r.success) throw new CredentialsError(r.error.issues.map((i) => i.message).join(' '));
  const c = r.data;
  if (kind !== 'ssh' && (c.privateKey !== undefined || c.passphrase !== undefined)) throw new CredentialsError('Only SSH takes a private key.');
  if (c.privateKey === undefined && !c.password) throw new CredentialsError(kind === 'ssh' ? 'Enter the password or a private key.' : 'Enter the password.');
  const out: GuestCredentials = {
    username: c.username,
    ...(c.password ? { password: new Secret(c.password) } : {}),
    ...(c.privateKey !== undefined ? { privateKey: new Secret(c.privateKey) } : {}),
    ...(c.passphrase ? { passphrase: new Secret(c.passphrase) } : {}),
  };
  return out;
}

/** The token's form (revealing the secrets: only for the encrypted payload). */
export function credentialsClaim(c: GuestCredentials): CredentialsClaim {
  return {
    u: c.username,
    ...(c.password ? { p: c.password.reveal() } : {}),
    ...(c.privateKey ? { k: c.privateKey.reveal() } : {}),
    ...(c.passphrase ? { x: c.passphrase.reveal() } : {}),
  };
}

/** Reads the token's form back, with the same rules; undefined when it is not valid. */
export function readCredentialsClaim(kind: ConsoleKind, claim: unknown): GuestCredentials | undefined {
  if (typeof claim !== 'object' || claim === null || Array.isArray(claim)) return undefined;
  const c = claim as Record<string, unknown>;
  if (Object.keys(c).some((k) => !['u', 'p', 'k', 'x'].includes(k))) return undefined;
  try {
    return credentialsFor(kind, {
      username: c.u,
      ...(c.p !== undefined ? { password: c.p } : {}),
      ...(c.k !== undefined ? { privateKey: c.k } : {}),
      ...(c.x !== undefined ? { passphrase: c.x } : {}),
    });
  } catch {
    return undefined;
  }
}

/** guacd parameters (wire names) for the credentials. */
export function credentialSettings(c: GuestCredentials): Record<string, string> {
  return {
    username: c.username,
    ...(c.password ? { password: c.password.reveal() } : {}),
    ...(c.privateKey ? { 'private-key': c.privateKey.reveal() } : {}),
    ...(c.passphrase ? { passphrase: c.passphrase.reveal() } : {}),
  };
}
