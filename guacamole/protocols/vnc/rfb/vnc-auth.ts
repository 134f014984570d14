/**
 * VNC Authentication (RFC 6143 §7.2.2): the 16-byte challenge encrypted with single DES-ECB under the
 * password's first 8 bytes, zero-padded, with the bits of each byte reversed.
 * OpenSSL 3 has no plain des-ecb in Node; des-ede3-ecb under K|K|K equals single DES (guacd-protocol.md §9).
 */
import { createCipheriv } from 'node:crypto';

function reverseBits(b: number): number {
  let r = 0;
  for (let i = 0; i < 8; i++) r |= ((b >> i) & 1) << (7 - i);
  return r;
}

/** The 8-byte DES key VNC derives from a password (bytes beyond 8 are ignored). */
export function vncAuthKey(password: string): Buffer {
  const key = Buffer.alloc(8);
  const bytes = Buffer.from(password, 'utf8');
  for (let i = 0; i < 8 && i < bytes.length; i++) key[i] = reverseBits(bytes[i]!);
  return key;
}

/** Single DES-ECB of `data` (a multiple of 8 bytes) under an 8-byte key, no padding. */
export function desEcbEncrypt(key: Buffer, data: Buffer): Buffer {
  const cipher = createCipheriv('des-ede3-ecb', Buffer.concat([key, key, key]), null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

/** The 16-byte response to a VNC Authentication challenge. */
export function vncAuthResponse(password: string, challenge: Buffer): Buffer {
  return desEcbEncrypt(vncAuthKey(password), challenge);
}
