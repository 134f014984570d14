import { createCipheriv } from 'node:crypto';

/**
 * Test-only VNC authentication response (RFB 3.8 §7.2.2, guacd-protocol.md §9): the challenge encrypted with
 * DES under the password's first 8 bytes, each bit-reversed. Written apart from the daemon's and the simulator's.
 */
export function vncDesResponse(challenge: Buffer, password: string): Buffer {
  const key = Buffer.alloc(8);
  for (let i = 0; i < Math.min(8, password.length); i++) {
    const c = password.charCodeAt(i);
    let r = 0;
    for (let b = 0; b < 8; b++) if (c & (1 << b)) r |= 1 << (7 - b);
    key[i] = r;
  }
  const c = createCipheriv('des-ede3-ecb', Buffer.concat([key, key, key]), null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(challenge), c.final()]);
}
