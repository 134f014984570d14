/**
 * RFB security type 2 (VNC Authentication, RFC 6143 §7.2.2): the 16-byte challenge encrypted with single
 * DES-ECB under the first 8 password bytes, each byte's bits reversed (guacd-protocol.md §9). OpenSSL 3 has
 * no des-ecb; des-ede3-ecb with K|K|K is the same cipher. Pure.
 */
import { createCipheriv } from 'node:crypto';

function reverseBits(byte: number): number {
  let r = 0;
  for (let b = 0; b < 8; b++) if (byte & (1 << b)) r |= 1 << (7 - b);
  return r;
}

/** The DES key for a VNC password: 8 bytes (latin1, zero-padded, truncated), bits reversed. */
export function vncDesKey(password: string): Buffer {
  const key = Buffer.alloc(8);
  const bytes = Buffer.from(password, 'latin1');
  for (let i = 0; i < 8 && i < bytes.length; i++) key[i] = reverseBits(bytes[i]!);
  return key;
}

/** The 16-byte answer to a 16-byte challenge. */
export function vncAuthResponse(challenge: Buffer, password: string): Buffer {
  if (challenge.length !== 16) throw new RangeError('a VNC challenge is 16 bytes');
  const key = vncDesKey(password);
  const cipher = createCipheriv('des-ede3-ecb', Buffer.concat([key, key, key]), null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(challenge), cipher.final()]);
}
