/**
 * Every client-to-server RFB message (RFC 6143 §7.5), one small function each in `encode`.
 * No other file writes RFB client messages by hand.
 */
import { ClientMessageType } from './messages.js';
import { serializePixelFormat, type PixelFormat } from './pixel-format.js';

/** ISO 8859-1 bytes of `text`; characters outside it become '?'. */
export function latin1Bytes(text: string): Buffer {
  const out = Buffer.alloc(text.length);
  let n = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    out[n++] = c <= 0xff ? c : 0x3f;
  }
  return out.subarray(0, n);
}

const clampU16 = (v: number): number => Math.max(0, Math.min(0xffff, Math.round(v)));

export const encode = {
  setPixelFormat(pf: PixelFormat): Buffer {
    const b = Buffer.alloc(20);
    b.writeUInt8(ClientMessageType.SetPixelFormat, 0);
    serializePixelFormat(pf).copy(b, 4);
    return b;
  },

  setEncodings(encodings: readonly number[]): Buffer {
    const b = Buffer.alloc(4 + 4 * encodings.length);
    b.writeUInt8(ClientMessageType.SetEncodings, 0);
    b.writeUInt16BE(encodings.length, 2);
    encodings.forEach((e, i) => b.writeInt32BE(e, 4 + 4 * i));
    return b;
  },

  framebufferUpdateRequest(incremental: boolean, x: number, y: number, width: number, height: number): Buffer {
    const b = Buffer.alloc(10);
    b.writeUInt8(ClientMessageType.FramebufferUpdateRequest, 0);
    b.writeUInt8(incremental ? 1 : 0, 1);
    b.writeUInt16BE(clampU16(x), 2);
    b.writeUInt16BE(clampU16(y), 4);
    b.writeUInt16BE(clampU16(width), 6);
    b.writeUInt16BE(clampU16(height), 8);
    return b;
  },

  keyEvent(keysym: number, down: boolean): Buffer {
    const b = Buffer.alloc(8);
    b.writeUInt8(ClientMessageType.KeyEvent, 0);
    b.writeUInt8(down ? 1 : 0, 1);
    b.writeUInt32BE(keysym >>> 0, 4);
    return b;
  },

  pointerEvent(x: number, y: number, buttonMask: number): Buffer {
    const b = Buffer.alloc(6);
    b.writeUInt8(ClientMessageType.PointerEvent, 0);
    b.writeUInt8(buttonMask & 0xff, 1);
    b.writeUInt16BE(clampU16(x), 2);
    b.writeUInt16BE(clampU16(y), 4);
    return b;
  },

  /** ClientCutText with ISO 8859-1 text ('?' for anything outside it). */
  clientCutText(text: string): Buffer {
    const body = latin1Bytes(text);
    const b = Buffer.alloc(8 + body.length);
    b.writeUInt8(ClientMessageType.ClientCutText, 0);
    b.writeUInt32BE(body.length, 4);
    body.copy(b, 8);
    return b;
  },

  /** ClientInit: 1 asks to share the desktop with other clients. */
  clientInit(shared: boolean): Buffer {
    return Buffer.from([shared ? 1 : 0]);
  },
} as const;
