import { createCipheriv } from 'node:crypto';

/** Reverses the bits of a byte (VNC's DES key quirk). */
function reverseBits(b: number): number {
  let r = 0;
  for (let i = 0; i < 8; i++) r |= ((b >> i) & 1) << (7 - i);
  return r;
}

/**
 * The VNC Authentication response to a 16-byte challenge: DES-ECB with the first 8 password bytes,
 * bit-reversed; single DES as des-ede3 with K|K|K (OpenSSL 3 has no des-ecb).
 */
export function vncAuthResponse(challenge: Buffer, password: string): Buffer {
  const key = Buffer.alloc(8);
  Buffer.from(password, 'latin1').copy(key, 0, 0, 8);
  for (let i = 0; i < 8; i++) key[i] = reverseBits(key[i]!);
  const cipher = createCipheriv('des-ede3-ecb', Buffer.concat([key, key, key]), null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(challenge), cipher.final()]);
}
