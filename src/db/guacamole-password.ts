import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface GuacamolePasswordHash {
  hash: Buffer;
  salt: Buffer;
}

/**
 * Guacamole's JDBC password hash: SHA-256 over UTF-8(password + upper-case hex of a 32-byte salt),
 * exactly as SHA256PasswordEncryptionService does it, so the stock web app accepts the row.
 */
export function guacamolePasswordHash(password: string, salt: Buffer = randomBytes(32)): GuacamolePasswordHash {
  const hash = createHash('sha256').update(password + salt.toString('hex').toUpperCase(), 'utf8').digest();
  return { hash, salt };
}

/** Checks a password against a guacamole_user row; a NULL salt means plain SHA-256, as Guacamole allows. */
export function verifyGuacamolePassword(password: string, hash: Buffer, salt: Buffer | null): boolean {
  const expected = salt ? guacamolePasswordHash(password, salt).hash : createHash('sha256').update(password, 'utf8').digest();
  return expected.length === hash.length && timingSafeEqual(expected, hash);
}
