/**
 * Host keys: reading the `host-key` parameter (a known_hosts line, "type base64", or the bare
 * base64 of the server's public key blob), OpenSSH-style SHA256 fingerprints, and the comparison
 * with what the server presented. Pure.
 */
import { createHash } from 'node:crypto';

export interface HostKeyInfo {
  readonly hostname: string;
  readonly port: number;
  /** Key type from the blob, e.g. ssh-ed25519. */
  readonly algorithm: string;
  /** Base64 of the public key blob: what `host-key` takes. */
  readonly key: string;
  /** `SHA256:<base64, no padding>`, as `ssh-keygen -l` prints it. */
  readonly fingerprint: string;
}

/** The key type named inside an SSH public key blob (a length-prefixed string), or undefined. */
export function keyAlgorithm(blob: Uint8Array): string | undefined {
  if (blob.length < 8) return undefined;
  const len = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength).readUInt32BE(0);
  if (len < 3 || len > 64 || 4 + len > blob.length) return undefined;
  const name = Buffer.from(blob.subarray(4, 4 + len)).toString('latin1');
  return /^[a-z0-9@.-]+$/.test(name) ? name : undefined;
}

export function fingerprint(blob: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

export function hostKeyInfo(hostname: string, port: number, blob: Uint8Array): HostKeyInfo {
  return {
    hostname,
    port,
    algorithm: keyAlgorithm(blob) ?? 'unknown',
    key: Buffer.from(blob).toString('base64'),
    fingerprint: fingerprint(blob),
  };
}

export class HostKeyFormatError extends Error {
  override readonly name = 'HostKeyFormatError';
  readonly code = 'SSH_BAD_HOST_KEY';
}

/** The key blob in a `host-key` value: the first word that is base64 of an SSH public key blob. */
export function parseHostKey(value: string): Buffer {
  for (const word of value.trim().split(/\s+/)) {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(word)) continue;
    const blob = Buffer.from(word, 'base64');
    if (keyAlgorithm(blob)) return blob;
  }
  throw new HostKeyFormatError('The host-key parameter holds no SSH public key (expected "[host] type base64" or base64)');
}

/** True when the server's key is the configured one. */
export function hostKeyMatches(expected: Uint8Array, presented: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(expected), Buffer.from(presented)) === 0;
}
